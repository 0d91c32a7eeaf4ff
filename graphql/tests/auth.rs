//! Signing in and joining under attack: invitations that would hand over an identity,
//! password guessing (per e-mail, per request, across replicas through Redis), and
//! password hashing that must not stall the runtime.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use tds_entity::{membership, user};
use tds_testkit::{Backend, Caller, TestApi, backend_tests, forget_redis_namespace};

const REDIS: &str = "redis://127.0.0.1:6379";
const ACCEPT: &str = "mutation($t: String!, $p: String) { acceptInvitation(token: $t, password: $p) { login { token } user { email } } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

async fn invite(api: &TestApi, admin: &Caller, email: &str) -> String {
    let r = api
        .run(
            Some(admin),
            "mutation($e: String!) { inviteMember(email: $e, role: ADMIN) { token } }",
            json!({"e": email}),
        )
        .await;
    r.ok()["inviteMember"]["token"].as_str().unwrap().to_owned()
}

async fn memberships(api: &TestApi, user_id: uuid::Uuid) -> u64 {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .count(&api.state.db)
        .await
        .unwrap()
}

/// Operators and users who cannot sign in are no easier to take over than anyone else.
async fn invitations_never_hand_over_an_identity(backend: Backend) {
    let api = TestApi::new(backend).await;
    let admin = api.user("admin@x.example", false).await;
    let (_, admin) = api.account("Acme", &admin).await;
    let root = api.user("root@x.example", true).await;

    // An operator: signing in as them is the whole platform.
    let for_root = invite(&api, &admin, "root@x.example").await;
    let r = api
        .run(None, ACCEPT, json!({"t": for_root, "p": "admin's choice"}))
        .await;
    assert_eq!(r.code(), "UNAUTHENTICATED");
    assert!(r.data.is_null(), "{}", r.data);
    let r = api
        .run(
            None,
            LOGIN,
            json!({"e": "root@x.example", "p": "password123"}),
        )
        .await;
    r.ok();
    assert_eq!(memberships(&api, root.user.id).await, 0);

    // A user row without a password (nobody can sign in as it, so nobody can prove to
    // be it) is not claimed by choosing a password.
    let ghost = user::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        email: Set("ghost@x.example".into()),
        password_hash: Set(None),
        name: Set("Ghost".into()),
        is_active: Set(true),
        is_superuser: Set(false),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        created_by: Set(None),
    }
    .insert(&api.state.db)
    .await
    .unwrap();
    let for_ghost = invite(&api, &admin, "ghost@x.example").await;
    let r = api
        .run(None, ACCEPT, json!({"t": for_ghost, "p": "admin's choice"}))
        .await;
    assert_eq!(r.code(), "CONFLICT");
    assert!(r.data.is_null(), "{}", r.data);
    let r = api
        .run(
            Some(&admin),
            ACCEPT,
            json!({"t": for_ghost, "p": "admin's choice"}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    let ghost = user::Entity::find_by_id(ghost.id)
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ghost.password_hash, None);
    assert_eq!(memberships(&api, ghost.id).await, 0);

    // The operator, signed in, accepts for themself: a membership, no new token.
    let r = api.run(Some(&root), ACCEPT, json!({"t": for_root})).await;
    assert_eq!(
        r.ok()["acceptInvitation"],
        json!({"login": null, "user": {"email": "root@x.example"}})
    );
    assert_eq!(memberships(&api, root.user.id).await, 1);
}

backend_tests!(invitations_never_hand_over_an_identity);

fn retry_after(r: &tds_testkit::Gql) -> u64 {
    r.errors[0]["extensions"]["retryAfter"].as_u64().unwrap()
}

/// Failed sign-ins are limited per e-mail; a success gives its attempt back; one request
/// holds one `login`, however many aliases it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited_per_email_and_per_request() {
    let api = TestApi::new(Backend::Sqlite).await;
    for who in ["ana", "ben", "cy"] {
        api.user(&format!("{who}@x.example"), false).await;
    }
    let login = |e: &str, p: &str| api.run(None, LOGIN, json!({"e": e, "p": p}));

    for _ in 0..5 {
        assert_eq!(
            login("ana@x.example", "wrong password").await.code(),
            "UNAUTHENTICATED"
        );
    }
    // Even the right password waits now; the e-mail's case changes nothing.
    let r = login("ANA@x.example", "password123").await;
    assert_eq!(r.code(), "RATE_LIMITED");
    assert!((1..=900).contains(&retry_after(&r)), "{:?}", r.errors);
    login("ben@x.example", "password123").await.ok();

    // Ben: four failures and a success. The success is given back, so a fifth failure
    // still passes, and only the attempt after it is refused.
    for _ in 0..4 {
        login("ben@x.example", "wrong password").await;
    }
    login("ben@x.example", "password123").await.ok();
    assert_eq!(
        login("ben@x.example", "wrong password").await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        login("ben@x.example", "password123").await.code(),
        "RATE_LIMITED"
    );

    // Aliases: the first login runs, the others are refused and not even counted.
    let r = api
        .run(
            None,
            "mutation { a: login(email: \"cy@x.example\", password: \"guess 1\") { token }
                        b: login(email: \"cy@x.example\", password: \"guess 2\") { token }
                        c: login(email: \"cy@x.example\", password: \"password123\") { token } }",
            json!({}),
        )
        .await;
    let codes: Vec<(&str, &str)> = r
        .errors
        .iter()
        .map(|e| {
            (
                e["path"][0].as_str().unwrap(),
                e["extensions"]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("a", "UNAUTHENTICATED"),
            ("b", "VALIDATION"),
            ("c", "VALIDATION")
        ]
    );
    for _ in 0..4 {
        assert_eq!(
            login("cy@x.example", "guess").await.code(),
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(login("cy@x.example", "guess").await.code(), "RATE_LIMITED");
}

/// Replicas count the same attempts when they share Redis: moving between api
/// replicas does not multiply guesses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_limits_are_shared_by_replicas_through_redis() {
    let api = TestApi::new(Backend::Sqlite).await;
    api.user("dee@x.example", false).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:limits");
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let mut state = api.state.clone();
        state.auth.counters = tds_bus::WindowCounters::redis(REDIS, &prefix)
            .await
            .unwrap();
        replicas.push((tds_graphql::build_schema(state.clone()), state));
    }
    let attempt = |i: usize, password: &'static str| {
        let (schema, state) = &replicas[i % 2];
        async move {
            let scope = tds_graphql::RequestScope::resolve(state, &Default::default())
                .await
                .unwrap();
            let request = async_graphql::Request::new(LOGIN).variables(
                async_graphql::Variables::from_json(json!({"e": "dee@x.example", "p": password})),
            );
            let response = schema.execute(scope.attach(request)).await;
            serde_json::to_value(&response.errors).unwrap()
        }
    };
    for i in 0..5 {
        let errors = attempt(i, "wrong password").await;
        assert_eq!(errors[0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    let errors = attempt(5, "password123").await;
    assert_eq!(errors[0]["extensions"]["code"], "RATE_LIMITED", "{errors}");
    let retry = errors[0]["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((1..=900).contains(&retry), "{errors}");
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
}

/// Argon2 takes tens of milliseconds of CPU per password. Run on the runtime's thread it
/// stalls every other task of that thread; a ticker on a single-threaded runtime shows it.
#[test]
fn password_hashing_does_not_stall_the_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let api = TestApi::new(Backend::Sqlite).await;
        api.user("eve@x.example", false).await;
        let phc = tds_domain::auth::hash_password("password123")
            .await
            .unwrap();
        let mut one_hash = Duration::MAX;
        for _ in 0..3 {
            let started = Instant::now();
            tds_domain::auth::verify_password("password123", Some(&phc))
                .await
                .unwrap();
            one_hash = one_hash.min(started.elapsed());
        }

        // A blocking implementation stalls the ticker for at least one hash every time; a
        // scheduler hiccup of the machine does not recur, so a few tries filter it out.
        let mut stalls = Vec::new();
        for _ in 0..3 {
            let done = Arc::new(AtomicBool::new(false));
            let ticking = done.clone();
            let ticker = tokio::spawn(async move {
                let mut worst = Duration::ZERO;
                let mut last = Instant::now();
                while !ticking.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    worst = worst.max(last.elapsed());
                    last = Instant::now();
                }
                worst
            });
            let work = (0..3).map(|_| {
                tds_domain::accounts::login(
                    &api.state.db,
                    &api.state.keys,
                    "eve@x.example",
                    "wrong password",
                    Utc::now(),
                )
            });
            let results = futures::future::join_all(work).await;
            assert!(results.iter().all(|r| r.is_err()));
            tds_domain::auth::hash_password("another password")
                .await
                .unwrap();
            done.store(true, Ordering::SeqCst);
            let worst = ticker.await.unwrap();
            if worst < one_hash / 2 {
                return;
            }
            stalls.push(worst);
        }
        panic!("the runtime stalled {stalls:?} (one hash takes {one_hash:?})");
    });
}

/// What a live subscription checks on every re-resolution of its session: a role drop
/// ends only what needs the role, a removal or another account is FORBIDDEN (the caller
/// knew the account), a switched-off licence is LICENCE_EXPIRED, a bad token UNAUTHENTICATED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_keeps_only_what_it_still_may() {
    use tds_domain::auth::still_allowed;
    use tds_entity::Role;
    let api = TestApi::new(Backend::Sqlite).await;
    let admin = api.user("boss@x.example", false).await;
    let (account, admin) = api.account("Acme", &admin).await;
    let (other, _) = api
        .account("Other", &api.user("o@x.example", false).await)
        .await;
    let editor = api.user("ed@x.example", false).await.in_account(account.id);
    membership::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        account_id: Set(account.id),
        user_id: Set(editor.user.id),
        role: Set(Role::Editor),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        created_by: Set(None),
    }
    .insert(&api.state.db)
    .await
    .unwrap();
    let session = |caller: &Caller| {
        let credentials = tds_domain::Credentials {
            bearer: Some(caller.token.clone()),
            account_id: caller.account.map(|a| a.to_string()),
        };
        let state = api.state.clone();
        async move {
            tds_domain::Session::resolve(&state.db, &state.keys, &credentials, Utc::now())
                .await
                .unwrap()
        }
    };
    let code = |r: tds_domain::DomainResult<()>| r.err().map(|e| e.code());

    let now = session(&editor).await;
    assert_eq!(code(still_allowed(&now, account.id, Role::Editor)), None);
    assert_eq!(
        code(still_allowed(&now, other.id, Role::Viewer)),
        Some("FORBIDDEN")
    );
    let member = |email: &'static str| {
        let api = &api;
        let admin = &admin;
        async move {
            let r = api
                .run(Some(admin), "{ members { id user { email } } }", json!({}))
                .await;
            r.ok()["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["user"]["email"] == email)
                .unwrap()["id"]
                .clone()
        }
    };
    let id = member("ed@x.example").await;
    api.run(
        Some(&admin),
        "mutation($id: ID!) { changeMemberRole(memberId: $id, role: VIEWER) { id } }",
        json!({"id": id}),
    )
    .await
    .ok();
    let demoted = session(&editor).await;
    assert_eq!(
        code(still_allowed(&demoted, account.id, Role::Editor)),
        Some("FORBIDDEN")
    );
    assert_eq!(
        code(still_allowed(&demoted, account.id, Role::Viewer)),
        None
    );

    let root = api.user("op@x.example", true).await;
    api.run(
        Some(&root),
        "mutation($id: ID!) { setAccountActive(id: $id, active: false) { id } }",
        json!({"id": account.id.to_string()}),
    )
    .await
    .ok();
    assert_eq!(
        code(still_allowed(
            &session(&editor).await,
            account.id,
            Role::Viewer
        )),
        Some("LICENCE_EXPIRED")
    );
    api.run(
        Some(&root),
        "mutation($id: ID!) { setAccountActive(id: $id, active: true) { id } }",
        json!({"id": account.id.to_string()}),
    )
    .await
    .ok();
    api.run(
        Some(&admin),
        "mutation($id: ID!) { removeMember(memberId: $id) }",
        json!({"id": id}),
    )
    .await
    .ok();
    assert_eq!(
        code(still_allowed(
            &session(&editor).await,
            account.id,
            Role::Viewer
        )),
        Some("FORBIDDEN")
    );
    let forged = Caller {
        token: format!("{}x", editor.token),
        ..editor.clone()
    };
    assert_eq!(
        code(still_allowed(
            &session(&forged).await,
            account.id,
            Role::Viewer
        )),
        Some("UNAUTHENTICATED")
    );
}

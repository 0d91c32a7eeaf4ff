//! The api service over HTTP semantics (requests go to the router without a port).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tds_testkit::{Backend, TestApi};
use tower::ServiceExt;

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, content_type, body)
}

fn graphql(body: Value, token: Option<&str>, account: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", format!("bearer {token}"));
    }
    if let Some(account) = account {
        builder = builder.header("x-account-id", account);
    }
    builder.body(Body::from(body.to_string())).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_manage_the_fleet_over_http() {
    let api = TestApi::new(Backend::Postgres).await;
    let ana = api.user("ana@x.example", false).await;
    let (account, _) = api.account("Acme", &ana).await;
    api.account("Second", &ana).await;
    let app = tds_api::router(api.state.clone());

    let (status, _, body) = send(&app, graphql(json!({"query": "mutation { login(email: \"ana@x.example\", password: \"password123\") { token } }"}), None, None)).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    let token = body["data"]["login"]["token"].as_str().unwrap().to_owned();

    let account_id = account.id.to_string();
    let create = json!({"query": "mutation { createGateway(input: {code: \"GW1\", mac: \"AABBCCDDEEFF\", name: \"Torre\"}) { mac } }"});
    let (_, _, body) = send(&app, graphql(create, Some(&token), Some(&account_id))).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["data"]["createGateway"]["mac"], "aa:bb:cc:dd:ee:ff");

    let list = json!({"query": "{ gateways { nodes { code } } }"});
    let (_, _, body) = send(&app, graphql(list.clone(), Some(&token), Some(&account_id))).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["data"]["gateways"]["nodes"], json!([{"code": "GW1"}]));

    // Without X-Account-Id a member of two accounts must choose.
    let (_, _, body) = send(&app, graphql(list, Some(&token), None)).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["field"], "X-Account-Id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_graphiql_and_body_cap() {
    let api = TestApi::new(Backend::Sqlite).await;
    let app = tds_api::router(api.state.clone());

    let (status, _, body) = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, b"ok".as_slice())
    );
    let (status, _, _) = send(&app, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, content_type, body) =
        send(&app, Request::get("/graphql").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("graphiql"));

    let huge =
        json!({"query": format!("{{ me {{ email }} }} # {}", "x".repeat(tds_api::MAX_BODY_BYTES))});
    let (status, _, body) = send(&app, graphql(huge, None, None)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");
    let (status, _, body) = send(
        &app,
        Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from("{not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION");

    // When the database is gone, readiness says so.
    api.state.db.clone().close().await.ok();
    let (status, _, _) = send(&app, Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_names_each_dependency_and_fails_while_a_required_one_is_down() {
    let api = TestApi::new(Backend::Sqlite).await;
    let readiness = tds_bus::Readiness::default();
    readiness.expect("workers.queue", true);
    readiness.expect("events", false);
    readiness.up("workers.queue");
    readiness.up("events");
    let app = tds_api::router_reporting(api.state.clone(), readiness.clone());
    let readyz = || Request::get("/readyz").body(Body::empty()).unwrap();

    let (status, _, body) = send(&app, readyz()).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["ready"], true);
    assert_eq!(body["dependencies"]["api.database"]["up"], true);

    // A degraded optional dependency is reported, and the api stays ready.
    readiness.down("events", "event subscription lost");
    let (status, _, body) = send(&app, readyz()).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["dependencies"]["events"]["up"], false);

    readiness.down("workers.queue", "Connection refused");
    let (status, _, body) = send(&app, readyz()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(
        body["dependencies"]["workers.queue"]["error"],
        "Connection refused"
    );

    readiness.up("workers.queue");
    let (status, _, _) = send(&app, readyz()).await;
    assert_eq!(status, StatusCode::OK);

    // The same answer without the api, for ingest or workers alone.
    readiness.down("workers.queue", "Connection refused");
    let health = tds_api::health_router(readiness.clone(), None);
    let (status, _, _) = send(&health, readyz()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_bundle_downloads_once_to_its_own_account() {
    let api = TestApi::new(Backend::Sqlite).await;
    let (account, gateways) =
        tds_testkit::seed_fleet(&api.state.db, "UTC", 0x73, 1, 1, false).await;
    let owner = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        tds_entity::membership::Entity::find()
            .filter(tds_entity::membership::Column::AccountId.eq(account.id))
            .one(&api.state.db)
            .await
            .unwrap()
            .unwrap()
            .user_id
    };
    let (token, _) = api.state.keys.issue(owner, chrono::Utc::now()).unwrap();
    let app = tds_api::router(api.state.clone());
    let issue = json!({"query": format!("mutation {{ issueCertificate(gatewayId: \"{}\", algorithm: P256) {{ bundleDownloadPath }} }}", gateways[0].id)});
    let (_, _, body) = send(
        &app,
        graphql(issue, Some(&token), Some(&account.id.to_string())),
    )
    .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    let path = body["data"]["issueCertificate"]["bundleDownloadPath"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |token: Option<&str>| {
        let mut b = Request::get(&path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        b.body(Body::empty()).unwrap()
    };

    let (status, _, _) = send(&app, get(None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stranger = api.user("stranger@x.example", false).await;
    let (_, stranger) = api.account("Other", &stranger).await;
    let (status, _, _) = send(&app, get(Some(&stranger.token))).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another account cannot take it"
    );

    // The file's id with a guessed secret opens nothing, and spoils nothing.
    let (id, _) = path.rsplit_once('.').unwrap();
    let guessed = Request::get(format!("{id}.{}", "A".repeat(43)))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = send(&app, guessed).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // At rest the bundle is sealed: no zip, no key in the database.
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let stored = tds_entity::stored_file::Entity::find()
            .filter(tds_entity::stored_file::Column::AccountId.eq(account.id))
            .filter(tds_entity::stored_file::Column::Purpose.eq("bundle"))
            .all(&api.state.db)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        let content = &stored[0].content;
        assert!(!content.starts_with(b"PK"), "stored as a readable zip");
        assert!(
            !content.windows(11).any(|w| w == b"PRIVATE KEY"),
            "the key is readable in the database"
        );
    }

    // Another replica (its own state, the same database and secret) hands it over.
    let replica = tds_api::router(tds_graphql::ApiState::new(
        api.state.db.clone(),
        api.state.keys.clone(),
    ));
    let response = replica.oneshot(get(Some(&token))).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&format!("{}.zip", gateways[0].mac.replace(':', ""))),
        "{disposition}"
    );
    let zip = response.into_body().collect().await.unwrap().to_bytes();
    assert!(zip.starts_with(b"PK\x03\x04"));
    let file = std::env::temp_dir().join(format!("bundle-{}.zip", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, &zip).unwrap();
    let names = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))",
            file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout).trim(), "3");
    let _ = std::fs::remove_file(file);

    let (status, _, body) = send(&app, get(Some(&token))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "one download only");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

/// Failed sign-ins are limited per client address, whatever e-mails they try; the
/// address is the socket's peer, and `X-Forwarded-For` counts only from a trusted proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited_per_address() {
    use axum::extract::connect_info::MockConnectInfo;
    use std::net::SocketAddr;
    let api = TestApi::new(Backend::Sqlite).await;
    let mut state = api.state.clone();
    state.auth.login_limits.per_address.attempts = 3;
    let proxy: SocketAddr = "10.0.0.1:443".parse().unwrap();
    state.auth.trusted_proxies = vec![proxy.ip()];
    let from = |peer: &str| {
        tds_api::router(state.clone()).layer(MockConnectInfo(peer.parse::<SocketAddr>().unwrap()))
    };
    let attempt = |app: axum::Router, n: usize, forwarded: Option<&'static str>| async move {
        let body = json!({"query": format!("mutation {{ login(email: \"user{n}@x.example\", password: \"guess\") {{ token }} }}")});
        let mut request = graphql(body, None, None);
        if let Some(f) = forwarded {
            request
                .headers_mut()
                .insert("x-forwarded-for", f.parse().unwrap());
        }
        let (_, _, body) = send(&app, request).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        body["errors"][0]["extensions"].clone()
    };

    let guesser = from("192.0.2.7:5000");
    for n in 0..3 {
        assert_eq!(
            attempt(guesser.clone(), n, None).await["code"],
            "UNAUTHENTICATED"
        );
    }
    let refused = attempt(guesser.clone(), 3, None).await;
    assert_eq!(refused["code"], "RATE_LIMITED");
    assert!((1..=60).contains(&refused["retryAfter"].as_u64().unwrap()));
    // Claiming to be someone else does not help a client that is not a trusted proxy …
    let spoofed = attempt(guesser, 4, Some("198.51.100.9")).await;
    assert_eq!(spoofed["code"], "RATE_LIMITED");
    // … while another address is not affected.
    assert_eq!(
        attempt(from("192.0.2.8:5000"), 5, None).await["code"],
        "UNAUTHENTICATED"
    );

    // Behind the trusted proxy, each client counts on its own: the nearest address the
    // proxy did not add itself is the client (what the client wrote before it is ignored).
    let proxy = from("10.0.0.1:443");
    for n in 0..3 {
        let code = attempt(proxy.clone(), 10 + n, Some("203.0.113.5, 198.51.100.1")).await;
        assert_eq!(code["code"], "UNAUTHENTICATED");
    }
    let code = attempt(proxy.clone(), 20, Some("203.0.113.6, 198.51.100.1")).await;
    assert_eq!(code["code"], "RATE_LIMITED", "same client, another claim");
    let code = attempt(proxy, 21, Some("198.51.100.2")).await;
    assert_eq!(
        code["code"], "UNAUTHENTICATED",
        "another client of the proxy"
    );
}

/// A browser link is the caller's: it stops working when they leave the account, while
/// an e-mailed link (no user) works until the file expires, and neither opens another
/// report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_links_follow_their_user_and_their_file() {
    use tds_domain::downloads::{self, DownloadGrant};
    use tds_domain::report_requests::{self as requests, BuiltReport, NewReport, Selection};
    let api = TestApi::new(Backend::Sqlite).await;
    let ana = api.user("ana@links.example", false).await;
    let (account, ana) = api.account("Links", &ana).await;
    let bia = api.user("bia@links.example", false).await;
    let bia = api.member(&bia, account.id, tds_entity::Role::Editor).await;
    let db = &api.state.db;
    let tenant = tds_testkit::admin_of(db, account.id).await;
    let now = chrono::Utc::now();
    let request = NewReport {
        kind: tds_entity::ReportKind::Consumption,
        period: tds_entity::ReportPeriod::Day,
        date: None,
        from: None,
        to: None,
        selection: Selection::All,
        format: tds_entity::ReportFormat::Pdf,
    };
    let report = requests::request_report(db, &tenant, request.clone(), now)
        .await
        .unwrap();
    let other = requests::request_report(db, &tenant, request, now)
        .await
        .unwrap();
    requests::start_report(db, report.id, now).await.unwrap();
    let built = BuiltReport {
        file_name: "consumo-2026-11-30.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.7 the report".to_vec(),
        pages: Some(1),
        rows: None,
    };
    requests::finish_report(db, report.id, built, now)
        .await
        .unwrap()
        .unwrap();

    let link = |user_id| {
        downloads::signed_path(
            &api.state.keys,
            DownloadGrant {
                report_id: report.id,
                account_id: account.id,
                user_id,
            },
            now + chrono::Duration::minutes(5),
        )
        .unwrap()
    };
    let app = tds_api::router(api.state.clone());
    let get = |path: String| Request::get(path).body(Body::empty()).unwrap();
    let (bias, mailed) = (link(Some(bia.user.id)), link(None));
    let (status, content_type, body) = send(&app, get(bias.clone())).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    assert_eq!(body, b"%PDF-1.7 the report");

    // Bia leaves the account: her link goes with her; the e-mailed one stays.
    let r = api
        .run(Some(&ana), "{ members { id user { email } } }", json!({}))
        .await;
    let member = r.ok()["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["email"] == "bia@links.example")
        .unwrap()["id"]
        .clone();
    let r = api
        .run(
            Some(&ana),
            "mutation($id: ID!) { removeMember(memberId: $id) }",
            json!({"id": member}),
        )
        .await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let (status, _, _) = send(&app, get(bias)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&app, get(mailed.clone())).await;
    assert_eq!(status, StatusCode::OK);

    // The token opens its own report only, and not one that is not done.
    let token = mailed.split_once("?token=").unwrap().1;
    let (status, _, _) = send(
        &app,
        get(format!("/reports/{}/download?token={token}", other.id)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Its licence switched off, the account's e-mailed links stop too.
    {
        use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
        let mut off = account.clone().into_active_model();
        off.is_active = Set(false);
        off.update(db).await.unwrap();
    }
    let (status, _, body) = send(&app, get(mailed)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "LICENCE_EXPIRED");
}

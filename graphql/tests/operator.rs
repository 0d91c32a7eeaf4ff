//! The platform operator's capability: what acts across tenants needs a superuser's
//! session (or the command line), and a tenant scope is only ever a member's.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use serde_json::json;
use tds_domain::{DomainError, Operator};
use tds_testkit::{Backend, TestApi, backend_tests};

const CREATE_ACCOUNT: &str = "mutation($name: String!, $admin: String) { createAccount(input: {name: $name, adminEmail: $admin}) { id name role } }";

async fn only_operators_act_across_tenants(backend: Backend) {
    let api = TestApi::new(backend).await;
    let ana = api.user("ana@x.example", false).await;
    let (alpha, ana_alpha) = api.account("Alpha", &ana).await;
    let root = api.user("root@x.example", true).await;

    // A member, even an ADMIN, creates no account; nor does anybody signed out.
    let r = api
        .run(Some(&ana_alpha), CREATE_ACCOUNT, json!({"name": "Mine"}))
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    let r = api.run(None, CREATE_ACCOUNT, json!({"name": "Mine"})).await;
    assert_eq!(r.code(), "UNAUTHENTICATED");

    // An operator does, for someone else, and is recorded as its creator.
    let r = api
        .run(
            Some(&root),
            CREATE_ACCOUNT,
            json!({"name": "Bravo", "admin": "ana@x.example"}),
        )
        .await;
    assert_eq!(r.ok()["createAccount"]["name"], "Bravo");
    let bravo: uuid::Uuid = r.ok()["createAccount"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = api
        .run(
            Some(&ana.in_account(bravo)),
            "{ account { name } members { user { email } role } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["members"],
        json!([{"user": {"email": "ana@x.example"}, "role": "ADMIN"}])
    );
    let bravo_row = <tds_entity::account::Entity as sea_orm::EntityTrait>::find_by_id(bravo)
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bravo_row.created_by, Some(root.user.id));

    // Acting as a user gives that user's own scope: their role, only where they belong.
    let operator = Operator::command_line();
    let tenant = operator
        .act_as(&api.state.db, ana.user.id, alpha.id)
        .await
        .unwrap();
    assert_eq!(
        (tenant.account_id(), tenant.role()),
        (alpha.id, tds_entity::Role::Admin)
    );
    let bob = api.user("bob@x.example", false).await;
    let outsider = operator.act_as(&api.state.db, bob.user.id, alpha.id).await;
    assert!(
        matches!(outsider, Err(DomainError::NotFound("account"))),
        "{outsider:?}"
    );
}

backend_tests!(only_operators_act_across_tenants);

/// The services that serve tenants (API, ingest, workers) never make an operator up: only
/// a superuser's session gives them one.
#[test]
fn services_do_not_mint_operators() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut offenders = Vec::new();
    for crate_dir in [
        "graphql/src",
        "api/src",
        "ingest/src",
        "workers/src",
        "bus/src",
    ] {
        let mut dirs = vec![root.join(crate_dir)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if std::fs::read_to_string(&path)
                    .unwrap()
                    .contains("Operator::command_line")
                {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

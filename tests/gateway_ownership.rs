//! The attack issue 9 closes, against a real Mosquitto: account A has a gateway and its
//! certificate; A deletes the gateway and account B registers the same MAC. The device
//! holding A's certificate must not speak for B's gateway: deleting the gateway revoked
//! the certificate into the CRL the API rewrote in the broker's directory, and once the
//! broker reloads it the certificate connects no more.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;

use chrono::Utc;
use serde_json::json;
use tds_domain::auth::TokenKeys;
use tds_testkit::{Backend, Caller, TestApi, TestDb, seed_fleet};

mod common;

use common::{free_port, pair, platform_and_broker, publish, tds};

/// An ADMIN of `account` signed in to `api`.
async fn admin(api: &TestApi, account: uuid::Uuid) -> Caller {
    let tenant = tds_testkit::admin_of(&api.state.db, account).await;
    let user = <tds_entity::user::Entity as sea_orm::EntityTrait>::find_by_id(tenant.user_id())
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    let (token, _) = api.state.keys.issue(user.id, Utc::now()).unwrap();
    Caller {
        token,
        account: Some(account),
        user,
    }
}

#[tokio::test]
async fn a_deleted_gateways_certificate_never_speaks_for_the_next_owner_of_its_mac() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (alpha, gateways) = seed_fleet(&db.db, "UTC", 0x72, 1, 1, false).await;
    let (bravo, _) = seed_fleet(&db.db, "UTC", 0x73, 0, 0, false).await;
    let mac = gateways[0].mac.clone();
    let root = std::env::temp_dir().join(format!("tds-owner-{}", uuid::Uuid::new_v4().simple()));
    let (data, broker_dir) = (root.join("data"), root.join("broker"));
    let env = [
        ("TDS_DATA_DIR", data.as_path()),
        ("TDS_BROKER_DIR", broker_dir.as_path()),
    ];
    let port = free_port();
    tds(&env, &db.url, &["certs", "init-ca"]);
    let out = root.join("gw");
    tds(
        &env,
        &db.url,
        &[
            "certs",
            "issue",
            "--mac",
            &mac,
            "--algorithm",
            "p256",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let (broker, _) = platform_and_broker(&env, &db.url, &root, &broker_dir, port);
    let ca = broker.dir.join("ca.pem");
    let device = pair(&out, &mac.replace(':', ""));
    let telemetry = format!("tds_new/devices/{mac}/telemetry");
    assert!(publish(
        &broker,
        &ca,
        Some(&device),
        &telemetry,
        "A's",
        false
    ));

    // The API as `tds serve` builds it: the CA of the data directory, the CRL written to
    // the CA's directory and to the broker's.
    let state = tds_graphql::ApiState {
        pki: Some(std::sync::Arc::new(tds_certs::load_ca(&data).unwrap())),
        crl_paths: vec![data.join("pki").join("crl.pem"), broker_dir.join("crl.pem")],
        ..tds_graphql::ApiState::new(
            db.db.clone(),
            TokenKeys::new(b"test-secret", chrono::Duration::hours(1)),
        )
    };
    let api = TestApi {
        schema: tds_graphql::build_schema(state.clone()),
        state,
        db,
    };
    let (a, b) = (admin(&api, alpha.id).await, admin(&api, bravo.id).await);
    api.run(
        Some(&a),
        "mutation($id: ID!) { deleteGateway(id: $id) }",
        json!({"id": gateways[0].id}),
    )
    .await
    .ok();
    let r = api
        .run(
            Some(&b),
            "mutation($mac: String!) { createGateway(input: {code: \"GW-B\", mac: $mac, name: \"B\"}) { id } }",
            json!({"mac": mac}),
        )
        .await;
    r.ok();

    // The broker reloads its CRL (as compose's watcher or the operator does): A's
    // certificate is refused, so nothing it sends reaches B's gateway.
    Command::new("kill")
        .args(["-HUP", &broker.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while publish(&broker, &ca, Some(&device), &telemetry, "A's", false) {
        assert!(
            std::time::Instant::now() < deadline,
            "the deleted gateway's certificate still connects"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(broker);
    let _ = std::fs::remove_dir_all(root);
}

//! The generated broker configuration, enforced by a real Mosquitto started on a free
//! port: who may connect, publish and read what.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;

use chrono::{Duration, Utc};
use tds_testkit::{Backend, TestDb, seed_fleet};

mod common;

use common::{free_port, pair, platform_and_broker, publish, serve_platform, subscribe, tds};

#[tokio::test]
async fn the_broker_enforces_certificates_revocation_and_topics() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x71, 2, 1, false).await;
    let (mac0, mac1) = (gateways[0].mac.clone(), gateways[1].mac.clone());
    let root = std::env::temp_dir().join(format!("tds-mtls-{}", uuid::Uuid::new_v4().simple()));
    let data = root.join("data");
    let broker_dir = root.join("broker");
    let env = [
        ("TDS_DATA_DIR", data.as_path()),
        ("TDS_BROKER_DIR", broker_dir.as_path()),
    ];
    let port = free_port();
    tds(&env, &db.url, &["certs", "init-ca"]);
    for (mac, alg) in [(&mac0, "p256"), (&mac1, "rsa2048")] {
        tds(
            &env,
            &db.url,
            &[
                "certs",
                "issue",
                "--mac",
                mac,
                "--algorithm",
                alg,
                "--out",
                root.join("gw").to_str().unwrap(),
            ],
        );
    }
    let (broker, platform) = platform_and_broker(&env, &db.url, &root, &broker_dir, port);
    let ca = broker.dir.join("ca.pem");
    let gw0 = pair(&root.join("gw"), &mac0.replace(':', ""));
    let gw1 = pair(&root.join("gw"), &mac1.replace(':', ""));
    let telemetry = |mac: &str| format!("tds_new/devices/{mac}/telemetry");

    // A provisioned gateway publishes and the platform receives it; a message on another
    // gateway's topic is dropped (it would arrive before the marker published after it),
    // and so is a payload above the platform's cap (the broker completes its QoS flow, so
    // the gateway does not send it again, and no client spends memory on it).
    let sub = subscribe(
        &broker,
        &ca,
        &platform,
        "tds_new/devices/+/telemetry",
        2,
        10,
    );
    // mosquitto_sub gives no readiness signal we can read; 300 ms covers its TLS
    // handshake and SUBSCRIBE on loopback, and a miss fails loudly below (not silently).
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(publish(
        &broker,
        &ca,
        Some(&gw0),
        &telemetry(&mac1),
        "forged",
        false
    ));
    let oversized = "x".repeat(tds_domain::telemetry::MAX_PAYLOAD_BYTES + 1);
    assert!(publish(
        &broker,
        &ca,
        Some(&gw0),
        &telemetry(&mac0),
        &oversized,
        false
    ));
    assert!(publish(
        &broker,
        &ca,
        Some(&gw0),
        &telemetry(&mac0),
        "first",
        false
    ));
    assert!(publish(
        &broker,
        &ca,
        Some(&gw1),
        &telemetry(&mac1),
        "second",
        false
    ));
    let got = String::from_utf8(sub.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(
        got.lines().collect::<Vec<_>>(),
        vec![
            format!("{} first", telemetry(&mac0)),
            format!("{} second", telemetry(&mac1))
        ]
    );

    // No certificate, a certificate of another CA, an expired one: refused.
    assert!(!publish(&broker, &ca, None, &telemetry(&mac0), "x", false));
    let stranger = root.join("stranger");
    std::fs::create_dir_all(&stranger).unwrap();
    let other = tds_certs::CertificateAuthority::create("Not ours", Utc::now()).unwrap();
    let forged = other
        .issue_gateway(&mac0, tds_certs::Algorithm::P256, Utc::now())
        .unwrap();
    tds_certs::write_pair(&stranger, "forged", &forged).unwrap();
    assert!(!publish(
        &broker,
        &ca,
        Some(&pair(&stranger, "forged")),
        &telemetry(&mac0),
        "x",
        false
    ));
    let ours = tds_certs::load_ca(&data).unwrap();
    let expired = ours
        .issue_gateway(
            &mac0,
            tds_certs::Algorithm::P256,
            Utc::now() - Duration::days(3_700),
        )
        .unwrap();
    tds_certs::write_pair(&stranger, "expired", &expired).unwrap();
    assert!(!publish(
        &broker,
        &ca,
        Some(&pair(&stranger, "expired")),
        &telemetry(&mac0),
        "x",
        false
    ));

    // Ingest and workers over mqtts with the platform identity: a provisioned gateway's
    // telemetry is stored.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut services = serve_platform(&db.url, broker.port, &ca, &platform, &tag, &[]);
    let reading = |n: u32| {
        format!(
            r#"{{"gateway_mac": "{mac0}", "timestamp": "{}", "leituras": [{{"dispositivo_codigo": "D01", "valor": {n}.5}}]}}"#,
            (Utc::now() - Duration::seconds(i64::from(n))).to_rfc3339()
        )
    };
    let stored = || async {
        use sea_orm::{EntityTrait, PaginatorTrait};
        tds_entity::reading::Entity::find()
            .count(&db.db)
            .await
            .unwrap()
    };
    let mut n = 0;
    tds_testkit::eventually(
        std::time::Duration::from_secs(30),
        "a reading published over mTLS is stored",
        || {
            n += 1;
            // Until ingest has subscribed, a message has no subscriber; keep publishing.
            assert!(publish(
                &broker,
                &ca,
                Some(&gw0),
                &telemetry(&mac0),
                &reading(n),
                false
            ));
            async { stored().await > 0 }
        },
    )
    .await;
    let _ = services.kill();
    let _ = services.wait();
    tds_testkit::forget_redis_namespace("redis://127.0.0.1:6379", &format!("tds-test:{tag}:"))
        .await;

    // A gateway cannot read another's cert_update; the owner can.
    let update = |mac: &str| format!("tds_new/devices/{mac}/cert_update");
    assert!(publish(
        &broker,
        &ca,
        Some(&platform),
        &update(&mac1),
        "successor",
        true
    ));
    let own = subscribe(&broker, &ca, &gw1, &update(&mac1), 1, 5)
        .wait_with_output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&own.stdout).trim(),
        format!("{} successor", update(&mac1))
    );
    let foreign = subscribe(&broker, &ca, &gw0, &update(&mac1), 1, 2)
        .wait_with_output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&foreign.stdout).trim().is_empty(),
        "a retained update of another gateway leaked"
    );

    // Revoke gw1: the CRL in the broker directory is rewritten; after a reload it is refused.
    let serial = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        tds_entity::certificate::Entity::find()
            .filter(tds_entity::certificate::Column::CommonName.eq(mac1.clone()))
            .one(&db.db)
            .await
            .unwrap()
            .unwrap()
            .serial
    };
    assert!(publish(
        &broker,
        &ca,
        Some(&gw1),
        &telemetry(&mac1),
        "before",
        false
    ));
    tds(
        &env,
        &db.url,
        &[
            "certs",
            "revoke",
            "--serial",
            &serial,
            "--reason",
            "key-compromise",
        ],
    );
    Command::new("kill")
        .args(["-HUP", &broker.child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while publish(&broker, &ca, Some(&gw1), &telemetry(&mac1), "after", false) {
        assert!(
            std::time::Instant::now() < deadline,
            "the revoked certificate still connects after reload"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(publish(
        &broker,
        &ca,
        Some(&gw0),
        &telemetry(&mac0),
        "still fine",
        false
    ));
    drop(broker);
    let _ = std::fs::remove_dir_all(root);
}

//! Over-the-air renewal end to end: a real Mosquitto with mutual TLS from the generated
//! configuration, `tds serve --only ingest,workers` over mqtts, and `tds simulate --certs`
//! running the gateway firmware (check against the CA, back up, reconnect, ack).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use common::{free_port, pair, platform_and_broker, publish, serve_platform, tds};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tds_entity::{
    CertificateStatus, RenewalMode, RenewalState, RenewalStep, certificate, certificate_renewal,
    dead_letter, gateway, reading,
};
use tds_testkit::{Backend, TestDb, eventually, renewal_log};
use uuid::Uuid;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn simulator(
    db_url: &str,
    env: &[(&str, &Path)],
    mqtt: &str,
    certs: &Path,
    fault: bool,
) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tds"));
    cmd.args([
        "simulate",
        "--gateways",
        "1",
        "--devices",
        "2",
        "--interval",
        "0.2",
    ])
    .args(["--account", "Renewal fleet", "--certs"])
    .arg(certs)
    .env("DATABASE_URL", db_url)
    .env("MQTT_URL", mqtt)
    .env("TDS_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if fault {
        cmd.args(["--renewal-fault", "rollback"]);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Running(cmd.spawn().unwrap())
}

async fn readings(db: &DatabaseConnection) -> u64 {
    reading::Entity::find().count(db).await.unwrap()
}

async fn renewal(db: &DatabaseConnection, id: Uuid) -> certificate_renewal::Model {
    certificate_renewal::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn cert(db: &DatabaseConnection, id: Uuid) -> certificate::Model {
    certificate::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn wait_state(
    db: &DatabaseConnection,
    id: Uuid,
    state: RenewalState,
) -> certificate_renewal::Model {
    eventually(
        Duration::from_secs(60),
        &format!("renewal reaches {state}"),
        || async { renewal(db, id).await.state == state },
    )
    .await;
    renewal(db, id).await
}

/// Readings stored after this call: the gateway is still publishing (and connected).
async fn keeps_publishing(db: &DatabaseConnection, what: &str) {
    let before = readings(db).await;
    eventually(Duration::from_secs(30), what, || async {
        readings(db).await > before + 4
    })
    .await;
}

fn serial_on_disk(dir: &Path, mac: &str) -> String {
    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let cert = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    tds_certs::check_issued_by(&ca, &cert, mac, Utc::now()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_renews_over_the_air_and_rolls_back_when_told() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let root = std::env::temp_dir().join(format!("tds-ota-{}", Uuid::new_v4().simple()));
    let data = root.join("data");
    let broker_dir = root.join("broker");
    let fleet_dir = root.join("fleet");
    let env = [
        ("TDS_DATA_DIR", data.as_path()),
        ("TDS_BROKER_DIR", broker_dir.as_path()),
    ];
    let port = free_port();
    tds(&env, &db.url, &["certs", "init-ca"]);
    let (broker, platform) = platform_and_broker(&env, &db.url, &root, &broker_dir, port);
    let ca = broker.dir.join("ca.pem");
    let mqtt = format!("mqtts://localhost:{port}");

    // The platform: ingest + workers (with the certificate worker) over mqtts.
    let tag = Uuid::new_v4().simple().to_string();
    let _services = Running(serve_platform(
        &db.url,
        port,
        &ca,
        &platform,
        &tag,
        &[
            ("TDS_DATA_DIR", data.as_os_str()),
            ("TDS_BROKER_DIR", broker_dir.as_os_str()),
            // No poll during the test: "renew now" must wake the workers through the event bus.
            ("TDS_RENEWAL_POLL_S", std::ffi::OsStr::new("3600")),
        ],
    ));

    // One simulated gateway with its own certificate, publishing over mTLS.
    let sim = simulator(&db.url, &env, &mqtt, &fleet_dir, false);
    eventually(
        Duration::from_secs(60),
        "the simulated gateway's readings are stored",
        || async { readings(&db.db).await > 0 },
    )
    .await;
    let gw = gateway::Entity::find().one(&db.db).await.unwrap().unwrap();
    let dir = fleet_dir.join(gw.mac.replace(':', ""));
    let original = certificate::Entity::find()
        .filter(certificate::Column::GatewayId.eq(gw.id))
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serial_on_disk(&dir, &gw.mac), original.serial);
    // Keep the original identity to show the broker refuses it later.
    let old_identity = root.join("old");
    std::fs::create_dir_all(&old_identity).unwrap();
    std::fs::copy(dir.join("cert.pem"), old_identity.join("gw.pem")).unwrap();
    std::fs::copy(dir.join("key.pem"), old_identity.join("gw.key")).unwrap();
    let old = pair(&old_identity, "gw");
    let tenant = tds_testkit::admin_of(&db.db, gw.account_id).await;
    // What `renewCertificateNow` does: schedule, then tell the workers.
    let events =
        tds_bus::EventBus::redis("redis://127.0.0.1:6379", &format!("tds-test:{tag}:events"))
            .await
            .unwrap();
    let renew_now = || async {
        let r = tds_domain::renewals::renew_now(&db.db, &tenant, gw.id, Utc::now())
            .await
            .unwrap();
        events
            .publish(&tds_bus::Event::RenewalScheduled { renewal_id: r.id })
            .await
            .unwrap();
        r
    };

    // 1. Server-key renewal: applied, old certificate superseded and refused once the broker reloads.
    let r1 = renew_now().await;
    let r1 = wait_state(&db.db, r1.id, RenewalState::Applied).await;
    let successor = cert(&db.db, r1.new_certificate_id.unwrap()).await;
    assert_eq!(successor.status, CertificateStatus::Active);
    assert_eq!(
        cert(&db.db, original.id).await.status,
        CertificateStatus::Superseded
    );
    assert_eq!(
        serial_on_disk(&dir, &gw.mac),
        successor.serial,
        "the firmware switched"
    );
    eventually(
        Duration::from_secs(10),
        "the firmware's ack is delivered",
        || async { !dir.join("ack.pending.json").exists() },
    )
    .await;
    assert!(
        dir.join("cert.pem.bak").exists(),
        "the way back is kept until the next switch"
    );
    eventually(
        Duration::from_secs(10),
        "the retained update is cleared",
        || async {
            renewal_log(&db.db, r1.id)
                .await
                .contains(&RenewalStep::RetainedCleared)
        },
    )
    .await;
    let crl = Command::new("openssl")
        .args(["crl", "-noout", "-text", "-in"])
        .arg(broker_dir.join("crl.pem"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&crl.stdout).contains(&original.serial.to_uppercase()),
        "the broker's CRL lists the superseded certificate"
    );
    Command::new("kill")
        .args(["-HUP", &broker.child.id().to_string()])
        .status()
        .unwrap();
    let telemetry = format!("tds_new/devices/{}/telemetry", gw.mac);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while publish(&broker, &ca, Some(&old), &telemetry, "{}", false) {
        assert!(
            std::time::Instant::now() < deadline,
            "the superseded certificate still connects"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    keeps_publishing(
        &db.db,
        "the gateway keeps publishing with its new certificate",
    )
    .await;

    // A malformed ack from the gateway is kept as a dead letter with its reason.
    let identity = (dir.join("cert.pem"), dir.join("key.pem"));
    let ack_topic = format!("tds_new/devices/{}/cert_update/ack", gw.mac);
    assert!(publish(
        &broker,
        &ca,
        Some(&identity),
        &ack_topic,
        "not json",
        false
    ));
    eventually(
        Duration::from_secs(20),
        "the bad ack is dead-lettered",
        || async {
            dead_letter::Entity::find()
                .filter(dead_letter::Column::Reason.eq("BAD_ACK"))
                .count(&db.db)
                .await
                .unwrap()
                == 1
        },
    )
    .await;

    // 2. The firmware rolls back: it stays on its certificate, the successor is revoked.
    drop(sim);
    let sim = simulator(&db.url, &env, &mqtt, &fleet_dir, true);
    let r2 = renew_now().await;
    let r2 = wait_state(&db.db, r2.id, RenewalState::RolledBack).await;
    assert!(r2.error.unwrap().contains("fault injected"));
    assert_eq!(
        cert(&db.db, r2.new_certificate_id.unwrap()).await.status,
        CertificateStatus::Revoked
    );
    assert_eq!(
        cert(&db.db, successor.id).await.status,
        CertificateStatus::Active
    );
    assert_eq!(
        serial_on_disk(&dir, &gw.mac),
        successor.serial,
        "back on its certificate"
    );
    keeps_publishing(&db.db, "the gateway keeps publishing after the rollback").await;

    // 3. CSR mode: the gateway keeps its key; the certificate carries it.
    drop(sim);
    let patch = tds_domain::gateways::GatewayPatch {
        renewal_mode: Some(RenewalMode::Csr),
        ..Default::default()
    };
    tds_domain::gateways::update_gateway(&db.db, &tenant, gw.id, patch, Utc::now())
        .await
        .unwrap();
    let _sim = simulator(&db.url, &env, &mqtt, &fleet_dir, false);
    let r3 = renew_now().await;
    let r3 = wait_state(&db.db, r3.id, RenewalState::Applied).await;
    let third = cert(&db.db, r3.new_certificate_id.unwrap()).await;
    assert_eq!(serial_on_disk(&dir, &gw.mac), third.serial);
    let on_disk = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    assert!(tds_certs::key_matches(&on_disk, &key).unwrap());
    assert!(
        renewal_log(&db.db, r3.id)
            .await
            .contains(&RenewalStep::CsrReceived)
    );
    keeps_publishing(&db.db, "the gateway keeps publishing after the CSR renewal").await;

    tds_testkit::forget_redis_namespace("redis://127.0.0.1:6379", &format!("tds-test:{tag}:"))
        .await;
    let _ = std::fs::remove_dir_all(&root);
}

//! Backup, wipe, restore, as an operator does it with the `tds` binary: the same rows,
//! readings, certificates and CA afterwards; and the backups a restore must refuse.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Duration, SubsecRound, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryOrder, Set, Statement,
};
use serde_json::Value;
use tds_entity::{certificate, dead_letter, reading, user};
use tds_testkit::{Backend, TestDb, TestGateway, seed_fleet};
use uuid::Uuid;

/// A directory of the test's own, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("tds-backup-{}", Uuid::new_v4().simple())))
    }

    fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tds(db_url: &str, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(args)
        .env("DATABASE_URL", db_url)
        .env("TDS_DATA_DIR", data_dir)
        .env("TDS_LOG", "warn")
        .env_remove("TDS_BROKER_DIR")
        .env_remove("TDS_CONFIG")
        .output()
        .unwrap()
}

/// Runs `tds` and expects success; its stdout.
fn tds_ok(db_url: &str, data_dir: &Path, args: &[&str]) -> String {
    let out = tds(db_url, data_dir, args);
    assert!(
        out.status.success(),
        "tds {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs `tds` and expects a failure told in one line; that line.
fn tds_refused(db_url: &str, data_dir: &Path, args: &[&str]) -> String {
    let out = tds(db_url, data_dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert!(!out.status.success(), "tds {args:?} should fail");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn sea_backend(db: &TestDb) -> DatabaseBackend {
    match db.backend() {
        Backend::Postgres => DatabaseBackend::Postgres,
        Backend::Sqlite => DatabaseBackend::Sqlite,
    }
}

async fn scalar(db: &TestDb, sql: &str) -> i64 {
    db.db
        .query_one_raw(Statement::from_string(sea_backend(db), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// What a user would compare: rows per table (a partitioned table once), every reading,
/// certificate, user and dead letter.
#[derive(Debug, PartialEq)]
struct Contents {
    rows: BTreeMap<String, i64>,
    readings: Vec<reading::Model>,
    certificates: Vec<certificate::Model>,
    users: Vec<user::Model>,
    dead_letters: Vec<dead_letter::Model>,
}

async fn contents(db: &TestDb) -> Contents {
    let list = match db.backend() {
        Backend::Postgres => {
            "SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        }
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
    };
    let mut rows = BTreeMap::new();
    for row in db
        .db
        .query_all_raw(Statement::from_string(sea_backend(db), list))
        .await
        .unwrap()
    {
        let name: String = row.try_get("", "name").unwrap();
        let n = scalar(db, &format!("SELECT count(*) AS n FROM \"{name}\"")).await;
        rows.insert(name, n);
    }
    let conn: &DatabaseConnection = &db.db;
    Contents {
        rows,
        readings: reading::Entity::find()
            .order_by_asc(reading::Column::DeviceId)
            .order_by_asc(reading::Column::Time)
            .all(conn)
            .await
            .unwrap(),
        certificates: certificate::Entity::find()
            .order_by_asc(certificate::Column::Id)
            .all(conn)
            .await
            .unwrap(),
        users: user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(conn)
            .await
            .unwrap(),
        dead_letters: dead_letter::Entity::find()
            .order_by_asc(dead_letter::Column::Id)
            .all(conn)
            .await
            .unwrap(),
    }
}

/// `per_device` readings of every device, 1 h 37 min 13.123456 s apart, ending 80 days
/// ago (before the partitions `migrate` creates), with values of full double precision
/// and raw JSON holding quotes, a backslash, a newline and an accent; plus a dead letter
/// with binary bytes.
async fn seed_history(db: &TestDb, account: Uuid, gateways: &[TestGateway], per_device: u32) {
    let start = Utc::now().trunc_subsecs(0) - Duration::days(80);
    let step = Duration::microseconds(5_833_123_456);
    let mut rows = Vec::new();
    for gateway in gateways {
        for (k, (code, device)) in gateway.devices.iter().enumerate() {
            for i in 0..per_device {
                let value = 1_000.0 * k as f64 + f64::from(i) / 7.0 + 0.1;
                rows.push(reading::ActiveModel {
                    device_id: Set(*device),
                    time: Set(start - step * (per_device - i) as i32),
                    account_id: Set(account),
                    gateway_id: Set(gateway.id),
                    value: Set(value),
                    unit: Set("kWh".into()),
                    raw: Set(serde_json::json!({
                        "dispositivo_codigo": code, "valor": value, "unidade": "kWh",
                        "nota": "aspas \" barra \\ linha\nnova, ação",
                    })),
                });
            }
        }
    }
    for chunk in rows.chunks(500) {
        reading::Entity::insert_many(chunk.to_vec())
            .exec(&db.db)
            .await
            .unwrap();
    }
    dead_letter::Entity::insert(dead_letter::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(Some(account)),
        gateway_mac: Set(Some(gateways[0].mac.clone())),
        topic: Set("tds_new/devices/x/telemetry".into()),
        payload: Set(vec![0x00, 0xff, b'\\', b'"', b'\n', 0x7f]),
        reason: Set("BAD_JSON".into()),
        detail: Set("a \"quoted\" detail".into()),
        received_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
    })
    .exec(&db.db)
    .await
    .unwrap();
}

/// Issues a P-256 certificate for `mac` into `out`: (certificate path, serial).
fn issue(db_url: &str, data: &Path, mac: &str, out: &Path) -> (PathBuf, String) {
    let printed = tds_ok(
        db_url,
        data,
        &[
            "certs",
            "issue",
            "--mac",
            mac,
            "--algorithm",
            "p256",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let serial = printed
        .split("serial=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    (out.join(format!("{}.pem", mac.replace(':', ""))), serial)
}

#[tokio::test]
async fn backup_wipe_restore_gives_back_the_same_readings_certificates_and_ca() {
    let scratch = Scratch::new();
    let data = scratch.join("data");
    let backup = scratch.join("backup");
    let source = TestDb::migrated(Backend::Postgres).await;
    let url = source.url.clone();
    let (account, gateways) = seed_fleet(&source.db, "America/Sao_Paulo", 0x5b, 2, 3, true).await;
    seed_history(&source, account.id, &gateways, 1_000).await;
    tds_ok(&url, &data, &["certs", "init-ca"]);
    let (kept, _) = issue(&url, &data, &gateways[0].mac, &scratch.join("issued"));
    let (_, revoked) = issue(&url, &data, &gateways[1].mac, &scratch.join("revoked"));
    tds_ok(&url, &data, &["certs", "revoke", "--serial", &revoked]);

    let before = contents(&source).await;
    assert_eq!(before.rows["readings"], 6_000);
    assert_eq!(before.certificates.len(), 2);
    assert!(before.rows.len() >= 16, "{:?}", before.rows);
    assert!(
        scalar(&source, "SELECT count(*) AS n FROM readings_default").await > 0,
        "the seeded months have no partition of their own here"
    );
    let ca_cert = std::fs::read(data.join("pki/ca.pem")).unwrap();
    let ca_key = std::fs::read(data.join("pki/ca.key")).unwrap();

    let printed = tds_ok(&url, &data, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(
        printed.starts_with("backed up ") && printed.contains(" rows, ") && printed.contains(" s"),
        "{printed}"
    );
    assert_eq!(mode(&backup), 0o700);
    for private in ["pki/ca.key", "tables/users.jsonl", "tables/readings.jsonl"] {
        assert_eq!(mode(&backup.join(private)), 0o600, "{private}");
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["backend"], "postgres");
    assert_eq!(
        manifest["migrations"],
        serde_json::json!(tds_migration::migration_names())
    );
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"pki/ca.key") && listed.contains(&"tables/readings.jsonl"));
    let readings_entry = manifest["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "readings")
        .unwrap();
    assert_eq!(readings_entry["rows"], 6_000);

    // Wipe: the database and the data directory are gone.
    drop(source);
    std::fs::remove_dir_all(&data).unwrap();
    let target = TestDb::empty(Backend::Postgres).await;

    let printed = tds_ok(
        &target.url,
        &data,
        &["restore", "--from", backup.to_str().unwrap()],
    );
    assert!(printed.starts_with("restored "), "{printed}");
    assert_eq!(contents(&target).await, before);
    assert_eq!(
        scalar(&target, "SELECT count(*) AS n FROM readings_default").await,
        0,
        "restored readings go to partitions of their months"
    );
    assert_eq!(std::fs::read(data.join("pki/ca.pem")).unwrap(), ca_cert);
    assert_eq!(std::fs::read(data.join("pki/ca.key")).unwrap(), ca_key);
    assert_eq!(mode(&data.join("pki/ca.key")), 0o600);
    let cert = std::fs::read_to_string(&kept).unwrap();
    let ca = String::from_utf8(ca_cert).unwrap();
    tds_certs::check_issued_by(&ca, &cert, &gateways[0].mac, Utc::now())
        .expect("a certificate issued before the backup verifies against the restored CA");
    // The CRL was rewritten from the restored rows, and the CA signs again.
    assert!(data.join("pki/crl.pem").exists());
    let crl = scratch.join("crl.pem");
    let printed = tds_ok(
        &target.url,
        &data,
        &["certs", "crl", "--out", crl.to_str().unwrap()],
    );
    assert!(printed.ends_with("(1 revoked)"), "{printed}");
}

#[tokio::test]
async fn restore_refuses_a_tampered_backup_a_database_in_use_and_another_ca() {
    let scratch = Scratch::new();
    let data = scratch.join("data");
    let backup = scratch.join("backup");
    let source = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&source.db, "UTC", 0x5c, 1, 2, false).await;
    seed_history(&source, account.id, &gateways, 50).await;
    tds_ok(&source.url, &data, &["certs", "init-ca"]);
    let backup_arg = backup.to_str().unwrap();
    tds_ok(&source.url, &data, &["backup", "--out", backup_arg]);
    let before = contents(&source).await;

    let again = tds_refused(&source.url, &data, &["backup", "--out", backup_arg]);
    assert!(again.contains("not empty"), "{again}");

    // A database with rows: refused, then replaced with --force.
    let in_use = tds_refused(&source.url, &data, &["restore", "--from", backup_arg]);
    assert!(
        in_use.contains("not empty") && in_use.contains("--force"),
        "{in_use}"
    );
    tds_ok(
        &source.url,
        &data,
        &[
            "users",
            "create",
            "--email",
            "late@example.com",
            "--password",
            "long enough",
        ],
    );
    tds_ok(
        &source.url,
        &data,
        &["restore", "--from", backup_arg, "--force"],
    );
    assert_eq!(
        contents(&source).await,
        before,
        "--force puts back the backup's rows exactly"
    );

    // An altered file: refused before the database is even migrated.
    let fresh = TestDb::empty(Backend::Postgres).await;
    let fresh_data = scratch.join("fresh-data");
    let file = backup.join("tables/readings.jsonl");
    let original = std::fs::read(&file).unwrap();
    let mut altered = original.clone();
    let digit = altered.iter().position(u8::is_ascii_digit).unwrap();
    altered[digit] = if altered[digit] == b'9' { b'8' } else { b'9' };
    std::fs::write(&file, &altered).unwrap();
    let tampered = tds_refused(&fresh.url, &fresh_data, &["restore", "--from", backup_arg]);
    assert!(
        tampered.contains("tables/readings.jsonl") && tampered.contains("checksum"),
        "{tampered}"
    );
    std::fs::write(&file, &original).unwrap();
    let tables = "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'";
    assert_eq!(scalar(&fresh, tables).await, 0);
    assert!(!fresh_data.exists());

    // A backup of another schema: refused, saying what to do.
    let manifest_path = backup.join("manifest.json");
    let manifest = std::fs::read(&manifest_path).unwrap();
    let mut older: Value = serde_json::from_slice(&manifest).unwrap();
    older["migrations"].as_array_mut().unwrap().pop();
    std::fs::write(&manifest_path, serde_json::to_vec(&older).unwrap()).unwrap();
    let schema = tds_refused(&fresh.url, &fresh_data, &["restore", "--from", backup_arg]);
    assert!(
        schema.contains("predates") && schema.contains("tds migrate"),
        "{schema}"
    );
    std::fs::write(&manifest_path, &manifest).unwrap();

    // Another CA in the data directory: kept, and nothing restored.
    tds_ok(&fresh.url, &fresh_data, &["certs", "init-ca"]);
    let other_ca = tds_refused(&fresh.url, &fresh_data, &["restore", "--from", backup_arg]);
    assert!(
        other_ca.contains("different CA") && other_ca.contains("--force"),
        "{other_ca}"
    );
    assert_eq!(scalar(&fresh, tables).await, 0);

    // With the same CA in place, the restore goes through.
    std::fs::remove_dir_all(&fresh_data).unwrap();
    tds_ok(&fresh.url, &data, &["restore", "--from", backup_arg]);
    assert_eq!(contents(&fresh).await, before);
}

#[tokio::test]
async fn sqlite_backup_restores_into_a_new_file() {
    let scratch = Scratch::new();
    let data = scratch.join("data");
    let backup = scratch.join("backup");
    let source = TestDb::migrated(Backend::Sqlite).await;
    let (account, gateways) = seed_fleet(&source.db, "UTC", 0x5d, 1, 2, true).await;
    seed_history(&source, account.id, &gateways, 200).await;
    tds_ok(&source.url, &data, &["certs", "init-ca"]);
    let (kept, _) = issue(
        &source.url,
        &data,
        &gateways[0].mac,
        &scratch.join("issued"),
    );
    let before = contents(&source).await;
    assert_eq!(before.rows["readings"], 400);

    let backup_arg = backup.to_str().unwrap();
    tds_ok(&source.url, &data, &["backup", "--out", backup_arg]);
    assert_eq!(mode(&backup.join("database.sqlite")), 0o600);
    drop(source);
    std::fs::remove_dir_all(&data).unwrap();

    let target = TestDb::empty(Backend::Sqlite).await;
    tds_ok(&target.url, &data, &["restore", "--from", backup_arg]);
    assert_eq!(contents(&target).await, before);
    let names: Vec<String> = std::fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("-wal") || n.ends_with("-journal")),
        "reading the backup leaves it as it was: {names:?}"
    );
    let ca = std::fs::read_to_string(data.join("pki/ca.pem")).unwrap();
    let cert = std::fs::read_to_string(&kept).unwrap();
    tds_certs::check_issued_by(&ca, &cert, &gateways[0].mac, Utc::now()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_rows_arrive_holds_one_moment_of_the_database() {
    use sea_orm::TransactionTrait;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    let scratch = Scratch::new();
    let backup = scratch.join("backup");
    let source = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&source.db, "UTC", 0x5e, 1, 1, false).await;
    // Dead letters are read just before readings: many of them make a window in which
    // rows arrive between the two reads, unless both are read from one snapshot.
    source
        .db
        .execute_unprepared(&format!(
            "INSERT INTO dead_letters (id, account_id, gateway_mac, topic, payload, reason, detail, received_at, created_at) \
             SELECT gen_random_uuid(), '{}', NULL, 't', '\\x01', 'BAD_JSON', repeat('x', 200), now(), now() \
             FROM generate_series(1, 30000)",
            account.id
        ))
        .await
        .unwrap();
    // A writer commits a reading and a dead letter together, again and again: a snapshot
    // holds as many new ones of each; tables read at different moments would not.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, stop, written) = (source.db.clone(), stop.clone(), written.clone());
        let (device, gateway) = (gateways[0].devices[0].1, gateways[0].id);
        tokio::spawn(async move {
            let start = Utc::now().trunc_subsecs(0);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let txn = db.begin().await.unwrap();
                reading::Entity::insert(reading::ActiveModel {
                    device_id: Set(device),
                    time: Set(start + Duration::seconds(n)),
                    account_id: Set(account.id),
                    gateway_id: Set(gateway),
                    value: Set(n as f64),
                    unit: Set("kWh".into()),
                    raw: Set(serde_json::json!({"valor": n})),
                })
                .exec(&txn)
                .await
                .unwrap();
                dead_letter::Entity::insert(dead_letter::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    account_id: Set(Some(account.id)),
                    gateway_mac: Set(None),
                    topic: Set("t".into()),
                    payload: Set(vec![1]),
                    reason: Set("BAD_JSON".into()),
                    detail: Set(String::new()),
                    received_at: Set(Utc::now()),
                    created_at: Set(Utc::now()),
                })
                .exec(&txn)
                .await
                .unwrap();
                txn.commit().await.unwrap();
                written.store(n as u64, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let at_start = written.load(Ordering::Relaxed);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["backup", "--out", backup.to_str().unwrap()])
        .env("DATABASE_URL", &source.url)
        .env("TDS_DATA_DIR", scratch.join("data"))
        .env("TDS_LOG", "warn")
        .output()
        .await
        .unwrap();
    let at_end = written.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(at_end > at_start, "rows arrived while the backup ran");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let rows = |table: &str| {
        manifest["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == table)
            .unwrap()["rows"]
            .as_u64()
            .unwrap()
    };
    let (readings, letters) = (rows("readings"), rows("dead_letters") - 30_000);
    assert_eq!(readings, letters, "one moment: as many of each");
    assert!(
        (at_start..=at_end).contains(&readings),
        "{readings} new rows, written {at_start}..{at_end}"
    );
}

//! The `tds` command line as an operator scripts it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::{Command, Output};

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tds_testkit::{Backend, TestDb};

fn tds(database_url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("TDS_LOG", "warn")
        .output()
        .expect("tds runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

async fn table_count(db: &TestDb) -> i64 {
    let sql = match db.backend() {
        Backend::Postgres => "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
        Backend::Sqlite => "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'",
    };
    let backend = if db.backend() == Backend::Postgres {
        DatabaseBackend::Postgres
    } else {
        DatabaseBackend::Sqlite
    };
    let row = db
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn migrate_twice(backend: Backend) {
    let db = TestDb::empty(backend).await;
    assert_eq!(table_count(&db).await, 0);
    let first = tds(&db.url, &["migrate"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let tables = table_count(&db).await;
    assert!(tables >= 16, "{tables} tables");
    let second = tds(&db.url, &["migrate"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(
        table_count(&db).await,
        tables,
        "a second run changes nothing"
    );
    let expected = if backend == Backend::Postgres {
        "Partitioned"
    } else {
        "Plain"
    };
    assert!(stdout(&second).contains(expected), "{}", stdout(&second));
}

#[tokio::test]
async fn migrate_twice_on_postgres() {
    migrate_twice(Backend::Postgres).await;
}

#[tokio::test]
async fn migrate_twice_on_sqlite() {
    migrate_twice(Backend::Sqlite).await;
}

#[tokio::test]
async fn users_and_accounts_from_the_command_line() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let created = tds(
        &db.url,
        &[
            "users",
            "create",
            "--email",
            "Ops@Example.com",
            "--password",
            "long enough",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        uuid::Uuid::parse_str(&stdout(&created)).is_ok(),
        "prints the new id"
    );

    let again = tds(
        &db.url,
        &[
            "users",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "long enough",
        ],
    );
    assert!(!again.status.success());
    assert_eq!(
        stderr(&again).lines().count(),
        1,
        "one line: {}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("already exists"));

    let account = tds(
        &db.url,
        &[
            "accounts",
            "create",
            "--name",
            "Condomínio Azul",
            "--admin",
            "ops@example.com",
        ],
    );
    assert!(account.status.success(), "{}", stderr(&account));
    let account_id = stdout(&account);

    for (args, needle) in [
        (
            vec![
                "accounts",
                "create",
                "--name",
                "X",
                "--admin",
                "ghost@example.com",
            ],
            "no user",
        ),
        (
            vec![
                "accounts",
                "create",
                "--name",
                "X",
                "--admin",
                "ops@example.com",
                "--timezone",
                "Nowhere/Land",
            ],
            "timezone",
        ),
        (
            vec![
                "accounts",
                "create",
                "--name",
                "X",
                "--admin",
                "ops@example.com",
                "--tax-id",
                "11.222.333/0001-82",
            ],
            "taxId",
        ),
        (
            vec![
                "users",
                "create",
                "--email",
                "not-an-email",
                "--password",
                "long enough",
            ],
            "e-mail",
        ),
        (
            vec![
                "users",
                "create",
                "--email",
                "a@b.example",
                "--password",
                "short",
            ],
            "password",
        ),
    ] {
        let out = tds(&db.url, &args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }

    let backend = DatabaseBackend::Sqlite;
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT count(*) AS n FROM accounts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<i64>("", "n").unwrap(),
        1,
        "failed commands wrote nothing"
    );
    assert!(!account_id.is_empty());

    let help = Command::new(env!("CARGO_BIN_EXE_tds"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success() && stdout(&help).contains("migrate"));
}

#[tokio::test]
async fn bench_query_prints_one_json_object() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let out = tds(
        &db.url,
        &[
            "bench",
            "query",
            "--json",
            "--gateways",
            "5",
            "--devices",
            "2",
            "--iterations",
            "5",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let figures: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(figures["gateways"], 5);
    assert_eq!(
        figures["sql_statements_in_query"], 2,
        "gateways + one batched devices query"
    );
    assert!(figures["p95_ms"].as_f64().unwrap() > 0.0);
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) AS n FROM gateways",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<i64>("", "n").unwrap(),
        0,
        "the scratch tenant is removed"
    );
}

#[tokio::test]
async fn simulate_provisions_a_fleet_and_publishes() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let out = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args([
            "simulate",
            "--gateways",
            "2",
            "--devices",
            "2",
            "--interval",
            "0.2",
            "--duration",
            "1",
            "--account",
            "Sim test",
        ])
        .env("DATABASE_URL", &db.url)
        .env("MQTT_URL", "mqtt://127.0.0.1:1883")
        .env("TDS_LOG", "warn")
        .output()
        .expect("tds runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let published: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("published ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no count in {text}"));
    assert!(
        (8..=10).contains(&published),
        "2 gateways every 0.2 s for 1 s: {published}"
    );
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) AS n FROM devices",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 4);
    // Running again reuses the fleet.
    let again = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args([
            "simulate",
            "--gateways",
            "2",
            "--devices",
            "2",
            "--interval",
            "0.5",
            "--duration",
            "1",
            "--account",
            "Sim test",
        ])
        .env("DATABASE_URL", &db.url)
        .env("TDS_LOG", "warn")
        .output()
        .expect("tds runs");
    assert!(again.status.success(), "{}", stderr(&again));
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT count(*) AS n FROM gateways",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 2);
}

#[tokio::test]
async fn certificates_from_the_command_line() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (_, gateways) = tds_testkit::seed_fleet(&db.db, "UTC", 0x70, 1, 1, false).await;
    let mac = gateways[0].mac.clone();
    let dir = std::env::temp_dir().join(format!("tds-cli-pki-{}", uuid::Uuid::new_v4().simple()));
    let data = dir.join("data");
    let certs = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tds"))
            .arg("certs")
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("TDS_DATA_DIR", &data)
            .env(
                "TDS_EVENT_CHANNEL",
                format!("tds-test:{}:events", uuid::Uuid::new_v4().simple()),
            )
            .env("TDS_LOG", "warn")
            .output()
            .expect("tds runs")
    };
    assert!(certs(&["init-ca"]).status.success());
    let again = certs(&["init-ca"]);
    assert!(!again.status.success() && stderr(&again).contains("refusing to overwrite"));

    let out = dir.join("bundle");
    let issued = certs(&[
        "issue",
        "--mac",
        &mac.to_uppercase(),
        "--algorithm",
        "p256",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(issued.status.success(), "{}", stderr(&issued));
    let serial = stdout(&issued)
        .split("serial=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let cert = out.join(format!("{}.pem", mac.replace(':', "")));
    let ca = out.join("ca.pem");
    let verify = |crl: Option<&std::path::Path>| {
        let mut cmd = Command::new("openssl");
        cmd.arg("verify").arg("-CAfile").arg(&ca);
        if let Some(crl) = crl {
            cmd.arg("-crl_check").arg("-CRLfile").arg(crl);
        }
        cmd.arg(&cert).output().unwrap()
    };
    assert!(verify(None).status.success());

    for (args, needle) in [
        (
            vec!["revoke", "--serial", "deadbeef"],
            "no certificate has serial deadbeef",
        ),
        (
            vec!["revoke", "--serial", serial.as_str(), "--reason", "bored"],
            "unknown reason",
        ),
        (vec!["issue", "--mac", "not-a-mac", "--out", "/tmp"], "mac"),
        (
            vec!["issue", "--mac", "02:99:99:99:99:99", "--out", "/tmp"],
            "register it first",
        ),
        (
            vec![
                "issue",
                "--mac",
                mac.as_str(),
                "--algorithm",
                "dsa",
                "--out",
                "/tmp",
            ],
            "--algorithm",
        ),
    ] {
        let r = certs(&args);
        assert!(!r.status.success(), "{args:?}");
        assert_eq!(stderr(&r).lines().count(), 1, "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(needle), "{args:?}: {}", stderr(&r));
    }

    // Renew now, from the command line: scheduled once, a second time refused.
    let renewed = certs(&["renew", "--mac", &mac]);
    assert!(renewed.status.success(), "{}", stderr(&renewed));
    assert!(
        stdout(&renewed).contains("SCHEDULED"),
        "{}",
        stdout(&renewed)
    );
    let again = certs(&["renew", "--mac", &mac]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already in flight"),
        "{}",
        stderr(&again)
    );
    let unknown = certs(&["renew", "--mac", "02:99:99:99:99:99"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no gateway has MAC"));

    let revoked = certs(&[
        "revoke",
        "--serial",
        &serial.to_uppercase(),
        "--reason",
        "key-compromise",
    ]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    // Revoking the certificate stops its renewal: no new key for a compromised identity.
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT state FROM certificate_renewals",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "state").unwrap(), "FAILED");
    let crl = data.join("pki").join("crl.pem");
    let check = verify(Some(&crl));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        !check.status.success() && said.contains("revoked"),
        "{said}"
    );
    let row = db
        .db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Sqlite,
            "SELECT status, revocation_reason FROM certificates",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "status").unwrap(), "REVOKED");
    let twice = certs(&["revoke", "--serial", &serial]);
    assert!(!twice.status.success() && stderr(&twice).contains("already revoked"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn certificate_batches_are_all_or_nothing() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (_, gateways) = tds_testkit::seed_fleet(&db.db, "UTC", 0x72, 2, 1, false).await;
    let dir = std::env::temp_dir().join(format!("tds-batch-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let certs = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tds"))
            .arg("certs")
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env("TDS_DATA_DIR", dir.join("data"))
            .env("TDS_LOG", "warn")
            .output()
            .expect("tds runs")
    };
    assert!(certs(&["init-ca"]).status.success());
    let count = || async {
        let row = db
            .db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT count(*) AS n FROM certificates",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "mac,algorithm\n{},p256\n02:72:ff:ff:ff:ff,p256\n",
            gateways[0].mac
        ),
    )
    .unwrap();
    let zip = dir.join("out.zip");
    let r = certs(&[
        "batch",
        "--csv",
        bad.to_str().unwrap(),
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert!(!r.status.success());
    assert_eq!(stderr(&r).lines().count(), 1);
    assert!(
        stderr(&r).contains("row 2") && stderr(&r).contains("02:72:ff:ff:ff:ff"),
        "{}",
        stderr(&r)
    );
    assert_eq!(count().await, 0, "nothing recorded");
    assert!(!zip.exists(), "nothing written");
    let twice = dir.join("twice.csv");
    std::fs::write(&twice, format!("mac\n{0}\n{0}\n", gateways[0].mac)).unwrap();
    let r = certs(&[
        "batch",
        "--csv",
        twice.to_str().unwrap(),
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert!(
        stderr(&r).contains("row 2") && stderr(&r).contains("twice"),
        "{}",
        stderr(&r)
    );

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        format!(
            "mac,algorithm\n{},p256\n{},\n",
            gateways[0].mac.to_uppercase(),
            gateways[1].mac
        ),
    )
    .unwrap();
    let r = certs(&[
        "batch",
        "--csv",
        good.to_str().unwrap(),
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(count().await, 2);
    // Read the zip with Python's zipfile (not our code).
    let listing = Command::new("python3")
        .args(["-c", "import sys, zipfile; print('\\n'.join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))", zip.to_str().unwrap()])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listing.stdout).to_string();
    let (a, b) = (
        gateways[0].mac.replace(':', ""),
        gateways[1].mac.replace(':', ""),
    );
    let expected: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|n| ["ca.pem", "cert.pem", "key.pem"].map(|f| format!("{n}/{f}")))
        .collect();
    assert_eq!(
        names.lines().map(str::to_owned).collect::<Vec<_>>(),
        expected
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `tds serve` with the api and a secret as given; `None` unsets it.
fn serve_api(db_url: &str, secret: Option<&str>, addr: &str) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tds"));
    command
        .args(["serve", "--only", "api"])
        .env("DATABASE_URL", db_url)
        .env("TDS_HTTP_ADDR", addr)
        .env("TDS_LOG", "warn")
        .env(
            "TDS_EVENT_CHANNEL",
            format!("tds-test:{}:events", uuid::Uuid::new_v4().simple()),
        )
        .env_remove("TDS_JWT_SECRET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(secret) = secret {
        command.env("TDS_JWT_SECRET", secret);
    }
    command.spawn().unwrap()
}

/// Waits for `child` to exit; kills it and fails if it is still running after `within`.
fn exits_within(mut child: std::process::Child, within: std::time::Duration) -> Output {
    let deadline = std::time::Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "still running after {within:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A random signing secret per process breaks sign-in across replicas and restarts:
/// the api refuses to start without a real one.
#[tokio::test]
async fn serve_refuses_to_run_the_api_without_a_long_jwt_secret() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    for (secret, expected) in [
        (None, "TDS_JWT_SECRET is not set"),
        (Some(""), "TDS_JWT_SECRET is not set"),
        (
            Some("0123456789abcdef0123456789abcde"),
            "TDS_JWT_SECRET has 31 bytes",
        ),
    ] {
        let serve = serve_api(&db.url, secret, "127.0.0.1:0");
        let output = exits_within(serve, std::time::Duration::from_secs(30));
        assert!(!output.status.success(), "{secret:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(expected), "{secret:?}: {err}");
        assert!(err.contains("32"), "says what is needed: {err}");
    }

    // 32 bytes: the api comes up and answers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = serve_api(
        &db.url,
        Some("0123456789abcdef0123456789abcdef"),
        &format!("127.0.0.1:{port}"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let healthy = loop {
        use std::io::{Read, Write};
        if let Some(status) = serve.try_wait().unwrap() {
            panic!("serve exited: {status}");
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut reply = String::new();
            let _ = s.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                break true;
            }
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    serve.kill().unwrap();
    let _ = serve.wait();
    assert!(healthy, "the api answers /healthz with a 32-byte secret");
}

/// Sign-in and session settings come from the environment and are checked at start.
#[test]
fn auth_settings_are_read_and_checked() {
    let out = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["migrate"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("TDS_LOG", "warn")
        .env("TDS_SESSION_RECHECK_S", "600")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("TDS_SESSION_RECHECK_S: 600"),
        "{}",
        stderr(&out)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["migrate"])
        .env("DATABASE_URL", "sqlite::memory:")
        .env("TDS_LOG", "warn")
        .env("TDS_TRUSTED_PROXIES", "10.0.0.1, not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not-an-address"), "{}", stderr(&out));
}

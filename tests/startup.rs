//! Starting a command as an operator meets it: a database that was never migrated is
//! named as such, and no password of a URL setting ever reaches the output.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use tds_testkit::{Backend, TestDb, backend_tests};

const SECRET: &str = "s3cret";

fn tds(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tds"));
    // Commands that start the api need a signing secret; the rest ignore it.
    cmd.args(args)
        .env("TDS_LOG", "debug")
        .env("TDS_JWT_SECRET", "0123456789abcdef0123456789abcdef");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn last_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Settings with passwords, as operators write them.
fn secret_settings(database_url: &str, redis_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url.to_owned()),
        ("REDIS_URL", redis_url.to_owned()),
        ("SMTP_URL", format!("smtp://alerts:{SECRET}@127.0.0.1:1")),
        ("MQTT_URL", format!("mqtt://ingest:{SECRET}@127.0.0.1:1")),
        ("TDS_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        (
            "TDS_JWT_SECRET",
            "a-jwt-secret-of-at-least-32-bytes-length".to_owned(),
        ),
    ]
}

fn with_password(url: &str) -> String {
    url.replacen("postgres@", &format!("postgres:{SECRET}@"), 1)
}

#[tokio::test]
async fn url_passwords_never_reach_the_output_of_failed_starts() {
    let unreachable_db = format!("postgres://postgres:{SECRET}@127.0.0.1:1/x");
    let env = secret_settings(&unreachable_db, &format!("redis://:{SECRET}@127.0.0.1:1"));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let migrate = tds(&env, &["migrate"]);
    assert!(!migrate.status.success());
    let shown = all_output(&migrate);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        last_line(&migrate).contains("postgres://postgres:***@127.0.0.1:1/x"),
        "the operator still sees which database: {shown}"
    );

    // Redis unreachable: the service waits for it, and its one warning names the URL.
    let shown = output_until(
        &env,
        &["serve", "--only", "ingest"],
        "dependency unreachable",
    );
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("redis://:***@127.0.0.1:1"), "{shown}");

    // A reachable, migrated database (trust authentication ignores the password) and an
    // unreachable Redis: the event bus's connect error.
    let db = TestDb::migrated(Backend::Postgres).await;
    let reachable = with_password(&db.url);
    let env = secret_settings(&reachable, &format!("redis://:{SECRET}@127.0.0.1:1"));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let shown = output_until(&env, &["serve", "--only", "api"], "dependency unreachable");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("redis://:***@127.0.0.1:1"), "{shown}");
}

/// Runs `tds` until a line of its output contains `wanted` (30 s at most), then stops
/// it; everything it wrote by then.
fn output_until(env: &[(&str, &str)], args: &[&str], wanted: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(args)
        .envs(env.iter().copied())
        .env("TDS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !seen.iter().any(|l: &String| l.contains(wanted)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no line with '{wanted}' within 30 s: {}", seen.join("\n"));
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    seen.join("\n")
}

/// The lines `from` writes, as they come.
fn lines_of(from: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[tokio::test]
async fn serve_waits_for_redis_says_which_and_recovers_without_a_restart() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let redis_port = free_port();
    let http = format!("127.0.0.1:{}", free_port());
    let redis_url = format!("redis://127.0.0.1:{redis_port}");
    let tag = uuid::Uuid::new_v4().simple().to_string();
    // The api alone: it needs Redis, and an ingest here would subscribe to the shared
    // broker that other tests publish on.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["serve", "--only", "api"])
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", &redis_url)
        .env("MQTT_URL", "mqtt://127.0.0.1:1883")
        .env("TDS_HTTP_ADDR", &http)
        .env("TDS_INSTANCE", format!("startup-{tag}"))
        .env("TDS_JWT_SECRET", "a-jwt-secret-of-at-least-32-bytes-length")
        .env("TDS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stderr.take().unwrap());
    let mut child = Reaped(child);
    let readyz = || {
        let out = Command::new("curl")
            .args([
                "-s",
                "-w",
                "\n%{http_code}",
                &format!("http://{http}/readyz"),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().to_owned(), body.to_owned())
    };
    let until = |what: &str, check: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // Up and answering, unready, naming Redis and why.
    until("/readyz to name redis", &|| {
        let (code, body) = readyz();
        code == "503" && body.contains("\"redis\"") && body.contains("cannot reach Redis")
    });
    let graphql = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-X", "POST", "-H", "content-type: application/json"])
        .args([
            "--data",
            r#"{"query":"{ __typename }"}"#,
            &format!("http://{http}/graphql"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&graphql.stdout),
        "503",
        "GraphQL says it is starting"
    );

    let mut redis = Reaped(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    until("/readyz 200 after Redis came up", &|| readyz().0 == "200");
    let graphql = Command::new("curl")
        .args(["-s", "-X", "POST", "-H", "content-type: application/json"])
        .args([
            "--data",
            r#"{"query":"{ __typename }"}"#,
            &format!("http://{http}/graphql"),
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&graphql.stdout).contains("{\"data\":{\"__typename\":"),
        "the api answers without a restart: {}",
        String::from_utf8_lossy(&graphql.stdout)
    );
    child.stop();
    redis.stop();
    let said: Vec<String> = lines.try_iter().collect();
    let warnings: Vec<&String> = said
        .iter()
        .filter(|l| l.contains("dependency unreachable") && l.contains("redis"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "one line names the missing Redis: {said:#?}"
    );
}

/// A child process killed and reaped when dropped, so a failed assertion leaves nothing
/// running.
struct Reaped(std::process::Child);

impl Reaped {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn url_passwords_never_reach_the_output_of_a_running_service() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let env = secret_settings(&with_password(&db.url), "redis://127.0.0.1:6379");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["serve", "--only", "api"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("TDS_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("api ready")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => panic!("the api did not start: {}", lines.join("\n")),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        lines.push(line);
    }
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let shown = format!("{stdout}{}", lines.join("\n"));
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("postgres://postgres:***@") && shown.contains("smtp://alerts:***@"),
        "the settings are printed, masked: {shown}"
    );
}

async fn table_names(db: &TestDb) -> Vec<String> {
    let sql = match db.backend() {
        Backend::Postgres => "SELECT tablename AS n FROM pg_tables WHERE schemaname = 'public'",
        Backend::Sqlite => "SELECT name AS n FROM sqlite_master WHERE type = 'table'",
    };
    let backend = db.db.get_database_backend();
    db.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "n").unwrap())
        .collect()
}

/// Every command but `migrate` refuses a database that was never migrated, or that has
/// migrations pending, with one line saying what to do.
async fn commands_on_an_unmigrated_database_say_run_migrate(backend: Backend) {
    let db = TestDb::empty(backend).await;
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("TDS_HTTP_ADDR", "127.0.0.1:0"),
    ];
    // Checked before anything is written: this directory is never created.
    let backup_dir = std::env::temp_dir().join(format!(
        "tds-unmigrated-backup-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let commands: [&[&str]; 5] = [
        &[
            "users",
            "create",
            "--email",
            "a@x.example",
            "--password",
            "password123",
        ],
        &[
            "accounts",
            "create",
            "--name",
            "A",
            "--admin",
            "a@x.example",
        ],
        &["certs", "revoke", "--serial", "01"],
        &["serve", "--only", "api"],
        &["backup", "--out", backup_dir.to_str().unwrap()],
    ];
    for args in commands {
        let mut env = env.to_vec();
        let data =
            std::env::temp_dir().join(format!("tds-unmigrated-{}", uuid::Uuid::new_v4().simple()));
        if args[0] == "certs" {
            let out = tds(
                &[("TDS_DATA_DIR", data.to_str().unwrap())],
                &["certs", "init-ca"],
            );
            assert!(out.status.success());
        }
        env.push(("TDS_DATA_DIR", data.to_str().unwrap()));
        let out = tds(&env, args);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(
            last_line(&out),
            "error: database not migrated: run `tds migrate`",
            "{args:?}: {}",
            all_output(&out)
        );
        let _ = std::fs::remove_dir_all(data);
    }
    assert_eq!(
        table_names(&db).await,
        Vec::<String>::new(),
        "the check only reads"
    );
    assert!(!backup_dir.exists());

    let out = tds(&env, &["migrate"]);
    assert!(out.status.success(), "{}", all_output(&out));
    let out = tds(&env, commands[0]);
    assert!(out.status.success(), "{}", all_output(&out));

    // A build newer than the database: its last migration is pending.
    db.db
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm20261124_000008_renewal_runs'",
        )
        .await
        .unwrap();
    let out = tds(
        &env,
        &[
            "accounts",
            "create",
            "--name",
            "A",
            "--admin",
            "a@x.example",
        ],
    );
    assert_eq!(
        last_line(&out),
        "error: database not migrated: 1 migration(s) pending (m20261124_000008_renewal_runs): run `tds migrate`",
        "{}",
        all_output(&out)
    );
}

backend_tests!(commands_on_an_unmigrated_database_say_run_migrate);

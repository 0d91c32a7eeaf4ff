//! The web app as its users meet it: headless Chromium (Debian's `chromium`, driven by
//! Playwright from `web/e2e/`) against a real `tds serve` on its own database, Redis
//! namespace and MQTT share group, with readings published by `mosquitto_pub`.
//!
//! Needs `web/node_modules` (`npm ci` in `web/`) and Chromium; `.ci/run` provides both.
//! Missing either is a failure that says so, never a skip. The app is built from the
//! sources by the test itself (or taken from `TDS_E2E_WEB`).

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::Operator;
use tds_testkit::{Backend, TestDb, eventually, forget_redis_namespace};
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";
const SECRET: &str = "a test secret that is long enough for tds";
const PASSWORD: &str = "e2e-password-1";

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// Runs `program args` in web/, failing the test with its output.
fn in_web(program: &str, args: &[&str], env: &[(&str, &Path)]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(web_dir())
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .output()
        .unwrap_or_else(|e| panic!("{program} does not run ({e}): install Node.js"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn node_modules() {
    assert!(
        web_dir().join("node_modules/@playwright/test").is_dir(),
        "web/node_modules is missing: run `npm ci` in web/ (.ci/run does)"
    );
}

/// The app as built from the sources now: `TDS_E2E_WEB` when given (already built),
/// otherwise a fresh build into `scratch`, so the test never runs a stale app.
fn built_app(scratch: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("TDS_E2E_WEB") {
        return PathBuf::from(dir);
    }
    let out = scratch.join("build");
    // SvelteKit's working folder must sit inside web/ (its modules resolve from there).
    let kit = PathBuf::from(format!(".svelte-kit-e2e-{}", Uuid::new_v4().simple()));
    in_web("node", &["node_modules/@sveltejs/kit/svelte-kit.js", "sync"], &[]);
    in_web(
        "node",
        &["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"],
        &[("TDS_WEB_OUT", &out), ("TDS_WEB_KIT_DIR", &kit)],
    );
    let _ = std::fs::remove_dir_all(web_dir().join(&kit));
    out
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// A user and their memberships, made as the operator's command line makes them.
async fn user(db: &sea_orm::DatabaseConnection, email: &str, name: &str) -> Uuid {
    accounts::create_user(
        db,
        &Operator::command_line(),
        NewUser {
            email: email.into(),
            password: PASSWORD.into(),
            name: name.into(),
            is_superuser: false,
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .id
}

async fn account(
    db: &sea_orm::DatabaseConnection,
    name: &str,
    admin: Uuid,
    locale: &str,
) -> Uuid {
    accounts::create_account(
        db,
        &Operator::command_line(),
        NewAccount {
            name: name.into(),
            timezone: Some("America/Sao_Paulo".into()),
            locale: Some(locale.into()),
            ..Default::default()
        },
        admin,
        Utc::now(),
    )
    .await
    .unwrap()
    .id
}

async fn member(db: &sea_orm::DatabaseConnection, account: Uuid, user: Uuid, role: tds_entity::Role) {
    tds_entity::membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account),
        user_id: Set(user),
        role: Set(role),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        created_by: Set(None),
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_works_in_chromium() {
    let web = web_dir();
    node_modules();
    assert!(
        Path::new(&chromium()).is_file(),
        "no Chromium at {} (apt-get install chromium, or set CHROMIUM)",
        chromium()
    );

    let db = TestDb::migrated(Backend::Postgres).await;
    let admin = user(&db.db, "admin@e2e.test", "Ana Admin").await;
    let viewer = user(&db.db, "viewer@e2e.test", "Vítor Viewer").await;
    let alpha = account(&db.db, "Alpha Water", admin, "en").await;
    let beta = account(&db.db, "Beta Energy", admin, "pt-BR").await;
    member(&db.db, alpha, viewer, tds_entity::Role::Viewer).await;
    let _ = beta;

    let data_dir = std::env::temp_dir().join(format!("tds-web-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let app = built_app(&data_dir);
    tds_certs::init_ca(&data_dir, Utc::now()).unwrap();

    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_tds"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("REDIS_URL", REDIS)
            .env("MQTT_URL", MQTT)
            .env("TDS_JWT_SECRET", SECRET)
            .env("TDS_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("TDS_DATA_DIR", &data_dir)
            .env("TDS_WEB_DIR", &app)
            .env("TDS_PUBLIC_URL", &url)
            .env("TDS_INSTANCE", format!("web-{tag}"))
            .env("TDS_QUEUE", format!("{prefix}telemetry"))
            .env("TDS_EVENT_CHANNEL", format!("{prefix}events"))
            .env("TDS_NOTIFICATION_QUEUE", format!("{prefix}notifications"))
            .env("TDS_REPORT_QUEUE", format!("{prefix}reports"))
            .env("TDS_LIMITS_PREFIX", format!("{prefix}limits"))
            .env("TDS_MQTT_SHARE_GROUP", format!("tds-test-{tag}"))
            // The cross-origin spec: a frontend of a customer's own, on another origin.
            .env("TDS_CORS_ORIGINS", "http://customer-app.test")
            .env("TDS_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ready = format!("{url}/readyz");
    eventually(Duration::from_secs(60), "tds serve ready", || {
        let ready = ready.clone();
        async move { common::http::curl(&[&ready]).await.status == 200 }
    })
    .await;

    // Traces and screenshots of failures, kept when the test fails.
    let results = std::env::temp_dir().join(format!("tds-web-results-{tag}"));
    // `TDS_E2E_ONLY="e2e/alerts.spec.ts"` runs some specs (arguments to `playwright test`).
    let only = std::env::var("TDS_E2E_ONLY").unwrap_or_default();
    let output = tokio::process::Command::new("node")
        .args(["node_modules/@playwright/test/cli.js", "test", "--reporter=line"])
        .args(only.split_whitespace())
        .current_dir(&web)
        .env("TDS_E2E_URL", &url)
        .env("TDS_E2E_ADMIN", "admin@e2e.test")
        .env("TDS_E2E_VIEWER", "viewer@e2e.test")
        .env("TDS_E2E_PASSWORD", PASSWORD)
        .env("TDS_E2E_MQTT_HOST", "127.0.0.1")
        .env("TDS_E2E_MQTT_PORT", "1883")
        .env("CHROMIUM", chromium())
        .env("TDS_E2E_OUTPUT", &results)
        .output()
        .await
        .expect("node runs");
    // The platform stops before its queues are removed (its workers would complain).
    drop(serve);
    forget_redis_namespace(REDIS, &prefix).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(
        output.status.success(),
        "browser tests failed (traces in {}):\n{}\n{}",
        results.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&results);
}

/// The committed typed operations match `schema.graphql` and the operations in
/// `web/src/lib/operations` (graphql-codegen regenerates them into a scratch folder).
#[test]
fn the_web_apps_typed_operations_match_the_schema() {
    node_modules();
    in_web("node", &["scripts/codegen-check.mjs"], &[]);
}

/// The app type-checks (svelte-check over every component and module).
#[test]
fn the_web_app_type_checks() {
    node_modules();
    in_web("node", &["node_modules/@sveltejs/kit/svelte-kit.js", "sync"], &[]);
    in_web(
        "node",
        &["node_modules/svelte-check/bin/svelte-check", "--tsconfig", "./tsconfig.json", "--threshold", "error", "--output", "human"],
        &[],
    );
}

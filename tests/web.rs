//! The web app as its users meet it: headless Chromium (Debian's `chromium`, driven by
//! Playwright from `web/e2e/`) against a real `tds serve` on its own database, Redis
//! namespace and MQTT share group, with readings published by `mosquitto_pub`.
//!
//! Needs `web/build` (`npm ci && npm run build` in `web/`) and Chromium; `.ci/run`
//! provides both. Missing either is a failure that says so, never a skip.

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

/// The built app: `web/build`, or `TDS_E2E_WEB` (a helper building elsewhere).
fn build_dir() -> PathBuf {
    std::env::var_os("TDS_E2E_WEB").map_or_else(|| web_dir().join("build"), PathBuf::from)
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
    assert!(
        build_dir().join("index.html").is_file(),
        "web/build is missing: run `npm ci && npm run build` in web/ (.ci/run does)"
    );
    assert!(
        web.join("node_modules/@playwright/test").is_dir(),
        "web/node_modules is missing: run `npm ci` in web/ (.ci/run does)"
    );
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
    tds_certs::init_ca(&data_dir, Utc::now()).unwrap();

    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let _serve = Serve(
        Command::new(env!("CARGO_BIN_EXE_tds"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("REDIS_URL", REDIS)
            .env("MQTT_URL", MQTT)
            .env("TDS_JWT_SECRET", SECRET)
            .env("TDS_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("TDS_DATA_DIR", &data_dir)
            .env("TDS_WEB_DIR", build_dir())
            .env("TDS_PUBLIC_URL", &url)
            .env("TDS_INSTANCE", format!("web-{tag}"))
            .env("TDS_QUEUE", format!("{prefix}telemetry"))
            .env("TDS_EVENT_CHANNEL", format!("{prefix}events"))
            .env("TDS_NOTIFICATION_QUEUE", format!("{prefix}notifications"))
            .env("TDS_REPORT_QUEUE", format!("{prefix}reports"))
            .env("TDS_LIMITS_PREFIX", format!("{prefix}limits"))
            .env("TDS_MQTT_SHARE_GROUP", format!("tds-test-{tag}"))
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
        .output()
        .await
        .expect("node runs");
    forget_redis_namespace(REDIS, &prefix).await;
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(
        output.status.success(),
        "browser tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

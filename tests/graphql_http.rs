//! The api as HTTP clients other than ours meet it, from a running `tds serve --only api`:
//! the GraphQL-over-HTTP conformance audit of the `graphql-http` package passes without
//! an error or a warning, and browsers on other origins get CORS answers from the
//! allowlist while their WebSocket upgrades are refused.
//!
//! Needs `web/node_modules` (`npm ci` in `web/`; `.ci/run` does) for the audit.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::http::{Answer, curl};
use tds_testkit::{Backend, TestDb, eventually, forget_redis_namespace};

const REDIS: &str = "redis://127.0.0.1:6379";
const SECRET: &str = "a test secret that is long enough for tds";
const APP: &str = "https://app.example.com";

struct Serve {
    child: Child,
    api: String,
    prefix: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tds serve --only api` on its own database and Redis namespace, allowing [`APP`].
async fn serve(db: &TestDb) -> Serve {
    let prefix = format!("tds-test:{}:", uuid::Uuid::new_v4().simple());
    let http = common::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["serve", "--only", "api"])
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", REDIS)
        .env("TDS_JWT_SECRET", SECRET)
        .env("TDS_HTTP_ADDR", format!("127.0.0.1:{http}"))
        .env("TDS_INSTANCE", prefix.replace(':', "-"))
        .env("TDS_EVENT_CHANNEL", format!("{prefix}events"))
        .env("TDS_REPORT_QUEUE", format!("{prefix}reports"))
        .env("TDS_LIMITS_PREFIX", format!("{prefix}limits"))
        .env("TDS_CORS_ORIGINS", format!("{APP}, http://localhost:5173"))
        .env("TDS_CORS_MAX_AGE_S", "900")
        .env("TDS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let api = format!("http://127.0.0.1:{http}");
    let url = format!("{api}/readyz");
    eventually(Duration::from_secs(30), "the api ready", || {
        let url = url.clone();
        async move { curl(&[&url]).await.status == 200 }
    })
    .await;
    Serve { child, api, prefix }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_over_http_audit_finds_no_error_and_no_warning() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    assert!(
        web.join("node_modules/graphql-http").is_dir(),
        "web/node_modules is missing: run `npm ci` in web/ (.ci/run does)"
    );
    let db = TestDb::migrated(Backend::Postgres).await;
    let serve = serve(&db).await;
    let output = tokio::process::Command::new("node")
        .arg("scripts/audit-graphql-http.mjs")
        .arg(format!("{}/graphql", serve.api))
        .current_dir(&web)
        .output()
        .await
        .unwrap_or_else(|e| panic!("node does not run ({e}): install Node.js"));
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success() && report.contains(" 0 warnings, 0 errors"),
        "the audit found errors or warnings:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    forget_redis_namespace(REDIS, &serve.prefix).await;
}

/// A CORS preflight of a GraphQL POST from `origin`.
async fn preflight(api: &str, origin: &str) -> Answer {
    curl(&[
        "-X",
        "OPTIONS",
        "-H",
        &format!("origin: {origin}"),
        "-H",
        "access-control-request-method: POST",
        "-H",
        "access-control-request-headers: authorization, x-account-id, content-type",
        &format!("{api}/graphql"),
    ])
    .await
}

/// A WebSocket upgrade of `graphql-transport-ws` sent by a page of `origin`.
async fn upgrade(api: &str, origin: &str) -> Answer {
    curl(&[
        "--max-time",
        "3",
        "-H",
        "connection: Upgrade",
        "-H",
        "upgrade: websocket",
        "-H",
        "sec-websocket-version: 13",
        "-H",
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
        "-H",
        "sec-websocket-protocol: graphql-transport-ws",
        "-H",
        &format!("origin: {origin}"),
        &format!("{api}/graphql"),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_on_allowed_origins_get_cors_and_others_no_websocket() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let serve = serve(&db).await;
    let api = serve.api.as_str();

    let allowed = preflight(api, APP).await;
    assert_eq!(allowed.status, 200, "{}", allowed.headers);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["authorization", "x-account-id", "content-type"] {
        assert!(headers.contains(name), "{name} allowed: {headers}");
    }
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(
        methods.contains("GET") && methods.contains("POST"),
        "{methods}"
    );
    assert_eq!(
        allowed.header("access-control-max-age").as_deref(),
        Some("900")
    );

    let refused = preflight(api, "https://evil.example").await;
    assert_eq!(
        refused.header("access-control-allow-origin"),
        None,
        "{}",
        refused.headers
    );

    // The request itself carries the header for the allowed origin only.
    let post = |origin: &'static str| {
        let url = format!("{api}/graphql");
        async move {
            curl(&[
                "-H",
                "content-type: application/json",
                "-H",
                &format!("origin: {origin}"),
                "--data",
                r#"{"query":"{ __typename }"}"#,
                &url,
            ])
            .await
        }
    };
    let answer = post(APP).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let answer = post("https://evil.example").await;
    assert_eq!(answer.header("access-control-allow-origin"), None);

    // WebSockets: CORS does not protect them, the origin check does.
    let foreign = upgrade(api, "https://evil.example").await;
    assert_eq!(foreign.status, 403, "{}", foreign.headers);
    let body: serde_json::Value = serde_json::from_slice(&foreign.body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    for origin in [APP.to_owned(), api.to_owned()] {
        let answer = upgrade(api, &origin).await;
        assert_eq!(answer.status, 101, "{origin}: {}", answer.headers);
    }
    forget_redis_namespace(REDIS, &serve.prefix).await;
}

//! What an operator watches, from a running `tds serve`: Prometheus `/metrics` counting
//! what flowed through ingest, the workers and the api; logs as JSON lines on request; a
//! mistyped `TDS_*` variable named at start; and HTTPS on the api with its own
//! certificate.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use common::http::{curl, graphql};
use serde_json::json;
use tds_testkit::{
    Backend, TestDb, eventually, forget_redis_namespace, payload, publish_all, seed_fleet,
    telemetry_topic,
};

const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";
const SECRET: &str = "a test secret that is long enough for tds";

struct Serve {
    child: Child,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &TestDb, prefix: &str, http: u16, extra: &[(&str, String)]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", REDIS)
        .env("MQTT_URL", MQTT)
        .env("TDS_JWT_SECRET", SECRET)
        .env("TDS_HTTP_ADDR", format!("127.0.0.1:{http}"))
        .env("TDS_INSTANCE", prefix.replace(':', "-"))
        .env("TDS_QUEUE", format!("{prefix}telemetry"))
        .env("TDS_EVENT_CHANNEL", format!("{prefix}events"))
        .env("TDS_NOTIFICATION_QUEUE", format!("{prefix}notifications"))
        .env("TDS_REPORT_QUEUE", format!("{prefix}reports"))
        .env("TDS_LIMITS_PREFIX", format!("{prefix}limits"))
        .env("TDS_MQTT_SHARE_GROUP", prefix.replace(':', "-"))
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, stderr) = std::sync::mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Serve { child, stderr }
}

/// The value of the first sample of `name` whose labels contain `labels`, if any.
fn sample(metrics: &str, name: &str, labels: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let matches =
            series == name || (series.starts_with(&format!("{name}{{")) && series.contains(labels));
        matches.then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_flowed_and_logs_are_json_lines() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (_, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0xe7, 1, 2, false).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let http = common::free_port();
    let api = format!("http://127.0.0.1:{http}");
    let mut serve = serve(
        &db,
        &prefix,
        http,
        &[
            ("TDS_LOG", "info".into()),
            ("TDS_LOG_FORMAT", "json".into()),
            ("TDS_JWT_SECRT", "a typo".into()),
        ],
    );
    let url = format!("{api}/readyz");
    eventually(Duration::from_secs(30), "the stack ready", || {
        let url = url.clone();
        async move { curl(&[&url]).await.status == 200 }
    })
    .await;

    let gw = &gateways[0];
    let start = Utc::now() - chrono::Duration::minutes(10);
    let messages: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            let at = start + chrono::Duration::minutes(i);
            let readings = [("D01", 10.0 + i as f64), ("D02", 20.0 + i as f64)];
            (telemetry_topic(&gw.mac), payload(&gw.mac, at, &readings))
        })
        .chain(std::iter::once((
            telemetry_topic(&gw.mac),
            b"{not json".to_vec(),
        )))
        .collect();
    publish_all(MQTT, messages).await;
    let scrape = format!("{api}/metrics");
    eventually(Duration::from_secs(30), "10 readings counted", || {
        let scrape = scrape.clone();
        async move {
            let text = String::from_utf8_lossy(&curl(&[&scrape]).await.body).into_owned();
            sample(&text, "tds_readings_stored_total", "").unwrap_or(0.0) >= 10.0
        }
    })
    .await;
    let r = graphql(&api, "", "{ __typename }", json!({})).await;
    assert!(r["data"].is_object(), "{r}");
    let answer = curl(&[&scrape]).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain"),
        "{}",
        answer.headers
    );
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    let at_least = |name: &str, labels: &str, min: f64| {
        let value = sample(&text, name, labels)
            .unwrap_or_else(|| panic!("{name}{{{labels}}} missing:\n{text}"));
        assert!(
            value >= min,
            "{name}{{{labels}}} = {value}, expected >= {min}"
        );
    };
    at_least("tds_ingest_messages_received_total", "", 6.0);
    at_least("tds_ingest_messages_enqueued_total", "", 6.0);
    at_least("tds_readings_stored_total", "", 10.0);
    at_least("tds_messages_refused_total", "reason=\"BAD_JSON\"", 1.0);
    at_least("tds_publish_to_commit_seconds_count", "", 5.0);
    at_least("tds_receive_to_commit_seconds_count", "", 6.0);
    at_least("tds_telemetry_batch_messages_count", "", 1.0);
    at_least(
        "tds_http_requests_total",
        "route=\"/graphql\",status=\"200\"",
        1.0,
    );
    at_least(
        "tds_http_request_duration_seconds_count",
        "route=\"/graphql\"",
        1.0,
    );
    // A publish→commit sample ten minutes old lands above every bucket but +Inf.
    assert!(
        text.contains("tds_publish_to_commit_seconds_bucket{le=\"+Inf\"}"),
        "{text}"
    );

    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    // The pipe is closed: every line is in, or arrives before the reader ends.
    let mut lines = Vec::new();
    while let Ok(line) = serve.stderr.recv_timeout(Duration::from_secs(5)) {
        lines.push(line);
    }
    assert!(!lines.is_empty());
    for line in &lines {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            parsed["level"].is_string() && parsed["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("unknown setting") && l.contains("TDS_JWT_SECRT")),
        "the typo is named: {lines:#?}"
    );
    forget_redis_namespace(REDIS, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_speaks_https_with_its_own_certificate() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let dir = std::env::temp_dir().join(format!("tds-https-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = tds_certs::CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let issued = ca
        .issue_service("localhost", &["localhost".into()], true, Utc::now())
        .unwrap();
    let (cert, key) = tds_certs::write_pair(&dir, "api", &issued).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let http = common::free_port();
    let _serve = serve(
        &db,
        &prefix,
        http,
        &[
            ("TDS_TLS_CERT_FILE", cert.display().to_string()),
            ("TDS_TLS_KEY_FILE", key.display().to_string()),
        ],
    );
    let url = format!("https://localhost:{http}/readyz");
    let ca_file = dir.join("ca.pem").display().to_string();
    eventually(Duration::from_secs(30), "HTTPS ready", || {
        let (url, ca_file) = (url.clone(), ca_file.clone());
        async move { curl(&["--cacert", &ca_file, &url]).await.status == 200 }
    })
    .await;
    // A client asking for HTTP/2 is answered in HTTP/1.1, the protocol offered.
    let answer = curl(&["--cacert", &ca_file, "--http2", &url]).await;
    assert!(
        answer.headers.starts_with("HTTP/1.1 200"),
        "{}",
        answer.headers
    );
    // Not without TLS, and not to a client that does not trust the certificate.
    let plain = curl(&[&format!("http://localhost:{http}/readyz")]).await;
    assert_ne!(plain.status, 200);
    let untrusted = curl(&[&url]).await;
    assert_eq!(untrusted.status, 0, "curl refuses an unknown issuer");
    forget_redis_namespace(REDIS, &prefix).await;
    let _ = std::fs::remove_dir_all(&dir);
}

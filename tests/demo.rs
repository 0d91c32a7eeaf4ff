//! `tds demo` as a newcomer meets it: one command, no Redis, no broker, no database
//! server. The printed users sign in, readings arrive through the embedded broker over
//! mutual TLS, the cold-store alert fires, a report downloads, roles hold, Ctrl-C stops
//! it cleanly and a second run carries on with the same data and passwords.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::http::{curl, graphql};
use serde_json::{Value, json};
use tds_testkit::eventually;

/// A running `tds demo` and what it printed.
struct Demo {
    child: Child,
    api: String,
    /// (role, e-mail, password) from the banner.
    users: Vec<(String, String, String)>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts `tds demo` on `data` and waits (60 s at most) for its banner.
    fn start(data: &Path) -> Demo {
        let http = common::free_port();
        let mqtt = common::free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tds"))
            .args(["demo", "--mqtt-port", &mqtt.to_string(), "--interval", "1"])
            .env("TDS_DATA_DIR", data)
            .env("TDS_HTTP_ADDR", format!("127.0.0.1:{http}"))
            // Nothing to reach: the demo must not need Redis, a broker or a database server.
            .env("REDIS_URL", "redis://127.0.0.1:1")
            .env("MQTT_URL", "mqtt://127.0.0.1:1")
            .env_remove("DATABASE_URL")
            .env_remove("TDS_QUEUE_URL")
            .env_remove("TDS_JWT_SECRET")
            .env("TDS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut users = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no banner within 60 s; users so far {users:?}"));
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [
                role @ ("ADMIN" | "EDITOR" | "VIEWER"),
                email,
                "password",
                password,
            ] = words.as_slice()
            {
                users.push((role.to_string(), email.to_string(), password.to_string()));
            }
            if line.starts_with("Ctrl-C stops it") {
                break;
            }
        }
        assert_eq!(users.len(), 3, "one user of each role: {users:?}");
        Demo {
            child,
            api: format!("http://127.0.0.1:{http}"),
            users,
        }
    }

    fn user(&self, role: &str) -> (String, String) {
        let (_, email, password) = self.users.iter().find(|(r, _, _)| r == role).unwrap();
        (email.clone(), password.clone())
    }

    async fn login(&self, role: &str) -> String {
        let (email, password) = self.user(role);
        let r = graphql(
            &self.api,
            "",
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": email, "p": password}),
        )
        .await;
        r["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{role} signs in with the printed password: {r}"))
            .to_owned()
    }

    /// Readings stored so far, as the dashboard's latest readings show them.
    async fn latest(&self, token: &str) -> Vec<Value> {
        let r = graphql(
            &self.api,
            token,
            "{ latestReadings { time value unit device { code kind } } }",
            json!({}),
        )
        .await;
        r["data"]["latestReadings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// SIGTERM, as Ctrl-C or a supervisor stops it; must exit 0 within 30 s.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the demo stops cleanly: {status}");
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the demo stops within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tds-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_end_to_end_and_a_second_run_carries_on() {
    let data = scratch();
    let demo = Demo::start(&data);
    let viewer = demo.login("VIEWER").await;
    let editor = demo.login("EDITOR").await;

    // Readings of every meter of the fleet arrive through the broker.
    eventually(Duration::from_secs(60), "readings of all 12 meters", || {
        let demo = &demo;
        let viewer = viewer.clone();
        async move { demo.latest(&viewer).await.len() == 12 }
    })
    .await;

    // The cold store starts above 8 °C: its CRITICAL alert fires.
    let alerts = "{ alerts(first: 20) { edges { node { severity state value rule { name } } } } }";
    eventually(Duration::from_secs(60), "the cold-store alert", || {
        let api = demo.api.clone();
        let viewer = viewer.clone();
        async move {
            let r = graphql(&api, &viewer, alerts, json!({})).await;
            r["data"]["alerts"]["edges"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| {
                    e["node"]["severity"] == "CRITICAL"
                        && e["node"]["value"].as_f64().unwrap_or(0.0) > 8.0
                })
        }
    })
    .await;

    // A VIEWER reads but cannot ask for reports; an EDITOR can, and downloads it.
    let request = r#"mutation { requestReport(input: {period: DAY, date: "2026-01-01", all: true, format: PDF}) { id state } }"#;
    let refused = graphql(&demo.api, &viewer, request, json!({})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Sao_Paulo)
        .date_naive()
        .to_string();
    let request = request.replace("2026-01-01", &today);
    let asked = graphql(&demo.api, &editor, &request, json!({})).await;
    let id = asked["data"]["requestReport"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("report requested: {asked}"))
        .to_owned();
    let report = "query($id: ID!) { report(id: $id) { state error downloadUrl } }";
    eventually(Duration::from_secs(60), "the report built", || {
        let (api, editor, id) = (demo.api.clone(), editor.clone(), id.clone());
        async move {
            let r = graphql(&api, &editor, report, json!({"id": id})).await;
            assert_ne!(r["data"]["report"]["state"], "FAILED", "{r}");
            r["data"]["report"]["state"] == "DONE"
        }
    })
    .await;
    let r = graphql(&demo.api, &editor, report, json!({"id": id})).await;
    let link = r["data"]["report"]["downloadUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = if link.starts_with("http") {
        link
    } else {
        format!("{}{link}", demo.api)
    };
    let file = curl(&[&url]).await;
    assert_eq!(file.status, 200, "{}", file.headers);
    assert!(file.body.starts_with(b"%PDF"), "a PDF downloads");

    let before = demo.latest(&viewer).await;
    let admin = demo.user("ADMIN");
    demo.stop();

    // Same data directory: the same users and passwords, and the readings carry on.
    let again = Demo::start(&data);
    assert_eq!(again.user("ADMIN"), admin, "the passwords of the first run");
    let viewer = again.login("VIEWER").await;
    let newest = |rows: &[Value]| {
        rows.iter()
            .filter_map(|r| r["time"].as_str().map(str::to_owned))
            .max()
            .unwrap()
    };
    let first_run = newest(&before);
    eventually(
        Duration::from_secs(60),
        "readings after the restart",
        || {
            let again = &again;
            let viewer = viewer.clone();
            let first_run = first_run.clone();
            async move { newest(&again.latest(&viewer).await) > first_run }
        },
    )
    .await;
    again.stop();
    let _ = std::fs::remove_dir_all(&data);
}

//! The fault suite at a small scale (issue 16): each scenario of `tds bench faults` once,
//! on private Mosquitto, Redis and PostgreSQL processes the bench starts and kills itself.
//! Every message the broker acknowledged must be stored exactly once, and no platform
//! process may have needed a restart it did not get from its own code.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// Runs one scenario at 100 msg/s for 8 s with the fault 3 s in, and returns its run.
async fn run(scenario: &str) -> serde_json::Value {
    let child = Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["bench", "faults", "--json", "--scenario", scenario])
        .args([
            "--rate",
            "100",
            "--seconds",
            "8",
            "--fault-at",
            "3",
            "--runs",
            "1",
        ])
        .env("TDS_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Publishing, the drain's stall limit and start-up fit well within this.
    let output = tokio::time::timeout(Duration::from_secs(150), child.wait_with_output())
        .await
        .expect("the fault bench finished within 150 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let run = report["runs"][0].clone();
    assert_eq!(run["scenario"], scenario);
    run
}

/// What a user of the platform checks after a failure: nothing acknowledged went missing,
/// nothing was stored twice, nothing had to be restarted by hand, new data flows again.
fn assert_survived(run: &serde_json::Value) {
    assert!(run["error"].is_null(), "the run failed: {run:#}");
    assert!(run["acknowledged"].as_u64().unwrap() > 0, "{run:#}");
    assert_eq!(run["missing"], 0, "acknowledged but not stored: {run:#}");
    assert_eq!(run["partial"], 0, "stored in part: {run:#}");
    assert_eq!(run["duplicate_rows"], 0, "{run:#}");
    assert_eq!(
        run["unplanned_exits"].as_array().map(Vec::len),
        Some(0),
        "a process died and needed restarting: {run:#}"
    );
    assert!(
        run["recovery_ms"].is_u64(),
        "no new reading after the fault: {run:#}"
    );
    assert_eq!(run["pass"], true, "{run:#}");
}

#[tokio::test]
async fn broker_restart_loses_nothing_acknowledged() {
    assert_survived(&run("broker").await);
}

#[tokio::test]
async fn redis_sigkill_loses_nothing_acknowledged() {
    assert_survived(&run("redis").await);
}

#[tokio::test]
async fn ingest_and_workers_sigkill_lose_nothing_acknowledged() {
    assert_survived(&run("service").await);
}

#[tokio::test]
async fn postgres_restart_loses_nothing_acknowledged() {
    assert_survived(&run("postgres").await);
}

#[tokio::test]
async fn redis_sigkill_with_a_backlog_loses_nothing_acknowledged() {
    assert_survived(&run("redis-backlog").await);
}

#[tokio::test]
async fn sigterm_under_load_and_restart_lose_nothing() {
    assert_survived(&run("sigterm").await);
}

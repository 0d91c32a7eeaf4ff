//! `tds bench faults`: publish under load while one dependency or platform process fails,
//! then check that every message the broker acknowledged is stored exactly once and that
//! nothing needed a manual restart (issue 16). Each run gets private Mosquitto, Redis and
//! PostgreSQL processes and its own `tds serve` children, so the faults never touch the
//! machine's shared services.
//!
//! Each run reports `published` (handed to the MQTT client), `acknowledged` (PUBACK
//! received; a message never acknowledged is not a loss), `stored` (acknowledged and all
//! its readings in the database), `missing` / `partial` (acknowledged, none / some readings
//! stored) with examples and the span of their payload times, `extra_unacked_stored`,
//! `duplicate_rows`, `recovery_ms` (fault to the first stored reading published after it),
//! `resume_ms` (the same, from the moment the failed part is back), `downtime_ms`,
//! `drain_ms` (end of publishing to the end of the wait for storage),
//! `queue_backlog_at_end` (jobs the queue still holds then: not stored is not lost while
//! they remain) and `unplanned_exits`.

mod publisher;
mod services;
mod verify;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::ValueEnum;
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::simulate::{self, SimGateway};
use services::{Platform, Stack};

/// Readings in each message (one per device of a gateway).
const DEVICES: u32 = 8;
/// MQTT connections the publisher spreads its gateways over.
const CONNECTIONS: usize = 4;
/// How long the broker stays down in the broker scenario.
const BROKER_PAUSE: Duration = Duration::from_secs(3);
/// Longest wait, after publishing ends, for every acknowledged message to be stored.
const DRAIN_WITHIN: Duration = Duration::from_secs(120);
/// The wait ends early when nothing new was stored for this long.
const STALL: Duration = Duration::from_secs(30);

/// The error of a run cut short by Ctrl-C.
const INTERRUPTED: &str = "interrupted";

/// A failure to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// SIGTERM to the broker, started again 3 s later on the same persistence.
    Broker,
    /// SIGKILL to Redis, started again at once on its append-only file.
    Redis,
    /// SIGKILL to ingest and workers, started again at once.
    Service,
    /// SIGTERM to ingest and workers under load (a deploy, `systemctl restart`): each
    /// drains and exits, then starts again.
    Sigterm,
    /// `pg_ctl restart -m fast`.
    Postgres,
    /// Workers not running until the fault, so a backlog builds in Redis; then SIGKILL
    /// to Redis, a restart, and the workers start.
    RedisBacklog,
    /// Every scenario above in turn.
    All,
}

impl Scenario {
    const EACH: [Self; 6] = [
        Self::Broker,
        Self::Redis,
        Self::Service,
        Self::Sigterm,
        Self::Postgres,
        Self::RedisBacklog,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Broker => "broker",
            Self::Redis => "redis",
            Self::Service => "service",
            Self::Sigterm => "sigterm",
            Self::Postgres => "postgres",
            Self::RedisBacklog => "redis-backlog",
            Self::All => "all",
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which scenario (or all).
    pub scenario: Scenario,
    /// Messages per second.
    pub rate: u32,
    /// Seconds of publishing.
    pub seconds: u64,
    /// Seconds after the first publish when the fault is injected.
    pub fault_at: u64,
    /// Runs of each scenario.
    pub runs: u32,
    /// Gateways publishing (default: rate / 4).
    pub gateways: Option<u32>,
}

/// Runs the scenarios and prints one JSON object; fails when any run failed.
pub async fn run(options: Options) -> anyhow::Result<()> {
    if options.rate == 0 || options.seconds == 0 || options.runs == 0 {
        bail!("--rate, --seconds and --runs must be positive");
    }
    if options.fault_at >= options.seconds {
        bail!("--fault-at must fall within --seconds");
    }
    let gateways = options.gateways.unwrap_or((options.rate / 4).max(1));
    let scenarios: Vec<Scenario> = match options.scenario {
        Scenario::All => Scenario::EACH.to_vec(),
        one => vec![one],
    };
    let base = std::env::temp_dir().join(format!(
        "tds-faults-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    let mut runs = Vec::new();
    let mut summary = serde_json::Map::new();
    for scenario in scenarios {
        let mut of_scenario = Vec::new();
        for run in 1..=options.runs {
            eprintln!(
                "faults: {} run {run}/{} at {} msg/s",
                scenario.name(),
                options.runs,
                options.rate
            );
            let figures = run_once(&options, gateways, scenario, run, &base).await;
            eprintln!("faults: {figures}");
            let interrupted = figures["error"] == INTERRUPTED;
            of_scenario.push(figures);
            if interrupted {
                break;
            }
        }
        summary.insert(scenario.name().into(), summarise(&of_scenario));
        let interrupted = of_scenario.iter().any(|r| r["error"] == INTERRUPTED);
        runs.extend(of_scenario);
        if interrupted {
            break;
        }
    }
    let _ = std::fs::remove_dir(&base);
    let failed = runs.iter().filter(|r| r["pass"] != true).count();
    println!(
        "{}",
        json!({
            "bench": "faults",
            "build": if cfg!(debug_assertions) { "debug" } else { "release" },
            "rate_msg_per_s": options.rate,
            "seconds": options.seconds,
            "fault_at_s": options.fault_at,
            "gateways": gateways,
            "readings_per_message": DEVICES,
            "summary": summary,
            "runs": runs,
            "passed": failed == 0,
        })
    );
    if failed > 0 {
        bail!("{failed} of {} fault runs failed", runs.len());
    }
    Ok(())
}

/// Per scenario: passes, and each figure as the list over runs.
fn summarise(runs: &[serde_json::Value]) -> serde_json::Value {
    let list = |key: &str| runs.iter().map(|r| r[key].clone()).collect::<Vec<_>>();
    json!({
        "runs": runs.len(),
        "passed": runs.iter().filter(|r| r["pass"] == true).count(),
        "published": list("published"),
        "acknowledged": list("acknowledged"),
        "stored": list("stored"),
        "missing": list("missing"),
        "duplicate_rows": list("duplicate_rows"),
        "recovery_ms": list("recovery_ms"),
        "resume_ms": list("resume_ms"),
        "downtime_ms": list("downtime_ms"),
        "unplanned_exits": runs.iter().map(|r| r["unplanned_exits"].as_array().map_or(0, Vec::len)).collect::<Vec<_>>(),
    })
}

/// One run on a fresh private stack, torn down afterwards (logs kept when it failed).
async fn run_once(
    options: &Options,
    gateways: u32,
    scenario: Scenario,
    run: u32,
    base: &Path,
) -> serde_json::Value {
    let dir = base.join(format!("{}-{run}", scenario.name()));
    let mut stack = match Stack::new(dir.clone()) {
        Ok(stack) => stack,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return json!({"scenario": scenario.name(), "run": run, "pass": false, "error": format!("{e:#}")});
        }
    };
    // Ctrl-C still tears the private stack down (PostgreSQL is no child of ours).
    let outcome = tokio::select! {
        outcome = drive(options, gateways, scenario, &mut stack) => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!(INTERRUPTED)),
    };
    let mut figures = match outcome {
        Ok(figures) => figures,
        Err(e) => json!({"pass": false, "error": format!("{e:#}")}),
    };
    figures["scenario"] = scenario.name().into();
    figures["run"] = run.into();
    figures["unplanned_exits"] = stack
        .unplanned_exits()
        .iter()
        .map(|e| json!({"service": e.service, "at_ms": e.at_ms, "status": e.status}))
        .collect();
    if figures["unplanned_exits"]
        .as_array()
        .is_some_and(|e| !e.is_empty())
    {
        figures["pass"] = false.into();
    }
    let pass = figures["pass"] == true;
    if !pass {
        figures["logs"] = stack.dir.join("logs").display().to_string().into();
    }
    stack.shutdown(!pass).await;
    figures
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match tds_domain::db::connect(url).await {
            Ok(db) => return Ok(db),
            Err(e) if Instant::now() > deadline => {
                return Err(e).context("cannot open the private database");
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn drive(
    options: &Options,
    gateways: u32,
    scenario: Scenario,
    stack: &mut Stack,
) -> anyhow::Result<serde_json::Value> {
    stack.start_dependencies().await?;
    let db = connect(&stack.database_url).await?;
    tds_migration::migrate(&db, Utc::now()).await?;
    // One gateway more than publish: the probe that shows the pipeline is up.
    let mut fleet = simulate::ensure_fleet(&db, "fault bench", 0xfa, gateways + 1, DEVICES).await?;
    let probe = fleet.gateways.pop().context("probe gateway")?;
    let account = fleet.account_id;
    let macs: Vec<String> = fleet.gateways.iter().map(|g| g.mac.clone()).collect();

    stack.start(Platform::Ingest).await?;
    let workers_early = scenario != Scenario::RedisBacklog;
    if workers_early {
        stack.start(Platform::Workers).await?;
    }
    ready(stack, &db, account, &probe, workers_early).await?;

    let duration = Duration::from_secs(options.seconds);
    let publishing = tokio::spawn({
        let (url, gateways, rate) = (stack.mqtt_url.clone(), fleet.gateways.clone(), options.rate);
        async move { publisher::publish(&url, &gateways, rate, duration, CONNECTIONS).await }
    });
    tokio::time::sleep(Duration::from_secs(options.fault_at)).await;

    let fault_time = Utc::now();
    let fault = Instant::now();
    let recovery = tokio::spawn(verify::recovery(
        db.clone(),
        account,
        fault_time,
        fault,
        duration + DRAIN_WITHIN,
    ));
    eprintln!("faults: injecting {}", scenario.name());
    let injected = match scenario {
        Scenario::Broker => stack.restart_broker(BROKER_PAUSE).await,
        Scenario::Redis => stack.kill_redis().await,
        Scenario::Service => stack.kill_platform().await,
        Scenario::Sigterm => stack.restart_platform().await,
        Scenario::Postgres => stack.restart_postgres().await,
        Scenario::RedisBacklog => match stack.kill_redis().await {
            Ok(()) => stack.start(Platform::Workers).await,
            Err(e) => Err(e),
        },
        Scenario::All => Ok(()),
    };
    let downtime = fault.elapsed();
    // From the moment the failed part is back: how long until new messages are stored.
    let resumption = tokio::spawn(verify::recovery(
        db.clone(),
        account,
        Utc::now(),
        Instant::now(),
        duration + DRAIN_WITHIN,
    ));
    if let Err(e) = injected {
        recovery.abort();
        resumption.abort();
        let _ = publishing.await;
        return Err(e.context("injecting the fault"));
    }

    let published = publishing.await.context("publisher")??;
    let publish_ended = Instant::now();
    let acknowledged = published.acked.iter().filter(|a| **a).count() as u64;

    // Wait until every acknowledged message is stored, the deadline passes, or nothing
    // moves any more.
    let mut last_total = -1i64;
    let mut last_change = Instant::now();
    let comparison = loop {
        let stored = match verify::stored(&db, account).await {
            Ok(stored) => stored,
            Err(e) if publish_ended.elapsed() < DRAIN_WITHIN => {
                tracing::debug!(error = %e, "counting stored readings");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(e) => return Err(e).context("reading what was stored"),
        };
        let comparison = verify::compare(&published, &macs, &stored, i64::from(DEVICES));
        let total: i64 = stored.values().sum();
        if total != last_total {
            last_total = total;
            last_change = Instant::now();
        }
        if comparison.missing + comparison.partial == 0
            || publish_ended.elapsed() > DRAIN_WITHIN
            || last_change.elapsed() > STALL
        {
            break comparison;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let drain = publish_ended.elapsed();
    let duplicate_rows = verify::duplicate_rows(&db, account).await?;
    // Telling "lost" from "not stored yet" when the drain ran out of time.
    let backlog = queue_backlog(&stack.redis_url).await;
    let finished = |task: tokio::task::JoinHandle<Option<Duration>>| async move {
        if task.is_finished() {
            task.await.ok().flatten().map(|d| d.as_millis() as u64)
        } else {
            task.abort();
            None
        }
    };
    let recovery_ms = finished(recovery).await;
    let resume_ms = finished(resumption).await;
    let pass = acknowledged > 0
        && comparison.missing == 0
        && comparison.partial == 0
        && duplicate_rows == 0
        && published.unmatched == 0
        && recovery_ms.is_some();
    let published_count = published.messages.len() as u64;
    Ok(json!({
        "pass": pass,
        "published": published_count,
        "acknowledged": acknowledged,
        "not_acknowledged": published_count - acknowledged,
        "stored": comparison.stored,
        "missing": comparison.missing,
        "partial": comparison.partial,
        "missing_examples": comparison.missing_examples,
        "missing_span": comparison.missing_span,
        "extra_unacked_stored": comparison.extra_unacked_stored,
        "duplicate_rows": duplicate_rows,
        "recovery_ms": recovery_ms,
        "resume_ms": resume_ms,
        "downtime_ms": downtime.as_millis() as u64,
        "drain_ms": drain.as_millis() as u64,
        "queue_backlog_at_end": backlog,
        "publisher": {
            "retransmitted": published.retransmitted,
            "dropped_by_client": published.dropped_by_client,
            "unmatched": published.unmatched,
            "disconnects": published.disconnects,
        },
    }))
}

/// Publishes probe messages until one is stored (or, with no workers yet, queued): from
/// then on ingest is subscribed and nothing published is lost to a late subscription.
async fn ready(
    stack: &Stack,
    db: &DatabaseConnection,
    account: uuid::Uuid,
    probe: &SimGateway,
    workers: bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let since = Utc::now() - chrono::Duration::seconds(1);
    // Without workers, a queued probe shows as new keys in the (private, fresh) Redis.
    let keys_before = redis_keys(&stack.redis_url).await?;
    loop {
        publisher::publish(
            &stack.mqtt_url,
            std::slice::from_ref(probe),
            4,
            Duration::from_millis(300),
            1,
        )
        .await?;
        let through = if workers {
            verify::any_after(db, account, since).await.unwrap_or(false)
        } else {
            redis_keys(&stack.redis_url).await.unwrap_or(0) > keys_before
        };
        if through {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the platform did not take a probe message within 90 s (logs in {})",
                stack.dir.join("logs").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Keys in a Redis database.
async fn redis_keys(url: &str) -> anyhow::Result<u64> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    Ok(redis::cmd("DBSIZE").query_async(&mut conn).await?)
}

/// Jobs the telemetry queue reports waiting or in progress, if Redis answers.
async fn queue_backlog(redis_url: &str) -> Option<u64> {
    let name = tds_domain::config::Settings::default().queue.telemetry;
    let config = tds_bus::QueueConfig::new(redis_url, &name);
    let mut queue = tds_bus::TelemetryQueue::connect(&config).await.ok()?;
    queue.backlog().await.ok()
}

//! `tds bench ingest`: publish at a set rate for a set time through the real broker,
//! queue and database, and report sustained throughput, publish→committed latency and
//! loss. Latency is measured from the payload timestamp (set when the message is
//! published) to the moment the worker's "readings committed" event arrives.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tds_bus::{Event, EventBus, QueueConfig, TelemetryQueue};
use tds_domain::config::Settings;
use tds_ingest::IngestConfig;
use tds_workers::service::WorkersConfig;
use tokio::sync::watch;
use uuid::Uuid;

use crate::bench::percentile;
use crate::simulate::{self, PublishCounters};

/// What to run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Messages per second.
    pub rate: u32,
    /// Seconds of publishing.
    pub duration: u64,
    /// Gateways publishing.
    pub gateways: u32,
    /// Readings per message.
    pub devices: u32,
    /// MQTT publisher connections.
    pub publishers: usize,
    /// Use running services instead of starting them.
    pub external: bool,
    /// Enabled alert rules given to the bench account (none crossed: their cost is the
    /// judging, not alerts).
    pub rules: u32,
}

/// Runs the scenario and returns the figures.
pub async fn run(settings: Settings, scenario: Scenario) -> anyhow::Result<serde_json::Value> {
    if scenario.rate == 0 || scenario.duration == 0 {
        bail!("--rate and --duration must be positive");
    }
    let db = tds_domain::db::connect(&settings.database_url())
        .await
        .context("cannot open the database")?;
    tds_migration::migrate(&db, Utc::now()).await?;
    let tag = Uuid::new_v4().simple().to_string();
    let (queue_name, channel, group) = if scenario.external {
        (
            settings.queue.telemetry.clone(),
            settings.queue.event_channel.clone(),
            settings.ingest_share_group(),
        )
    } else {
        (
            format!("tds-bench:{tag}:telemetry"),
            format!("tds-bench:{tag}:events"),
            // As shipped: a plain subscription of the bench's own persistent session.
            None,
        )
    };

    eprintln!(
        "bench: creating {} gateways × {} devices",
        scenario.gateways, scenario.devices
    );
    let mut fleet = None;
    for _ in 0..8 {
        let byte: u8 = rand::random();
        if let Ok(f) = simulate::ensure_fleet(
            &db,
            &format!("bench {tag}"),
            byte,
            scenario.gateways,
            scenario.devices,
        )
        .await
        {
            fleet = Some(f);
            break;
        }
    }
    let fleet = fleet.context("could not create a bench fleet with free MACs")?;
    if scenario.rules > 0 {
        eprintln!("bench: creating {} alert rules", scenario.rules);
        bench_rules(&db, fleet.account_id, scenario.rules).await?;
    }
    let outcome = measure(
        &settings,
        &scenario,
        &db,
        &fleet,
        &queue_name,
        &channel,
        &group,
        &tag,
    )
    .await;

    // Remove the scratch tenant and its data (readings carry no foreign key).
    let account = fleet.account_id;
    tds_entity::reading::Entity::delete_many()
        .filter(tds_entity::reading::Column::AccountId.eq(account))
        .exec(&db)
        .await?;
    tds_entity::rollup::Entity::delete_many()
        .filter(tds_entity::rollup::Column::AccountId.eq(account))
        .exec(&db)
        .await?;
    tds_entity::dead_letter::Entity::delete_many()
        .filter(tds_entity::dead_letter::Column::AccountId.eq(account))
        .exec(&db)
        .await?;
    tds_entity::alert_rule::Entity::delete_many()
        .filter(tds_entity::alert_rule::Column::AccountId.eq(account))
        .exec(&db)
        .await?;
    tds_entity::account::Entity::delete_by_id(account)
        .exec(&db)
        .await?;
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    settings: &Settings,
    scenario: &Scenario,
    db: &sea_orm::DatabaseConnection,
    fleet: &simulate::SimFleet,
    queue_name: &str,
    channel: &str,
    group: &Option<String>,
    tag: &str,
) -> anyhow::Result<serde_json::Value> {
    // The in-process workers record how long judging alerts takes; read it at the end.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok();
    let events = EventBus::redis(&settings.queue.redis_url, channel).await?;
    let mut committed = events.subscribe();
    let (stop, stopped) = watch::channel(false);
    let signal = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut ingest_config = IngestConfig::new(&settings.broker.mqtt_url, &format!("bench-{tag}"));
    ingest_config.share_group = group.clone();
    if !scenario.external {
        let queue =
            TelemetryQueue::connect(&QueueConfig::new(&settings.queue.redis_url, queue_name))
                .await?;
        let mut workers = WorkersConfig::new(&format!("bench-{tag}"));
        workers.offline_scan_every = Duration::from_secs(3600);
        let worker_events = EventBus::redis(&settings.queue.redis_url, channel).await?;
        tokio::spawn(tds_workers::service::run(
            workers,
            db.clone(),
            queue.clone(),
            worker_events,
            signal(),
        ));
        tokio::spawn(tds_ingest::run(ingest_config.clone(), queue, signal()));
        // Wait until ingest's subscription is live (messages before it would be lost by design
        // of MQTT, not by the platform): probe until ingest sees one.
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = simulate::SimFleet {
            account_id: fleet.account_id,
            gateways: vec![simulate::SimGateway {
                mac: "02:5e:ff:ff:ff:ff".into(),
                codes: vec![],
            }],
        };
        while ingest_config.counters.received.load(Ordering::Relaxed) == 0 {
            if Instant::now() > deadline {
                bail!(
                    "ingest did not subscribe within 30 s (broker at {}?)",
                    settings.broker.mqtt_url
                );
            }
            simulate::publish(
                &settings.broker.mqtt_url,
                &probe,
                Duration::from_millis(50),
                Duration::from_millis(60),
                1,
                Arc::default(),
            )
            .await?;
        }
    }

    // Collect commit latencies per message (gateway, timestamp) from the events.
    let account = fleet.account_id;
    let expected_per_message = scenario.devices as usize;
    let (done_collecting, mut collecting) = watch::channel(false);
    let collector = tokio::spawn(async move {
        let mut seen: HashSet<(Uuid, i64)> = HashSet::new();
        let mut latencies = Vec::new();
        let mut readings = 0usize;
        let mut last_commit = None;
        loop {
            let event = tokio::select! {
                event = committed.recv() => match event {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "bench fell behind the event stream; latency samples skipped");
                        continue;
                    }
                    Err(_) => break,
                },
                _ = collecting.changed() => break,
            };
            if let Event::Readings {
                account_id,
                readings: list,
            } = event.as_ref()
            {
                if *account_id != account {
                    continue;
                }
                let now = Utc::now();
                readings += list.len();
                last_commit = Some(Instant::now());
                for r in list {
                    if seen.insert((r.gateway_id, r.time.timestamp_micros())) {
                        latencies
                            .push((now - r.time).num_microseconds().unwrap_or(0) as f64 / 1000.0);
                    }
                }
            }
        }
        (latencies, readings, last_commit)
    });

    let counters = Arc::new(PublishCounters::default());
    let interval = Duration::from_secs_f64(f64::from(scenario.gateways) / f64::from(scenario.rate));
    let started = Instant::now();
    let cpu_before = (crate::cpu::own(), crate::cpu::postgres_backends(db).await);
    eprintln!(
        "bench: publishing {} msg/s for {} s",
        scenario.rate, scenario.duration
    );
    simulate::publish(
        &settings.broker.mqtt_url,
        fleet,
        interval,
        Duration::from_secs(scenario.duration),
        scenario.publishers,
        counters.clone(),
    )
    .await?;
    let published = counters.acknowledged.load(Ordering::Relaxed);
    let publish_seconds = started.elapsed().as_secs_f64();

    // Drain: wait until every acknowledged message is stored, or until nothing has
    // been stored for 20 s.
    let count = || async {
        tds_entity::reading::Entity::find()
            .filter(tds_entity::reading::Column::AccountId.eq(account))
            .count(db)
            .await
    };
    let mut last = 0;
    let mut last_change = Instant::now();
    loop {
        let stored = count().await? as u64;
        if stored >= published * expected_per_message as u64 {
            break;
        }
        if stored != last {
            last = stored;
            last_change = Instant::now();
        } else if last_change.elapsed() > Duration::from_secs(20) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored_readings = count().await? as u64;
    let cpu_after = (crate::cpu::own(), crate::cpu::postgres_backends(db).await);
    let _ = done_collecting.send(true);
    let (mut latencies, _, last_commit) = collector.await.context("latency collector")?;
    let _ = stop.send(true);
    drop(events);
    latencies.sort_by(f64::total_cmp);
    let stored_messages = stored_readings / u64::from(scenario.devices.max(1));
    // Sustained throughput: from the first publish to the last commit.
    let wall = last_commit
        .map_or(publish_seconds, |t: Instant| {
            t.duration_since(started).as_secs_f64()
        })
        .max(publish_seconds);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    // CPU per stored message: this process (publishers included) and the PostgreSQL
    // backends of the bench's database, from the first publish to the end of the drain.
    let per_message = |cpu: std::time::Duration| {
        (stored_messages > 0).then(|| round(cpu.as_secs_f64() * 1e6 / stored_messages as f64))
    };
    let tds_cpu = match cpu_before.0.zip(cpu_after.0) {
        Some((before, after)) => per_message(after.saturating_sub(before)),
        None => None,
    };
    let pg_cpu = (!cpu_after.1.is_empty())
        .then(|| per_message(crate::cpu::backends_delta(&cpu_before.1, &cpu_after.1)))
        .flatten();
    cleanup::forget(settings, &ingest_config.client_id, tag).await;
    Ok(serde_json::json!({
        "scenario": "ingest",
        "target_rate_msg_per_s": scenario.rate,
        "duration_s": scenario.duration,
        "gateways": scenario.gateways,
        "readings_per_message": scenario.devices,
        "alert_rules": scenario.rules,
        "published": published,
        "stored_messages": stored_messages,
        "stored_readings": stored_readings,
        "lost": published.saturating_sub(stored_messages),
        "throughput_msg_per_s": round(stored_messages as f64 / wall),
        "throughput_readings_per_s": round(stored_readings as f64 / wall),
        "latency_samples": latencies.len(),
        "p50_ms": round(percentile(&latencies, 50.0)),
        "p95_ms": round(percentile(&latencies, 95.0)),
        "p99_ms": round(percentile(&latencies, 99.0)),
        "max_ms": round(latencies.last().copied().unwrap_or(0.0)),
        "cpu_us_per_msg_tds": tds_cpu,
        "cpu_us_per_msg_postgres": pg_cpu,
        "alert_judging_us_per_msg": recorder.map(|r| {
            let total = summary_sum(&r.render(), "tds_alert_judging_seconds_sum");
            round(total * 1e6 / stored_messages.max(1) as f64)
        }),
        "external": scenario.external,
    }))
}

/// The `_sum` sample of a summary in Prometheus text (0 when it was never recorded).
fn summary_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(name))
        .filter_map(|rest| rest.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

/// Leaves nothing behind in the broker or Redis.
mod cleanup {
    use tds_domain::config::Settings;

    pub async fn forget(settings: &Settings, client_id: &str, tag: &str) {
        tds_ingest::forget_session(&settings.broker.mqtt_url, client_id).await;
        tds_bus::queue::forget_prefix(&settings.queue.redis_url, &format!("tds-bench:{tag}:"))
            .await;
    }
}

/// `count` enabled rules on the bench account, a mix of what accounts set up: limits on
/// every device, on a kind, on one gateway, and consumption per day on one gateway (the
/// kind that reads rollups). Limits lie far out, so readings are judged and none alerts.
async fn bench_rules(
    db: &sea_orm::DatabaseConnection,
    account_id: Uuid,
    count: u32,
) -> anyhow::Result<()> {
    use tds_domain::alerts::{RuleDraft, create_rule};
    use tds_entity::{AlertCondition, AlertScope, DeviceKind, RollupPeriod, Severity};
    let admin = tds_entity::membership::Entity::find()
        .filter(tds_entity::membership::Column::AccountId.eq(account_id))
        .one(db)
        .await?
        .context("the bench account has no member")?;
    let tenant = tds_domain::Operator::command_line()
        .act_as(db, admin.user_id, account_id)
        .await?;
    let gateways: Vec<Uuid> = tds_entity::gateway::Entity::find()
        .filter(tds_entity::gateway::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    for i in 0..count {
        let gateway = gateways.get(i as usize % gateways.len().max(1)).copied();
        let base = RuleDraft {
            name: format!("bench rule {i}"),
            scope: AlertScope::All,
            device_id: None,
            gateway_id: None,
            device_kind: None,
            condition: AlertCondition::Above,
            threshold_low: None,
            threshold_high: Some(1e12),
            period: None,
            silent_minutes: None,
            completeness_pct: None,
            severity: Severity::Warning,
            cooldown_s: 300,
            emails: vec![],
            webhooks: vec![],
            enabled: true,
        };
        let draft = match i % 4 {
            0 => base,
            1 => RuleDraft {
                scope: AlertScope::DeviceKind,
                device_kind: Some(DeviceKind::Energy),
                condition: AlertCondition::Outside,
                threshold_low: Some(-1e12),
                ..base
            },
            2 => RuleDraft {
                scope: AlertScope::Gateway,
                gateway_id: gateway,
                ..base
            },
            _ => RuleDraft {
                scope: AlertScope::Gateway,
                gateway_id: gateway,
                condition: AlertCondition::ConsumptionAbove,
                period: Some(RollupPeriod::Day),
                ..base
            },
        };
        create_rule(db, &tenant, draft, Utc::now()).await?;
    }
    Ok(())
}

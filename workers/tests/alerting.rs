//! Alerts raised where readings land: batches go through the real telemetry worker
//! (Redis queue, PostgreSQL) with an alert rule in place, and the alert centre shows one
//! alert for a burst of violations, resolved by itself by the reading back to normal.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tds_bus::{Event, EventBus, InboundMessage, QueueConfig, TelemetryBatch, TelemetryQueue};
use tds_domain::alerts::{self, RuleDraft};
use tds_entity::{AlertCondition, AlertScope, AlertState, Severity, alert};
use tds_testkit::{
    Backend, TestDb, admin_of, eventually, forget_redis_namespace, hear_until, payload, seed_fleet,
    telemetry_topic,
};
use tds_workers::service::WorkersConfig;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

#[tokio::test]
async fn a_burst_of_violations_raises_one_alert_that_resolves_by_itself() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x74, 1, 1, false).await;
    let gateway = &gateways[0];
    let (code, device_id) = gateway.devices[0].clone();
    let tenant = admin_of(&db.db, account.id).await;
    let rule = alerts::create_rule(
        &db.db,
        &tenant,
        RuleDraft {
            name: "Meter runs wild".into(),
            scope: AlertScope::Device,
            device_id: Some(device_id),
            gateway_id: None,
            device_kind: None,
            condition: AlertCondition::Above,
            threshold_low: None,
            threshold_high: Some(1_000.0),
            period: None,
            silent_minutes: None,
            completeness_pct: None,
            severity: Severity::Critical,
            cooldown_s: 0,
            emails: vec![],
            webhooks: vec![],
            enabled: true,
        },
        Utc::now(),
    )
    .await
    .unwrap();

    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}q")))
        .await
        .unwrap();
    let events = EventBus::in_process();
    let mut announced = events.subscribe();
    let stop = start_workers(&format!("alerting-{tag}"), &db, &queue, events);

    let day = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let message = |minute: i64, value: f64| InboundMessage {
        topic: telemetry_topic(&gateway.mac),
        payload: payload(
            &gateway.mac,
            day + chrono::Duration::minutes(minute),
            &[(code.as_str(), value)],
        ),
        received_at: Utc::now(),
        truncated_from: None,
    };
    // 100 violating readings in ten jobs, then the same jobs again (a replay).
    let burst: Vec<TelemetryBatch> = (0..10)
        .map(|job| TelemetryBatch {
            messages: (0..10)
                .map(|i| message(job * 10 + i, 5_000.0 + (job * 10 + i) as f64))
                .collect(),
        })
        .collect();
    for batch in burst.iter().chain(burst.iter()) {
        queue.push(batch.clone()).await.unwrap();
    }
    let alerts_of_rule = || async {
        alert::Entity::find()
            .filter(alert::Column::RuleId.eq(rule.id))
            .all(&db.db)
            .await
            .unwrap()
    };
    eventually(
        Duration::from_secs(20),
        "the burst stored and drained",
        || {
            let mut queue = queue.clone();
            async move { queue.backlog().await.unwrap() == 0 }
        },
    )
    .await;
    let raised = alerts_of_rule().await;
    assert_eq!(
        raised.len(),
        1,
        "one alert for 100 violations and their replay"
    );
    assert_eq!(raised[0].state, AlertState::Open);
    assert_eq!(raised[0].device_id, Some(device_id));

    // Back to normal: the alert resolves by itself, with the reading that cleared it.
    queue
        .push(TelemetryBatch {
            messages: vec![message(200, 10.0)],
        })
        .await
        .unwrap();
    eventually(
        Duration::from_secs(20),
        "the alert resolved by itself",
        || async { alerts_of_rule().await[0].state == AlertState::Resolved },
    )
    .await;
    let resolved = alerts_of_rule().await;
    assert_eq!(resolved.len(), 1, "resolving opened nothing new");
    assert_eq!(resolved[0].cleared_value, Some(10.0));

    // Live: the subscription's events told of the opening and the resolution.
    let mut states = Vec::new();
    hear_until(
        &mut announced,
        Duration::from_secs(10),
        "the resolution announced",
        |event| {
            if let Event::AlertChanged {
                alert_id, state, ..
            } = event
                && *alert_id == resolved[0].id
            {
                states.push(state.clone());
            }
            states.last().map(String::as_str) == Some("RESOLVED")
        },
    )
    .await;
    assert_eq!(states, ["OPEN", "RESOLVED"]);
    let _ = stop.send(());
    forget_redis_namespace(REDIS, &prefix).await;
}

/// A day's consumption over its limit, judged from the totals the writer's rollup upsert
/// returns (no extra query on PostgreSQL): the alert opens with the day's consumption
/// after the batch that crossed it, not before, and a replay opens nothing more.
#[tokio::test]
async fn consumption_over_the_days_limit_opens_with_the_days_total() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x7a, 1, 1, false).await;
    let gateway = &gateways[0];
    let (code, device_id) = gateway.devices[0].clone();
    let tenant = admin_of(&db.db, account.id).await;
    let rule = alerts::create_rule(
        &db.db,
        &tenant,
        RuleDraft {
            name: "Day over 25 kWh".into(),
            scope: AlertScope::Device,
            device_id: Some(device_id),
            gateway_id: None,
            device_kind: None,
            condition: AlertCondition::ConsumptionAbove,
            threshold_low: None,
            threshold_high: Some(25.0),
            period: Some(tds_entity::RollupPeriod::Day),
            silent_minutes: None,
            completeness_pct: None,
            severity: Severity::Warning,
            cooldown_s: 0,
            emails: vec![],
            webhooks: vec![],
            enabled: true,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}q")))
        .await
        .unwrap();
    let stop = start_workers(
        &format!("consumption-{tag}"),
        &db,
        &queue,
        EventBus::in_process(),
    );
    let day = Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap();
    // A register climbing 10 kWh an hour: 20 kWh by 02:00, 30 by 03:00.
    let batch = |hours: std::ops::Range<i64>| TelemetryBatch {
        messages: hours
            .map(|h| InboundMessage {
                topic: telemetry_topic(&gateway.mac),
                payload: payload(
                    &gateway.mac,
                    day + chrono::Duration::hours(h),
                    &[(code.as_str(), 1_000.0 + 10.0 * h as f64)],
                ),
                received_at: Utc::now(),
                truncated_from: None,
            })
            .collect(),
    };
    let watched = queue.clone();
    let drained = || {
        let queue = watched.clone();
        eventually(Duration::from_secs(20), "the queue drained", move || {
            let mut queue = queue.clone();
            async move { queue.backlog().await.unwrap() == 0 }
        })
    };
    let alerts_of_rule = || async {
        alert::Entity::find()
            .filter(alert::Column::RuleId.eq(rule.id))
            .all(&db.db)
            .await
            .unwrap()
    };
    queue.push(batch(0..3)).await.unwrap();
    drained().await;
    assert!(
        alerts_of_rule().await.is_empty(),
        "20 kWh is within the limit"
    );
    queue.push(batch(3..4)).await.unwrap();
    drained().await;
    let raised = alerts_of_rule().await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        raised[0].value,
        Some(30.0),
        "the day's total when 03:00 crossed it"
    );
    // More over the limit, and the whole day again (a replay): still the one alert.
    queue.push(batch(4..5)).await.unwrap();
    queue.push(batch(0..5)).await.unwrap();
    drained().await;
    assert_eq!(alerts_of_rule().await.len(), 1);
    let _ = stop.send(());
    forget_redis_namespace(REDIS, &prefix).await;
}

/// The workers' service on `queue` and the test's database, until the sender is used.
fn start_workers(
    name: &str,
    db: &TestDb,
    queue: &TelemetryQueue,
    events: EventBus,
) -> tokio::sync::oneshot::Sender<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut config = WorkersConfig::new(name);
    config.offline_scan_every = Duration::from_secs(3600);
    tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue.clone(),
        events,
        async move {
            let _ = stopped.await;
        },
    ));
    stop
}

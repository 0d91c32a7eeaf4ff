//! The whole pipeline with the machine's Mosquitto, Redis and PostgreSQL:
//! MQTT publish → ingest → apalis queue → worker → rows, rollups, events.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{Duration as Span, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tds_bus::{Event, EventBus, QueueConfig, TelemetryQueue};
use tds_entity::{dead_letter, reading};
use tds_ingest::IngestConfig;
use tds_testkit::{
    Backend, TestDb, assert_rollups_match, eventually, forget_mqtt_session, forget_redis_namespace,
    hear_until, payload, publish_all, seed_fleet, telemetry_topic,
};
use tds_workers::service::WorkersConfig;
use tokio::sync::oneshot;
use uuid::Uuid;

const MQTT: &str = "mqtt://127.0.0.1:1883";
const REDIS: &str = "redis://127.0.0.1:6379";

struct Stack {
    stops: Vec<oneshot::Sender<()>>,
}

impl Stack {
    fn stop(self) {
        for s in self.stops {
            let _ = s.send(());
        }
    }
}

fn stopper() -> (
    oneshot::Sender<()>,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// Starts a worker and `ingests` ingest replicas on a fresh Redis queue and event channel.
async fn start(db: &TestDb, tag: &str, ingests: &[IngestConfig]) -> (Stack, EventBus) {
    let events = EventBus::redis(REDIS, &format!("tds-test:{tag}:events"))
        .await
        .unwrap();
    start_on(db, tag, ingests, REDIS, events).await
}

async fn start_on(
    db: &TestDb,
    tag: &str,
    ingests: &[IngestConfig],
    queue_url: &str,
    events: EventBus,
) -> (Stack, EventBus) {
    let queue = TelemetryQueue::connect(&QueueConfig::new(
        queue_url,
        &format!("tds-test:{tag}:telemetry"),
    ))
    .await
    .unwrap();
    let mut stops = Vec::new();
    let (stop, signal) = stopper();
    stops.push(stop);
    let mut config = WorkersConfig::new(tag);
    config.offline_scan_every = Duration::from_secs(3600);
    tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue.clone(),
        events.clone(),
        signal,
    ));
    for ingest in ingests {
        let (stop, signal) = stopper();
        stops.push(stop);
        tokio::spawn(tds_ingest::run(ingest.clone(), queue.clone(), signal));
    }
    (Stack { stops }, events)
}

fn ingest(tag: &str, replica: u32) -> IngestConfig {
    let mut config = IngestConfig::new(MQTT, &format!("{tag}-{replica}"));
    config.share_group = Some(format!("tds-test-{tag}"));
    config
}

/// Waits until every replica's subscription is live: a probe message published to an
/// unknown gateway must reach one of them.
async fn wait_subscribed(ingests: &[IngestConfig]) {
    for _ in 0..100 {
        publish_all(
            MQTT,
            vec![(telemetry_topic("02:ff:00:00:00:00"), b"probe".to_vec())],
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if ingests
            .iter()
            .map(|i| i.counters.received.load(Ordering::SeqCst))
            .sum::<u64>()
            > 0
        {
            return;
        }
    }
    panic!("ingest never subscribed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn published_readings_are_stored_once_with_rollups_and_events() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let tag = Uuid::new_v4().simple().to_string();
    let prefix = 0x30;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", prefix, 3, 4, true).await;
    let ingests = vec![ingest(&tag, 1), ingest(&tag, 2)];
    let (stack, events) = start(&db, &tag, &ingests).await;
    let mut live = events.subscribe();
    wait_subscribed(&ingests).await;
    let before: Vec<u64> = ingests
        .iter()
        .map(|i| i.counters.received.load(Ordering::SeqCst))
        .collect();

    let start_time = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap();
    let mut messages = Vec::new();
    for i in 0..100i64 {
        for g in &gateways {
            let readings: Vec<(&str, f64)> = g
                .devices
                .iter()
                .map(|(c, _)| (c.as_str(), 100.0 + i as f64 * 1.5))
                .collect();
            messages.push((
                telemetry_topic(&g.mac),
                payload(&g.mac, start_time + Span::minutes(5 * i), &readings),
            ));
        }
    }
    // Every message twice: redelivery must not duplicate.
    let doubled: Vec<_> = messages
        .iter()
        .cloned()
        .chain(messages.iter().cloned())
        .collect();
    publish_all(MQTT, doubled).await;

    let expected = (100 * 3 * 4) as u64;
    eventually(Duration::from_secs(60), "all readings stored", || async {
        reading::Entity::find()
            .filter(reading::Column::AccountId.eq(account.id))
            .count(&db.db)
            .await
            .unwrap()
            >= expected
    })
    .await;
    // Let any straggling duplicate land, then check nothing is doubled.
    eventually(
        Duration::from_secs(30),
        "every message acknowledged",
        || async {
            ingests
                .iter()
                .map(|i| i.counters.acknowledged.load(Ordering::SeqCst))
                .sum::<u64>()
                >= ingests
                    .iter()
                    .map(|i| i.counters.received.load(Ordering::SeqCst))
                    .sum::<u64>()
        },
    )
    .await;
    assert_eq!(
        reading::Entity::find()
            .filter(reading::Column::AccountId.eq(account.id))
            .count(&db.db)
            .await
            .unwrap(),
        expected
    );
    assert_rollups_match(&db.db, "America/Sao_Paulo".parse().unwrap()).await;
    let ours = dead_letter::Entity::find()
        .filter(dead_letter::Column::AccountId.eq(account.id))
        .count(&db.db)
        .await
        .unwrap();
    assert_eq!(ours, 0, "nothing of ours was refused");

    // Both replicas took a share of the 600 messages.
    let shares: Vec<u64> = ingests
        .iter()
        .zip(&before)
        .map(|(i, b)| i.counters.received.load(Ordering::SeqCst) - b)
        .collect();
    assert!(
        shares.iter().all(|s| *s > 0),
        "each replica took a share: {shares:?}"
    );

    // Subscribers heard the readings through Redis.
    let mut heard = 0;
    hear_until(
        &mut live,
        Duration::from_secs(10),
        "every reading announced",
        |event| {
            if let Event::Readings {
                account_id,
                readings,
            } = event
                && *account_id == account.id
            {
                heard += readings.len();
            }
            heard as u64 >= expected
        },
    )
    .await;
    assert_eq!(heard as u64, expected);
    stack.stop();
    for i in &ingests {
        forget_mqtt_session(MQTT, &i.client_id).await;
    }
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
}

/// The embedded mode's parts: SQLite database, SQLite queue, in-process events.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pipeline_runs_on_sqlite_queue_and_database() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let tag = Uuid::new_v4().simple().to_string();
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x31, 2, 3, false).await;
    let queue_file = std::env::temp_dir().join(format!("tds-queue-{tag}.db"));
    let queue_url = format!("sqlite://{}", queue_file.display());
    let ingests = vec![ingest(&tag, 1)];
    let (stack, _events) = start_on(&db, &tag, &ingests, &queue_url, EventBus::in_process()).await;
    wait_subscribed(&ingests).await;

    let start_time = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let messages: Vec<_> = (0..40i64)
        .flat_map(|i| {
            gateways.iter().map(move |g| {
                let readings: Vec<(&str, f64)> = g
                    .devices
                    .iter()
                    .map(|(c, _)| (c.as_str(), i as f64))
                    .collect();
                (
                    telemetry_topic(&g.mac),
                    payload(&g.mac, start_time + Span::minutes(i), &readings),
                )
            })
        })
        .collect();
    publish_all(MQTT, messages).await;
    let expected = 40 * 2 * 3;
    eventually(Duration::from_secs(60), "all readings stored", || async {
        reading::Entity::find()
            .filter(reading::Column::AccountId.eq(account.id))
            .count(&db.db)
            .await
            .unwrap()
            >= expected
    })
    .await;
    assert_eq!(
        reading::Entity::find()
            .filter(reading::Column::AccountId.eq(account.id))
            .count(&db.db)
            .await
            .unwrap(),
        expected
    );
    assert_rollups_match(&db.db, "UTC".parse().unwrap()).await;
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(
        &queue_url,
        &format!("tds-test:{tag}:telemetry"),
    ))
    .await
    .unwrap();
    eventually(Duration::from_secs(30), "the SQLite queue drained", || {
        let mut queue = queue.clone();
        async move { queue.backlog().await.unwrap() == 0 }
    })
    .await;
    queue.vacuum().await.unwrap();
    stack.stop();
    for i in &ingests {
        forget_mqtt_session(MQTT, &i.client_id).await;
    }
    let _ = std::fs::remove_file(queue_file);
}

//! Processes killed with SIGKILL under load lose and duplicate nothing: the real `tds`
//! binaries against the machine's Mosquitto, Redis and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{Duration as Span, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tds_bus::{QueueConfig, TelemetryQueue};
use tds_entity::{dead_letter, reading};
use tds_testkit::{
    Backend, TestDb, assert_rollups_match, eventually, forget_mqtt_session, forget_redis_namespace,
    payload, publish_all, seed_fleet, telemetry_topic,
};

const MQTT: &str = "mqtt://127.0.0.1:1883";

fn serve(db_url: &str, tag: &str, instance: &str, service: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tds"))
        .args(["serve", "--only", service])
        .env("DATABASE_URL", db_url)
        .env("REDIS_URL", "redis://127.0.0.1:6379")
        .env("MQTT_URL", MQTT)
        .env("TDS_INSTANCE", instance)
        .env("TDS_QUEUE", format!("tds-test:{tag}:telemetry"))
        .env("TDS_EVENT_CHANNEL", format!("tds-test:{tag}:events"))
        .env("TDS_MQTT_SHARE_GROUP", format!("tds-test-{tag}"))
        .env("TDS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(child: &mut Child) {
    // SIGKILL: no shutdown path runs.
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_of_worker_and_ingest_loses_and_duplicates_nothing() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x40, 20, 8, false).await;
    let ingest_instance = format!("{tag}-ingest");
    let mut ingest = serve(&db.url, &tag, &ingest_instance, "ingest");
    let mut worker = serve(&db.url, &tag, &format!("{tag}-w1"), "workers");

    // Wait until ingest is subscribed: its session exists once a probe is consumed.
    let count = || async {
        reading::Entity::find()
            .filter(reading::Column::AccountId.eq(account.id))
            .count(&db.db)
            .await
            .unwrap()
    };
    let first = (
        telemetry_topic(&gateways[0].mac),
        payload(
            &gateways[0].mac,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            &[("D01", 1.0)],
        ),
    );
    eventually(Duration::from_secs(30), "the stack is up", || {
        let first = first.clone();
        async move {
            publish_all(MQTT, vec![first]).await;
            count().await > 0
        }
    })
    .await;

    // 60 rounds of 20 gateways × 8 devices, published in 6 waves; the worker is killed
    // after the second wave and ingest after the third, then both come back.
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 5, 0).unwrap();
    let mut expected = 1u64;
    for wave in 0..6 {
        let mut messages = Vec::new();
        for round in wave * 10..(wave + 1) * 10 {
            for g in &gateways {
                let readings: Vec<(&str, f64)> = g
                    .devices
                    .iter()
                    .map(|(c, _)| (c.as_str(), 10.0 + round as f64))
                    .collect();
                messages.push((
                    telemetry_topic(&g.mac),
                    payload(&g.mac, start + Span::minutes(5 * round as i64), &readings),
                ));
            }
        }
        expected += (messages.len() * 8) as u64;
        publish_all(MQTT, messages).await;
        match wave {
            1 => kill(&mut worker),
            2 => {
                kill(&mut ingest);
                worker = serve(&db.url, &tag, &format!("{tag}-w2"), "workers");
                ingest = serve(&db.url, &tag, &ingest_instance, "ingest");
            }
            _ => {}
        }
    }

    eventually(
        Duration::from_secs(90),
        "every published reading stored",
        || async { count().await >= expected },
    )
    .await;
    // Redeliveries after the kills may still be queued: once the queue is drained they
    // have had their chance to (wrongly) add rows.
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(
        "redis://127.0.0.1:6379",
        &format!("tds-test:{tag}:telemetry"),
    ))
    .await
    .unwrap();
    eventually(Duration::from_secs(60), "the queue drained", || {
        let mut queue = queue.clone();
        async move { queue.backlog().await.unwrap() == 0 }
    })
    .await;
    assert_eq!(queue.vacuum().await.map(|_| ()).ok(), Some(()));
    assert_eq!(count().await, expected, "nothing lost, nothing duplicated");
    assert_rollups_match(&db.db, "America/Sao_Paulo".parse().unwrap()).await;
    let refused = dead_letter::Entity::find()
        .filter(dead_letter::Column::AccountId.eq(account.id))
        .count(&db.db)
        .await
        .unwrap();
    assert_eq!(refused, 0);

    kill(&mut worker);
    kill(&mut ingest);
    forget_mqtt_session(MQTT, &format!("tds-ingest-{ingest_instance}")).await;
    forget_redis_namespace("redis://127.0.0.1:6379", &format!("tds-test:{tag}:")).await;
}

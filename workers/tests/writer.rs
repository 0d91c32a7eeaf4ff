//! The telemetry writer against real databases: rows, rollups recomputed from raw rows,
//! idempotence, late readings, resets, dead letters, events.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tds_bus::{Event, EventBus, InboundMessage, TelemetryBatch};
use tds_entity::{RollupPeriod, dead_letter, device, gateway, reading, rollup};
use tds_testkit::{
    Backend, TestDb, assert_rollups_match, backend_tests, payload, seed_fleet, telemetry_topic,
};
use tds_workers::fleet::FleetCache;
use tds_workers::telemetry::TelemetryWriter;

fn message(topic: &str, payload: Vec<u8>) -> InboundMessage {
    InboundMessage {
        topic: topic.to_owned(),
        payload,
        received_at: Utc::now(),
        truncated_from: None,
    }
}

fn batch(messages: Vec<InboundMessage>) -> Vec<TelemetryBatch> {
    vec![TelemetryBatch { messages }]
}

async fn rows_land_once_and_rollups_match(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let tz: chrono_tz::Tz = "America/Sao_Paulo".parse().unwrap();
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x10, 2, 4, true).await;
    let events = EventBus::in_process();
    let mut live = events.subscribe();
    let writer = TelemetryWriter::new(db.db.clone(), FleetCache::default(), events);

    // Two days of 30-minute readings around local midnight, a register reset on the way,
    // written in shuffled chunks so many arrive after later ones.
    let start = Utc.with_ymd_and_hms(2026, 10, 31, 20, 0, 0).unwrap();
    let mut messages = Vec::new();
    for i in 0..96 {
        let time = start + Duration::minutes(30 * i);
        for g in &gateways {
            let energy = if i < 60 {
                1000.0 + 2.5 * i as f64
            } else {
                3.0 * (i - 60) as f64
            }; // reset at i = 60
            let readings: Vec<(&str, f64)> = g
                .devices
                .iter()
                .map(|(code, _)| {
                    (
                        code.as_str(),
                        if code.ends_with(['2', '4']) {
                            20.0 + (i % 7) as f64
                        } else {
                            energy
                        },
                    )
                })
                .collect();
            messages.push(message(
                &telemetry_topic(&g.mac),
                payload(&g.mac, time, &readings),
            ));
        }
    }
    // Deterministic shuffle: stride through the list.
    let n = messages.len();
    let shuffled: Vec<InboundMessage> = (0..n).map(|i| messages[(i * 37) % n].clone()).collect();
    let mut stored = 0;
    for chunk in shuffled.chunks(25) {
        stored += writer
            .write(&batch(chunk.to_vec()), Utc::now())
            .await
            .unwrap()
            .stored;
    }
    assert_eq!(stored, 96 * 2 * 4);
    assert_rollups_match(&db.db, tz).await;

    // Redelivering everything stores nothing and changes no rollup.
    let again = writer
        .write(&batch(messages.clone()), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (again.stored, again.duplicates, again.dead_letters),
        (0, 96 * 2 * 4, 0)
    );
    assert_eq!(
        reading::Entity::find().all(&db.db).await.unwrap().len(),
        96 * 2 * 4
    );
    assert_rollups_match(&db.db, tz).await;

    // Days add up to the month, and the reset is not negative consumption.
    let energy_device = gateways[0].devices[0].1;
    let sums: BTreeMap<RollupPeriod, f64> = rollup::Entity::find()
        .filter(rollup::Column::DeviceId.eq(energy_device))
        .all(&db.db)
        .await
        .unwrap()
        .into_iter()
        .fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.period).or_insert(0.0) += r.consumption.unwrap();
            m
        });
    assert!((sums[&RollupPeriod::Day] - sums[&RollupPeriod::Month]).abs() < 1e-9);
    assert!((sums[&RollupPeriod::Hour] - sums[&RollupPeriod::Month]).abs() < 1e-9);
    assert!(
        (sums[&RollupPeriod::Month] - (59.0 * 2.5 + 35.0 * 3.0)).abs() < 1e-9,
        "{sums:?}"
    );

    // The gateway is online, the device knows its latest reading, subscribers heard.
    let gw = gateway::Entity::find_by_id(gateways[0].id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert!(gw.is_online && gw.last_seen_at.is_some());
    let dev = device::Entity::find_by_id(energy_device)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        dev.last_reading_at,
        Some(start + Duration::minutes(30 * 95))
    );
    let mut heard = 0;
    let mut online = false;
    while let Ok(event) = live.try_recv() {
        match event.as_ref() {
            Event::Readings {
                account_id,
                readings,
            } => {
                assert_eq!(*account_id, account.id);
                heard += readings.len();
            }
            Event::GatewayStatus { online: true, .. } => online = true,
            _ => {}
        }
    }
    assert_eq!(
        heard,
        96 * 2 * 4,
        "one event entry per stored reading, none for duplicates"
    );
    assert!(online);
}

async fn malformed_messages_become_dead_letters(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x20, 1, 2, false).await;
    let writer = TelemetryWriter::new(db.db.clone(), FleetCache::default(), EventBus::in_process());
    let mac = gateways[0].mac.as_str();
    let topic = telemetry_topic(mac);
    let now = Utc::now();
    let good = |t: DateTime<Utc>| payload(mac, t, &[("D01", 1.0), ("D02", 2.0)]);
    let cases: Vec<(&str, InboundMessage)> = vec![
        ("BAD_JSON", message(&topic, b"{\"gateway_mac\": ".to_vec())),
        ("NOT_UTF8", message(&topic, vec![0xc3, 0x28, 0xff])),
        ("OVERSIZED", message(&topic, vec![b' '; 70_000])),
        ("NON_FINITE", message(&topic, format!(r#"{{"gateway_mac": "{mac}", "timestamp": "{}", "leituras": [{{"dispositivo_codigo": "D01", "valor": NaN}}]}}"#, now.to_rfc3339()).into_bytes())),
        ("WRONG_TYPE", message(&topic, format!(r#"{{"gateway_mac": "{mac}", "timestamp": "{}", "leituras": [{{"dispositivo_codigo": "D01", "valor": "12,5"}}]}}"#, now.to_rfc3339()).into_bytes())),
        ("MISSING_FIELD", message(&topic, format!(r#"{{"gateway_mac": "{mac}", "leituras": []}}"#).into_bytes())),
        ("MAC_MISMATCH", message(&topic, payload("02:99:00:00:00:01", now, &[("D01", 1.0)]))),
        ("FUTURE_TIMESTAMP", message(&topic, good(now + Duration::hours(2)))),
        ("BAD_TIMESTAMP", message(&topic, format!(r#"{{"gateway_mac": "{mac}", "timestamp": "ontem", "leituras": []}}"#).into_bytes())),
        ("UNKNOWN_GATEWAY", message(&telemetry_topic("02:99:00:00:00:01"), payload("02:99:00:00:00:01", now, &[("D01", 1.0)]))),
        ("BAD_TOPIC", message("tds_new/devices/not-a-mac/telemetry", good(now))),
    ];
    let mut messages: Vec<InboundMessage> = cases.iter().map(|(_, m)| m.clone()).collect();
    // Known and unknown devices in one payload: the known one is stored.
    messages.push(message(
        &topic,
        payload(
            mac,
            now - Duration::minutes(1),
            &[("D01", 5.0), ("D77", 1.0)],
        ),
    ));
    messages.push(message(&topic, good(now)));
    let report = writer.write(&batch(messages), Utc::now()).await.unwrap();
    assert_eq!(report.stored, 3);
    assert_eq!(report.dead_letters, cases.len() + 1);

    let letters = dead_letter::Entity::find().all(&db.db).await.unwrap();
    let mut reasons: Vec<String> = letters.iter().map(|l| l.reason.clone()).collect();
    reasons.sort();
    let mut expected: Vec<String> = cases
        .iter()
        .map(|(r, _)| (*r).to_owned())
        .chain(["UNKNOWN_DEVICE".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(
        reasons, expected,
        "one dead letter per refusal, each with its own reason"
    );
    for (reason, original) in &cases {
        let letter = letters.iter().find(|l| l.reason == *reason).unwrap();
        assert_eq!(
            letter.payload, original.payload,
            "{reason}: the raw bytes are kept"
        );
        assert!(!letter.detail.is_empty());
    }
    let own = letters
        .iter()
        .filter(|l| l.account_id == Some(account.id))
        .count();
    assert!(
        own >= 8,
        "letters on the gateway's own topic belong to its account ({own})"
    );
}

backend_tests!(
    rows_land_once_and_rollups_match,
    malformed_messages_become_dead_letters
);

async fn silent_gateways_go_offline_with_an_event(backend: Backend) {
    use sea_orm::{ActiveModelTrait, Set};
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x21, 2, 1, false).await;
    let events = EventBus::in_process();
    let mut live = events.subscribe();
    let now = Utc::now();
    // Reporting interval 60 s: one gateway silent for 10 minutes, one heard 30 s ago.
    for (g, seen) in gateways
        .iter()
        .zip([now - Duration::minutes(10), now - Duration::seconds(30)])
    {
        let model = gateway::Entity::find_by_id(g.id)
            .one(&db.db)
            .await
            .unwrap()
            .unwrap();
        let mut model: gateway::ActiveModel = model.into();
        model.is_online = Set(true);
        model.last_seen_at = Set(Some(seen));
        model.update(&db.db).await.unwrap();
    }
    let changed = tds_workers::offline::mark_silent_gateways(&db.db, &events, 2.5, now)
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let silent = gateway::Entity::find_by_id(gateways[0].id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    let heard = gateway::Entity::find_by_id(gateways[1].id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!silent.is_online && heard.is_online);
    match live.try_recv().unwrap().as_ref() {
        Event::GatewayStatus {
            account_id,
            gateway_id,
            online,
            ..
        } => {
            assert_eq!(
                (*account_id, *gateway_id, *online),
                (account.id, gateways[0].id, false)
            );
        }
        other => panic!("unexpected event {other:?}"),
    }
    // A second scan changes nothing.
    assert_eq!(
        tds_workers::offline::mark_silent_gateways(&db.db, &events, 2.5, now)
            .await
            .unwrap(),
        0
    );
}

backend_tests!(silent_gateways_go_offline_with_an_event);

async fn revoked_gateways_are_refused_even_past_the_broker(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x22, 3, 1, false).await;
    let now = Utc::now();
    let ca = tds_certs::CertificateAuthority::create("test", now).unwrap();
    // gateway 0: its only certificate revoked; gateway 1: an active one; gateway 2: none (no PKI).
    for g in &gateways[..2] {
        tds_domain::certificates::issue_for_gateway(
            &db.db,
            &tds_domain::Operator::command_line(),
            &ca,
            &g.mac,
            tds_certs::Algorithm::P256,
            now,
        )
        .await
        .unwrap();
    }
    let serial = tds_entity::certificate::Entity::find()
        .filter(tds_entity::certificate::Column::GatewayId.eq(gateways[0].id))
        .one(&db.db)
        .await
        .unwrap()
        .unwrap()
        .serial;
    tds_domain::certificates::revoke(
        &db.db,
        &tds_domain::Operator::command_line(),
        &serial,
        "key-compromise",
        now,
    )
    .await
    .unwrap();
    let writer = TelemetryWriter::new(db.db.clone(), FleetCache::default(), EventBus::in_process());
    let messages = gateways
        .iter()
        .map(|g| {
            message(
                &telemetry_topic(&g.mac),
                payload(&g.mac, now - Duration::minutes(1), &[("D01", 1.0)]),
            )
        })
        .collect();
    let report = writer.write(&batch(messages), now).await.unwrap();
    assert_eq!((report.stored, report.dead_letters), (2, 1));
    let letter = dead_letter::Entity::find()
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (letter.reason.as_str(), letter.gateway_mac.as_deref()),
        ("CERTIFICATE_REVOKED", Some(gateways[0].mac.as_str()))
    );
}

backend_tests!(revoked_gateways_are_refused_even_past_the_broker);

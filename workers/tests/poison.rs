//! No message poisons the others, and no size stalls the stream: strings PostgreSQL
//! refuses, values that would overflow, writes the database refuses, oversized payloads,
//! jobs too large for the queue and acks the certificate worker cannot handle each cost
//! only themselves. Real PostgreSQL (or SQLite), Redis (or the SQLite queue) and a
//! Mosquitto of the machine's build started for the test: a 20 MB message on the shared
//! broker would reach every other test's ingest.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tds_bus::{EventBus, InboundMessage, QueueConfig, TelemetryBatch, TelemetryQueue};
use tds_entity::{RenewalState, certificate, certificate_renewal, dead_letter, reading};
use tds_ingest::{IngestConfig, IngestCounters};
use tds_testkit::{
    Backend, TestDb, assert_rollups_match, backend_tests, eventually, forget_redis_namespace,
    payload, publish_all, seed_fleet, telemetry_topic,
};
use tds_workers::service::WorkersConfig;
use tokio::sync::oneshot;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

/// A Mosquitto (the machine's build, its default limits: none on message size) on a free
/// port, for this test alone; killed when dropped.
struct Broker {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn private_broker() -> Broker {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("tds-broker-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
             max_queued_messages 100000\nuser root\n"
        ),
    )
    .unwrap();
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "mosquitto did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Broker {
        child,
        url: format!("mqtt://127.0.0.1:{port}"),
        dir,
    }
}

fn stopper() -> (
    oneshot::Sender<()>,
    impl Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = oneshot::channel::<()>();
    (tx, async move {
        let _ = rx.await;
    })
}

/// Starts the workers service on `queue`; send on the returned sender to stop it.
fn start_workers(db: &TestDb, tag: &str, queue: &TelemetryQueue) -> oneshot::Sender<()> {
    let (stop, signal) = stopper();
    let mut config = WorkersConfig::new(tag);
    config.offline_scan_every = Duration::from_secs(3600);
    tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue.clone(),
        EventBus::in_process(),
        signal,
    ));
    stop
}

/// Starts one ingest replica on `broker`; send on the returned sender to stop it.
fn start_ingest(config: &IngestConfig, queue: &TelemetryQueue) -> oneshot::Sender<()> {
    let (stop, signal) = stopper();
    tokio::spawn(tds_ingest::run(config.clone(), queue.clone(), signal));
    stop
}

fn ingest_config(broker: &Broker, tag: &str) -> IngestConfig {
    let mut config = IngestConfig::new(&broker.url, tag);
    config.share_group = Some(format!("tds-test-{tag}"));
    config
}

/// Waits until ingest consumes a probe (its subscription is live).
async fn wait_subscribed(broker: &Broker, counters: &IngestCounters) {
    eventually(Duration::from_secs(30), "ingest subscribed", || async {
        publish_all(
            &broker.url,
            vec![(telemetry_topic("02:ff:00:00:00:00"), b"probe".to_vec())],
        )
        .await;
        counters.received.load(Ordering::SeqCst) > 0
    })
    .await;
}

/// Publishes QoS 1 messages of any size, in order, and returns once the broker took them.
async fn publish_large(url: &str, messages: Vec<(String, Vec<u8>)>) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let port: u16 = url.rsplit_once(':').unwrap().1.parse().unwrap();
    let mut options = MqttOptions::new(
        format!("test-pub-{}", Uuid::new_v4().simple()),
        "127.0.0.1",
        port,
    );
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_inflight(1)
        .set_max_packet_size(64 << 20, 64 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, messages.len() + 10);
    let total = messages.len();
    for (topic, payload) in messages {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
    let mut acked = 0;
    while acked < total {
        let event = tokio::time::timeout(Duration::from_secs(60), eventloop.poll())
            .await
            .expect("the broker acknowledges within a minute")
            .expect("broker reachable");
        if let Event::Incoming(Packet::PubAck(_)) = event {
            acked += 1;
        }
    }
    let _ = client.disconnect().await;
}

fn message(topic: &str, payload: Vec<u8>) -> InboundMessage {
    InboundMessage {
        topic: topic.to_owned(),
        payload,
        received_at: Utc::now(),
        truncated_from: None,
    }
}

/// A payload written by hand (to carry escapes `serde_json::json!` would not produce).
fn raw_payload(mac: &str, stamp: &str, items: &str) -> Vec<u8> {
    format!(r#"{{"gateway_mac": "{mac}", "timestamp": "{stamp}", "leituras": [{items}]}}"#)
        .into_bytes()
}

/// Stands in for a refusal no parser can foresee (a constraint, a trigger, a limit):
/// the database refuses any reading of `value`.
async fn refuse_value(db: &TestDb, value: f64) {
    let sql = match db.backend() {
        Backend::Postgres => {
            format!("ALTER TABLE readings ADD CONSTRAINT refuse_poison CHECK (value <> {value})")
        }
        Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON readings WHEN NEW.value = {value} \
             BEGIN SELECT RAISE(ABORT, 'refuse_poison'); END"
        ),
    };
    db.db.execute_unprepared(&sql).await.unwrap();
}

async fn readings_of(db: &TestDb, account: Uuid) -> u64 {
    reading::Entity::find()
        .filter(reading::Column::AccountId.eq(account))
        .count(&db.db)
        .await
        .unwrap()
}

/// Poison of every kind, in the same jobs as good messages of two accounts, through the
/// queue and the workers: every good reading is stored once, and each poison is one dead
/// letter of its own account with its own reason.
async fn poison_costs_only_itself(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (a, gws_a) = seed_fleet(&db.db, "UTC", 0xa1, 2, 2, false).await;
    let (b, gws_b) = seed_fleet(&db.db, "UTC", 0xa2, 1, 2, false).await;
    refuse_value(&db, 666.0).await;
    let tag = Uuid::new_v4().simple().to_string();
    let queue_file = std::env::temp_dir().join(format!("tds-queue-{tag}.db"));
    let queue_url = match backend {
        Backend::Postgres => REDIS.to_owned(),
        Backend::Sqlite => format!("sqlite://{}", queue_file.display()),
    };
    let queue_name = format!("tds-test:{tag}:telemetry");
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(&queue_url, &queue_name))
        .await
        .unwrap();

    let now = Utc::now();
    let at = |minutes: i64| now - Span::minutes(minutes);
    let stamp = |t: DateTime<Utc>| t.to_rfc3339();
    let mut good = Vec::new();
    for i in 0..20 {
        for g in gws_a.iter().chain(&gws_b) {
            good.push(message(
                &telemetry_topic(&g.mac),
                payload(&g.mac, at(100 + i), &[("D01", i as f64), ("D02", 1.0)]),
            ));
        }
    }
    let (ma, mb) = (gws_a[0].mac.as_str(), gws_b[0].mac.as_str());
    let (ta, tb) = (telemetry_topic(ma), telemetry_topic(mb));
    // (reason, account, message). One message holds a good item beside a poisoned one:
    // the good item is stored.
    let poison: Vec<(&str, Option<Uuid>, InboundMessage)> = vec![
        (
            "NUL_IN_STRING",
            Some(a.id),
            message(
                &ta,
                raw_payload(
                    ma,
                    &stamp(at(1)),
                    r#"{"dispositivo_codigo": "D0\u00001", "valor": 1}"#,
                ),
            ),
        ),
        (
            "NUL_IN_STRING",
            Some(a.id),
            message(
                &ta,
                raw_payload(
                    ma,
                    &stamp(at(2)),
                    r#"{"dispositivo_codigo": "D01", "valor": 2}, {"dispositivo_codigo": "D02", "valor": 2, "unidade": "kWh\u0000"}"#,
                ),
            ),
        ),
        (
            "NUL_IN_STRING",
            Some(b.id),
            message(
                &tb,
                raw_payload(
                    mb,
                    &stamp(at(3)),
                    r#"{"dispositivo_codigo": "D01", "valor": 3, "nota": "x\u0000y"}"#,
                ),
            ),
        ),
        (
            "NUL_IN_STRING",
            Some(b.id),
            message(
                &tb,
                raw_payload(
                    mb,
                    &stamp(at(4)),
                    r#"{"dispositivo_codigo": "D01", "valor": 4, "a\u0000": 1}"#,
                ),
            ),
        ),
        (
            "BAD_TIMESTAMP",
            Some(a.id),
            message(
                &ta,
                raw_payload(
                    ma,
                    "2026\\u0000",
                    r#"{"dispositivo_codigo": "D01", "valor": 5}"#,
                ),
            ),
        ),
        (
            "OUT_OF_RANGE",
            Some(b.id),
            message(
                &tb,
                raw_payload(
                    mb,
                    &stamp(at(6)),
                    r#"{"dispositivo_codigo": "D01", "valor": 1e300}"#,
                ),
            ),
        ),
        (
            "BAD_JSON",
            Some(a.id),
            message(
                &ta,
                raw_payload(
                    ma,
                    &stamp(at(7)),
                    r#"{"dispositivo_codigo": "D01", "valor": 7, "nota": "\ud800"}"#,
                ),
            ),
        ),
        (
            "STORAGE_REFUSED",
            Some(a.id),
            message(&ta, payload(ma, at(8), &[("D01", 666.0), ("D02", 8.0)])),
        ),
        (
            "STORAGE_REFUSED",
            Some(b.id),
            message(&tb, payload(mb, at(9), &[("D02", 666.0)])),
        ),
        (
            "BAD_TOPIC",
            None,
            message(
                "tds_new/devices/02:a1:00:00:00:00\u{0}/telemetry",
                payload(ma, at(10), &[("D01", 10.0)]),
            ),
        ),
    ];
    // Poison spread through the good messages of two jobs.
    let mut jobs: Vec<Vec<InboundMessage>> = vec![Vec::new(), Vec::new()];
    for (i, m) in good.iter().enumerate() {
        jobs[i % 2].push(m.clone());
        if i % 6 == 0
            && let Some((_, _, p)) = poison.get(i / 6)
        {
            jobs[(i / 6) % 2].push(p.clone());
        }
    }
    assert_eq!(
        jobs.iter().map(Vec::len).sum::<usize>(),
        good.len() + poison.len()
    );
    for messages in jobs {
        queue.push(TelemetryBatch { messages }).await.unwrap();
    }
    let stop = start_workers(&db, &tag, &queue);

    let expected_a = 20 * 2 * 2 + 1; // + the good item beside a poisoned one
    let expected_b = 20 * 2;
    eventually(
        Duration::from_secs(60),
        "every good reading stored",
        || async {
            readings_of(&db, a.id).await >= expected_a && readings_of(&db, b.id).await >= expected_b
        },
    )
    .await;
    eventually(Duration::from_secs(30), "the queue drained", || {
        let mut queue = queue.clone();
        async move { queue.backlog().await.unwrap() == 0 }
    })
    .await;
    assert_eq!(readings_of(&db, a.id).await, expected_a);
    assert_eq!(readings_of(&db, b.id).await, expected_b);
    assert_rollups_match(&db.db, "UTC".parse().unwrap()).await;

    let letters = dead_letter::Entity::find().all(&db.db).await.unwrap();
    let mut got: Vec<(String, Option<Uuid>, Vec<u8>)> = letters
        .iter()
        .map(|l| (l.reason.clone(), l.account_id, l.payload.clone()))
        .collect();
    let mut want: Vec<(String, Option<Uuid>, Vec<u8>)> = poison
        .iter()
        .map(|(r, acc, m)| ((*r).to_owned(), *acc, m.payload.clone()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(
        got, want,
        "one dead letter per poison, its own reason and account, its bytes kept"
    );
    let bad_topic = letters.iter().find(|l| l.reason == "BAD_TOPIC").unwrap();
    assert_eq!(
        bad_topic.topic, "tds_new/devices/02:a1:00:00:00:00\\u0000/telemetry",
        "text quoting the message is stored with the NUL made visible"
    );
    for refused in letters.iter().filter(|l| l.reason == "STORAGE_REFUSED") {
        assert!(refused.detail.contains("error code"), "{}", refused.detail);
        assert!(
            !refused.detail.contains("refuse_poison"),
            "the database's own text stays in the log: {}",
            refused.detail
        );
    }

    // The pipeline goes on afterwards.
    queue
        .push(TelemetryBatch {
            messages: vec![message(&ta, payload(ma, at(11), &[("D01", 11.0)]))],
        })
        .await
        .unwrap();
    eventually(
        Duration::from_secs(30),
        "a later message stored",
        || async { readings_of(&db, a.id).await == expected_a + 1 },
    )
    .await;
    let _ = stop.send(());
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
    let _ = std::fs::remove_file(queue_file);
}

backend_tests!(poison_costs_only_itself);

/// Through MQTT: a 20 MB message (far beyond what any client used to accept) and a
/// poisoned one between good ones. Ingest never reconnects, the good ones are stored, the
/// oversized one is an OVERSIZED dead letter keeping its first 64 KiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_oversized_message_neither_stalls_nor_vanishes() {
    let broker = private_broker();
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0xa3, 1, 2, false).await;
    let tag = Uuid::new_v4().simple().to_string();
    let queue = TelemetryQueue::connect(&QueueConfig::new(
        REDIS,
        &format!("tds-test:{tag}:telemetry"),
    ))
    .await
    .unwrap();
    let ingest = ingest_config(&broker, &tag);
    let stop_ingest = start_ingest(&ingest, &queue);
    let stop_workers = start_workers(&db, &tag, &queue);
    wait_subscribed(&broker, &ingest.counters).await;

    let mac = gateways[0].mac.as_str();
    let topic = telemetry_topic(mac);
    let now = Utc::now();
    let good = |i: i64| {
        (
            topic.clone(),
            payload(
                mac,
                now - Span::minutes(i),
                &[("D01", i as f64), ("D02", 1.0)],
            ),
        )
    };
    let mut huge = payload(mac, now, &[("D01", 1.0)]);
    huge.resize(20 * 1024 * 1024, b' ');
    let poisoned = raw_payload(
        mac,
        &(now - Span::minutes(30)).to_rfc3339(),
        r#"{"dispositivo_codigo": "D01", "valor": 1, "nota": "\u0000"}"#,
    );
    let mut messages: Vec<_> = (1..=5).map(good).collect();
    messages.push((topic.clone(), poisoned.clone()));
    messages.push((topic.clone(), huge.clone()));
    messages.extend((6..=10).map(good));
    publish_large(&broker.url, messages).await;

    eventually(
        Duration::from_secs(60),
        "the good messages stored",
        || async { readings_of(&db, account.id).await >= 20 },
    )
    .await;
    let letters = || async {
        let mut l = dead_letter::Entity::find()
            .filter(dead_letter::Column::AccountId.eq(account.id))
            .all(&db.db)
            .await
            .unwrap();
        l.sort_by(|a, b| a.reason.cmp(&b.reason));
        l
    };
    eventually(Duration::from_secs(30), "two dead letters", || async {
        letters().await.len() >= 2
    })
    .await;
    let letters = letters().await;
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    assert_eq!(reasons, ["NUL_IN_STRING", "OVERSIZED"]);
    assert_eq!(letters[0].payload, poisoned);
    let oversized = &letters[1];
    assert_eq!(
        oversized.payload,
        huge[..64 * 1024],
        "its first 64 KiB are kept"
    );
    assert!(
        oversized.detail.starts_with("20971520 bytes"),
        "{}",
        oversized.detail
    );
    assert_eq!(readings_of(&db, account.id).await, 20);
    assert_eq!(
        ingest.counters.connections.load(Ordering::SeqCst),
        1,
        "ingest never lost its connection"
    );
    let _ = stop_ingest.send(());
    let _ = stop_workers.send(());
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
}

/// A job the queue finds too large is pushed in halves (not retried forever), and ingest
/// keeps its jobs within its byte budget; every message is stored either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_stay_within_budget_and_split_when_too_large() {
    let broker = private_broker();
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0xa4, 1, 1, false).await;
    let tag = Uuid::new_v4().simple().to_string();
    let name = format!("tds-test:{tag}:telemetry");
    let mac = gateways[0].mac.as_str();
    let topic = telemetry_topic(mac);
    let now = Utc::now();
    // ~8 KiB payloads (an unread padding field), each a reading at its own minute.
    let padded = |i: i64| {
        let mut p = payload(mac, now - Span::minutes(i), &[("D01", i as f64)]);
        p.pop();
        p.extend(format!(r#", "pad": "{}"}}"#, "x".repeat(8 * 1024)).into_bytes());
        p
    };

    // The queue refuses more than its smallest limit: 60 messages (~660 KB) in halves.
    let mut small = QueueConfig::new(REDIS, &name);
    small.max_job_bytes = 0; // raised to the floor, one message always fits
    let mut queue = TelemetryQueue::connect(&small).await.unwrap();
    assert_eq!(queue.max_job_bytes(), tds_bus::queue::MIN_JOB_BYTES);
    let first: Vec<InboundMessage> = (1..=60).map(|i| message(&topic, padded(i))).collect();
    let total = TelemetryBatch {
        messages: first.clone(),
    }
    .queued_len();
    let counters = IngestCounters::default();
    let jobs =
        tds_ingest::push_all(&mut queue, first, &counters, &tds_bus::Readiness::default()).await;
    assert!(
        jobs as usize >= total.div_ceil(queue.max_job_bytes()),
        "{jobs} jobs for {total} bytes"
    );
    assert_eq!(counters.splits.load(Ordering::SeqCst), jobs - 1);
    let stop_workers = start_workers(&db, &tag, &queue);
    eventually(
        Duration::from_secs(60),
        "every split message stored",
        || async { readings_of(&db, account.id).await >= 60 },
    )
    .await;

    // Ingest with a 64 KiB budget: 40 more messages go out in jobs under it.
    let mut ingest = ingest_config(&broker, &tag);
    ingest.job_budget = 64 * 1024;
    let stop_ingest = start_ingest(&ingest, &queue);
    wait_subscribed(&broker, &ingest.counters).await;
    let jobs_before = ingest.counters.jobs.load(Ordering::SeqCst);
    let second: Vec<(String, Vec<u8>)> = (61..=100).map(|i| (topic.clone(), padded(i))).collect();
    let bytes: usize = second
        .iter()
        .map(|(t, p)| message(t, p.clone()).queued_len())
        .sum();
    publish_all(&broker.url, second).await;
    eventually(
        Duration::from_secs(60),
        "every budgeted message stored",
        || async { readings_of(&db, account.id).await >= 100 },
    )
    .await;
    let jobs = ingest.counters.jobs.load(Ordering::SeqCst) - jobs_before;
    assert!(
        jobs as usize >= bytes.div_ceil(64 * 1024),
        "{jobs} jobs for {bytes} bytes"
    );
    assert_eq!(ingest.counters.splits.load(Ordering::SeqCst), 0);
    assert_eq!(readings_of(&db, account.id).await, 100);
    let _ = stop_ingest.send(());
    let _ = stop_workers.send(());
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
}

async fn renewal_of(db: &TestDb, id: Uuid) -> certificate_renewal::Model {
    certificate_renewal::Entity::find_by_id(id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap()
}

/// An ack the certificate worker cannot handle (its serial holds U+0000, which PostgreSQL
/// refuses as a query parameter) is tried a few times and kept as a dead letter, while
/// other gateways' acks are applied and the poll publishes a renewal scheduled meanwhile;
/// the poison is acknowledged (it does not come again after a restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ack_that_cannot_be_handled_holds_up_nothing() {
    use tds_workers::renewals::{LinkConfig, RenewalConfig};
    let broker = private_broker();
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0xa5, 4, 0, false).await;
    let (poisoner, good, later) = (&gateways[0], &gateways[1..3], &gateways[3]);
    let tag = Uuid::new_v4().simple().to_string();
    let data = broker.dir.join("data");
    let now = Utc::now();
    let ca = tds_certs::init_ca(&data, now).unwrap();
    for g in &gateways[1..] {
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
    let mut link = LinkConfig::new(&broker.url, &tag);
    link.share_group = Some(format!("tds-test-{tag}"));
    let config = RenewalConfig {
        policy: tds_domain::renewals::RenewalPolicy::default(),
        link,
        data_dir: data.clone(),
        crl_paths: vec![data.join("crl.pem")],
        poll: Duration::from_millis(200),
        name: format!("renewals-{tag}"),
    };
    let start = |config: RenewalConfig| {
        let (stop, signal) = stopper();
        let db = db.db.clone();
        let task = tokio::spawn(async move {
            tds_workers::renewals::run(config, db, Default::default(), signal)
                .await
                .unwrap();
        });
        (stop, task)
    };
    let renewals: Vec<Uuid> = {
        let mut ids = Vec::new();
        for g in good {
            ids.push(
                tds_domain::renewals::renew_by_mac(
                    &db.db,
                    &tds_domain::Operator::command_line(),
                    &g.mac,
                    now,
                )
                .await
                .unwrap()
                .id,
            );
        }
        ids
    };
    let (stop, task) = start(config.clone());
    for id in &renewals {
        eventually(Duration::from_secs(30), "renewal published", || async {
            renewal_of(&db, *id).await.state == RenewalState::Published
        })
        .await;
    }
    let ack_topic = |mac: &str| format!("tds_new/devices/{mac}/cert_update/ack");
    let mut acks = vec![(
        ack_topic(&poisoner.mac),
        br#"{"serial": "ab\u0000cd", "status": "applied", "detail": "x"}"#.to_vec(),
    )];
    for (g, id) in good.iter().zip(&renewals) {
        let successor = renewal_of(&db, *id).await.new_certificate_id.unwrap();
        let serial = certificate::Entity::find_by_id(successor)
            .one(&db.db)
            .await
            .unwrap()
            .unwrap()
            .serial;
        acks.push((
            ack_topic(&g.mac),
            serde_json::json!({"serial": serial, "status": "applied", "detail": "ok"})
                .to_string()
                .into_bytes(),
        ));
    }
    publish_all(&broker.url, acks).await;
    // Scheduled after the poison arrived: only the poll publishes it.
    let scheduled = tds_domain::renewals::renew_by_mac(
        &db.db,
        &tds_domain::Operator::command_line(),
        &later.mac,
        Utc::now(),
    )
    .await
    .unwrap()
    .id;
    for id in &renewals {
        eventually(
            Duration::from_secs(30),
            "other gateways' acks applied",
            || async { renewal_of(&db, *id).await.state == RenewalState::Applied },
        )
        .await;
    }
    eventually(Duration::from_secs(30), "the poll went on", || async {
        renewal_of(&db, scheduled).await.state == RenewalState::Published
    })
    .await;
    let failed = || async {
        dead_letter::Entity::find()
            .filter(dead_letter::Column::Reason.eq("HANDLING_FAILED"))
            .all(&db.db)
            .await
            .unwrap()
    };
    eventually(
        Duration::from_secs(30),
        "the poison dead-lettered",
        || async { !failed().await.is_empty() },
    )
    .await;
    let letter = &failed().await[0];
    assert_eq!(
        (letter.account_id, letter.gateway_mac.as_deref()),
        (Some(account.id), Some(poisoner.mac.as_str()))
    );
    assert!(letter.detail.contains("3 attempts"), "{}", letter.detail);
    let _ = stop.send(());
    task.await.unwrap();

    // Restarted on the same session: the poison was acknowledged, so the gateway's next
    // message (which would wait behind a redelivered poison) is all that comes.
    let (stop, task) = start(config);
    publish_all(
        &broker.url,
        vec![(ack_topic(&poisoner.mac), b"garbage".to_vec())],
    )
    .await;
    let by_reason = || async {
        let mut counts = BTreeMap::new();
        for l in dead_letter::Entity::find().all(&db.db).await.unwrap() {
            *counts.entry(l.reason).or_insert(0) += 1;
        }
        counts
    };
    eventually(
        Duration::from_secs(30),
        "the next message handled",
        || async { by_reason().await.contains_key("BAD_ACK") },
    )
    .await;
    assert_eq!(by_reason().await.get("HANDLING_FAILED"), Some(&1));
    let _ = stop.send(());
    task.await.unwrap();
}

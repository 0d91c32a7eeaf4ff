//! The telemetry consumer against Redis going away: a private `redis-server` (append-only
//! file, as in production) killed with SIGKILL and started again, and a worker started
//! under the name of one that died holding jobs. Every job ends stored, none lingers.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tds_bus::queue::QueueBackend;
use tds_bus::{EventBus, InboundMessage, QueueConfig, TelemetryBatch, TelemetryQueue};
use tds_entity::reading;
use tds_testkit::{Backend, TestDb, TestGateway, eventually, payload, seed_fleet, telemetry_topic};
use tds_workers::service::WorkersConfig;
use tokio::sync::oneshot;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

/// A `redis-server` of the test's own, on a free port, keeping an append-only file.
struct PrivateRedis {
    port: u16,
    dir: std::path::PathBuf,
    process: std::process::Child,
}

impl PrivateRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("tds-redis-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut redis = Self {
            port,
            dir,
            process: std::process::Command::new("true").spawn().unwrap(),
        };
        redis.launch();
        redis
    }

    fn launch(&mut self) {
        self.process = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no chance to write anything more.
    fn kill(&mut self) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
    }

    async fn wait_up(&self) {
        let url = self.url();
        eventually(Duration::from_secs(10), "private Redis answers", || {
            let url = url.clone();
            async move {
                let Ok(client) = redis::Client::open(url.as_str()) else {
                    return false;
                };
                match client.get_multiplexed_async_connection().await {
                    Ok(mut conn) => redis::cmd("PING")
                        .query_async::<String>(&mut conn)
                        .await
                        .is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One job of `count` messages of `gateway`, starting at minute `from` of a fixed day.
fn batch(gateway: &TestGateway, from: u32, count: u32) -> TelemetryBatch {
    let day = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let codes: Vec<&str> = gateway.devices.iter().map(|(c, _)| c.as_str()).collect();
    TelemetryBatch {
        messages: (from..from + count)
            .map(|minute| {
                let values: Vec<(&str, f64)> = codes.iter().map(|c| (*c, minute as f64)).collect();
                InboundMessage {
                    topic: telemetry_topic(&gateway.mac),
                    payload: payload(
                        &gateway.mac,
                        day + chrono::Duration::minutes(minute as i64),
                        &values,
                    ),
                    received_at: Utc::now(),
                    truncated_from: None,
                }
            })
            .collect(),
    }
}

async fn stored(db: &sea_orm::DatabaseConnection, gateway: &TestGateway) -> u64 {
    reading::Entity::find()
        .filter(reading::Column::GatewayId.eq(gateway.id))
        .count(db)
        .await
        .unwrap()
}

/// Waits until `rows` readings of `gateway` are stored and the queue holds no job at all
/// (none waiting, none left "running" under a worker).
async fn drained(db: &TestDb, gateway: &TestGateway, rows: u64, queue: &TelemetryQueue) {
    eventually(Duration::from_secs(20), "every job stored", || async {
        stored(&db.db, gateway).await == rows
    })
    .await;
    eventually(
        Duration::from_secs(20),
        "no job lingers in the queue",
        || {
            let mut queue = queue.clone();
            async move { queue.backlog().await.unwrap() == 0 }
        },
    )
    .await;
}

fn start_workers(
    db: &TestDb,
    name: &str,
    queue: &TelemetryQueue,
) -> (oneshot::Sender<()>, tds_bus::Readiness) {
    let (stop, stopped) = oneshot::channel::<()>();
    let mut config = WorkersConfig::new(name);
    config.name = name.to_owned();
    config.offline_scan_every = Duration::from_secs(3600);
    let readiness = config.readiness.clone();
    tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue.clone(),
        EventBus::in_process(),
        async move {
            let _ = stopped.await;
        },
    ));
    (stop, readiness)
}

#[tokio::test]
async fn the_consumer_outlives_a_redis_killed_and_restarted() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x71, 1, 2, false).await;
    let gateway = &gateways[0];
    let mut redis = PrivateRedis::start();
    redis.wait_up().await;
    let tag = Uuid::new_v4().simple().to_string();
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(&redis.url(), &format!("t:{tag}")))
        .await
        .unwrap();
    let (stop, readiness) = start_workers(&db, &format!("restarts-{tag}"), &queue);

    queue.push(batch(gateway, 0, 10)).await.unwrap();
    eventually(Duration::from_secs(20), "first jobs stored", || async {
        stored(&db.db, gateway).await == 20
    })
    .await;

    redis.kill();
    eventually(
        Duration::from_secs(10),
        "readiness reports the queue lost",
        || async { !readiness.ready() },
    )
    .await;
    redis.launch();
    redis.wait_up().await;
    eventually(
        Duration::from_secs(20),
        "readiness reports the queue back",
        || async { readiness.ready() },
    )
    .await;

    // The same handle reconnects by itself.
    let mut pushed = false;
    for _ in 0..100 {
        if queue.push(batch(gateway, 10, 10)).await.is_ok() {
            pushed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        pushed,
        "the queue handle reconnected to the restarted Redis"
    );
    drained(&db, gateway, 40, &queue).await;
    let _ = stop.send(());
}

#[tokio::test]
async fn a_worker_restarted_under_its_name_takes_back_its_predecessors_jobs() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x72, 1, 2, false).await;
    let gateway = &gateways[0];
    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}q")))
        .await
        .unwrap();
    for part in 0..5 {
        queue.push(batch(gateway, part * 4, 4)).await.unwrap();
    }
    // The predecessor fetched all five jobs and died a moment ago: they are in its
    // in-flight set and its heartbeat is fresh, so no other worker takes them back yet.
    let name = format!("restarts-{tag}");
    let QueueBackend::Redis(storage) = queue.backend() else {
        unreachable!("a Redis queue")
    };
    let config = storage.get_config().clone();
    let mut conn = redis::Client::open(REDIS)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    // A push lands in the scheduled set, due now; a fetch moves it to the active list.
    let ids: Vec<String> = redis::cmd("ZRANGE")
        .arg(config.scheduled_jobs_set())
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(ids.len(), 5);
    let _: () = redis::pipe()
        .cmd("DEL")
        .arg(config.scheduled_jobs_set())
        .cmd("SADD")
        .arg(format!("{}:{name}", config.inflight_jobs_set()))
        .arg(&ids)
        .cmd("ZADD")
        .arg(config.workers_set())
        .arg(Utc::now().timestamp())
        .arg(&name)
        .query_async(&mut conn)
        .await
        .unwrap();

    let (stop, _) = start_workers(&db, &name, &queue);
    drained(&db, gateway, 40, &queue).await;
    let _ = stop.send(());
    tds_testkit::forget_redis_namespace(REDIS, &prefix).await;
}

/// A webhook receiver in the test counting what reached it.
async fn counting_endpoint() -> (std::sync::Arc<std::sync::atomic::AtomicU32>, String) {
    use std::sync::atomic::{AtomicU32, Ordering};
    let hits = std::sync::Arc::new(AtomicU32::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hits, url)
}

fn webhook(url: &str) -> tds_bus::Notification {
    use tds_bus::jobs::{AlertNotice, AlertTransition, Channel, Locale, Message, Severity};
    tds_bus::Notification::new(
        Channel::Webhook {
            url: url.into(),
            secret: "k".into(),
        },
        Message::Alert(AlertNotice {
            alert_id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            account_name: "A".into(),
            locale: Locale::En,
            timezone: "UTC".into(),
            rule_name: "R".into(),
            severity: Severity::Info,
            transition: AlertTransition::Opened,
            message: String::new(),
            device_name: None,
            gateway_name: None,
            value: None,
            unit: None,
            threshold: None,
            at: Utc::now(),
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_sent_again_after_redis_is_killed_and_restarted() {
    use std::sync::atomic::Ordering;
    let db = TestDb::migrated(Backend::Sqlite).await;
    let mut redis = PrivateRedis::start();
    redis.wait_up().await;
    let tag = Uuid::new_v4().simple().to_string();
    let queue = TelemetryQueue::connect(&QueueConfig::new(&redis.url(), &format!("t:{tag}")))
        .await
        .unwrap();
    let mut notifications =
        tds_bus::NotificationQueue::connect(&QueueConfig::new(&redis.url(), &format!("n:{tag}")))
            .await
            .unwrap();
    let (hits, url) = counting_endpoint().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let mut config = WorkersConfig::new(&tag);
    config.offline_scan_every = Duration::from_secs(3600);
    config.notifications = Some(tds_workers::notifications::NotificationsConfig {
        name: format!("notifications-{tag}"),
        queue: notifications.clone(),
        notifier: std::sync::Arc::new(tds_notify::Notifier {
            mailer: None,
            webhooks: tds_notify::WebhookSender::new(true).unwrap(),
            links: tds_notify::Links::new("https://tds.example.com"),
            retry: tds_notify::RetryPolicy::default(),
        }),
        log: std::sync::Arc::new(tds_notify::MemoryAttemptLog::default()),
        concurrency: 2,
        report_files: None,
    });
    let workers = tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue,
        EventBus::in_process(),
        async move {
            let _ = stopped.await;
        },
    ));

    notifications.push(webhook(&url)).await.unwrap();
    eventually(Duration::from_secs(20), "the first webhook", || async {
        hits.load(Ordering::SeqCst) == 1
    })
    .await;

    redis.kill();
    // Long enough for the worker to notice and fail at least once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.launch();
    redis.wait_up().await;

    eventually(
        Duration::from_secs(30),
        "a webhook pushed after the restart",
        || {
            let mut notifications = notifications.clone();
            let url = url.clone();
            let hits = hits.clone();
            async move {
                // Pushes until one is taken: the connection may still be coming back.
                if hits.load(Ordering::SeqCst) == 1 {
                    let _ = notifications.push(webhook(&url)).await;
                }
                hits.load(Ordering::SeqCst) >= 2
            }
        },
    )
    .await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), workers)
        .await
        .unwrap()
        .unwrap();
}

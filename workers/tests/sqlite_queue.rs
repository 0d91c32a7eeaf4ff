//! The workers on the SQLite queue file of `tds demo`, while the file is slow to answer
//! (a busy machine, another connection holding its write lock): every job still gets
//! done once the file answers again, and the workers keep polling.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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

/// A queue file of the test's own, removed at the end.
struct QueueFile {
    dir: std::path::PathBuf,
}

impl QueueFile {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("tds-queue-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.dir.join("queue.db").display())
    }
}

impl Drop for QueueFile {
    fn drop(&mut self) {
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

/// How long a commit to the queue file takes while commits are slow.
const SLOW_COMMIT: Duration = Duration::from_millis(300);

/// Makes every commit to the queue file through `pool` take [`SLOW_COMMIT`] while `slow`
/// is set: what a loaded machine does to a connection's thread, each step of a fetch
/// waiting for a core (longer than the workers' poll intervals, 10 and 250 ms). The hook
/// goes on every connection the pool may hold: all of them are opened now and kept (the
/// pool closes none within a test).
async fn slow_commits(pool: &sqlx::SqlitePool, slow: &Arc<AtomicBool>) {
    let mut connections = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        connections.push(pool.acquire().await.unwrap());
    }
    for connection in &mut connections {
        let slow = slow.clone();
        connection
            .lock_handle()
            .await
            .unwrap()
            .set_commit_hook(move || {
                if slow.load(Ordering::SeqCst) {
                    std::thread::sleep(SLOW_COMMIT);
                }
                true // commit
            });
    }
}

/// Holds the queue file's write lock from a connection of its own for `hold` (longer
/// than a worker heartbeat, shorter than SQLite's busy timeout), `times` times, with
/// commits slow from then until the fetches that waited for the lock committed: what a
/// loaded machine does to the workers, whose fetches wait across a heartbeat.
async fn hold_write_lock(url: &str, slow: &AtomicBool, hold: Duration, times: u32) {
    use sqlx::Connection;
    for _ in 0..times {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap();
        slow.store(true, Ordering::SeqCst);
        tokio::time::sleep(hold).await;
        sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        // Each worker's waiting fetch takes the lock and starts its commit meanwhile.
        tokio::time::sleep(SLOW_COMMIT + Duration::from_millis(100)).await;
        slow.store(false, Ordering::SeqCst);
        // Long enough for every waiting write to get the lock before the next hold.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }
}

/// When each worker registered with the queue file (a worker started again registers
/// anew), by name.
async fn registrations(queue: &TelemetryQueue) -> Vec<(String, i64)> {
    let QueueBackend::Sqlite(storage) = queue.backend() else {
        panic!("a SQLite queue");
    };
    sqlx::query_as("SELECT id, started_at FROM Workers ORDER BY id")
        .fetch_all(storage.pool())
        .await
        .unwrap()
}

/// A webhook endpoint counting the calls it gets.
async fn counting_endpoint() -> (Arc<AtomicU32>, String) {
    let hits = Arc::new(AtomicU32::new(0));
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

/// A slow fetch spanning a heartbeat used to leave the worker with no timer to wake it
/// (apalis's poll interval is not armed again after it fired): the worker never polled
/// again and nothing said so. Jobs pushed afterwards must still be done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_queue_workers_keep_polling_after_the_queue_file_was_locked() {
    let db = TestDb::migrated(Backend::Sqlite).await;
    let (_, gateways) = seed_fleet(&db.db, "UTC", 0x73, 1, 2, false).await;
    let gateway = &gateways[0];
    let file = QueueFile::new();
    let tag = Uuid::new_v4().simple().to_string();
    let mut queue = TelemetryQueue::connect(&QueueConfig::new(&file.url(), "tds:telemetry"))
        .await
        .unwrap();
    let mut notifications =
        tds_bus::NotificationQueue::connect(&QueueConfig::new(&file.url(), "tds:notifications"))
            .await
            .unwrap();
    let (hits, url) = counting_endpoint().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let mut config = WorkersConfig::new(&tag);
    config.offline_scan_every = Duration::from_secs(3600);
    config.vacuum_every = Duration::from_secs(3600);
    config.writers = 1;
    config.notifications = Some(tds_workers::notifications::NotificationsConfig {
        name: format!("notifications-{tag}"),
        queue: notifications.clone(),
        notifier: Arc::new(tds_notify::Notifier {
            mailer: None,
            webhooks: tds_notify::WebhookSender::new(true).unwrap(),
            links: tds_notify::Links::new("https://tds.example.com"),
            retry: tds_notify::RetryPolicy::default(),
        }),
        log: Arc::new(tds_notify::MemoryAttemptLog::default()),
        concurrency: 2,
        report_files: None,
    });
    let workers = tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        queue.clone(),
        EventBus::in_process(),
        async move {
            let _ = stopped.await;
        },
    ));

    queue.push(batch(gateway, 0, 10)).await.unwrap();
    notifications.push(webhook(&url)).await.unwrap();
    eventually(Duration::from_secs(20), "the first job stored", || async {
        stored(&db.db, gateway).await == 20
    })
    .await;
    eventually(Duration::from_secs(20), "the first webhook", || async {
        hits.load(Ordering::SeqCst) == 1
    })
    .await;
    // Idle workers: what they do now is fetch, finding nothing, every poll interval.
    eventually(
        Duration::from_secs(20),
        "the first job acknowledged",
        || {
            let mut queue = queue.clone();
            async move { queue.backlog().await.unwrap() == 0 }
        },
    )
    .await;

    let registered = registrations(&queue).await;
    assert_eq!(registered.len(), 2, "{registered:?}");

    // A loaded machine: the workers' fetches wait for the write lock across a heartbeat,
    // and commits are slow.
    let slow = Arc::new(AtomicBool::new(false));
    let QueueBackend::Sqlite(telemetry_file) = queue.backend() else {
        panic!("a SQLite queue");
    };
    slow_commits(telemetry_file.pool(), &slow).await;
    let tds_bus::JobBackend::Sqlite(notifications_file) = notifications.backend() else {
        panic!("a SQLite queue");
    };
    slow_commits(notifications_file.pool(), &slow).await;
    hold_write_lock(&file.url(), &slow, Duration::from_millis(2_200), 3).await;

    queue.push(batch(gateway, 10, 10)).await.unwrap();
    notifications.push(webhook(&url)).await.unwrap();
    // By the workers that were polling before: not by ones started after a stall was
    // found out (`supervise`), which takes longer than this.
    eventually(
        Duration::from_secs(10),
        "a job and a webhook pushed after the lock was released done",
        || async { stored(&db.db, gateway).await == 40 && hits.load(Ordering::SeqCst) == 2 },
    )
    .await;
    assert_eq!(
        registrations(&queue).await,
        registered,
        "the workers kept polling: none was replaced"
    );
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), workers)
        .await
        .unwrap()
        .unwrap();
}

//! The notification worker on a real Redis queue, inside the workers' job monitor: a
//! failing webhook endpoint is retried with doubling delays, each attempt recorded,
//! until it answers; a permanent refusal is tried once.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use tds_bus::jobs::{AlertNotice, AlertTransition, Channel, Locale, Message, Severity};
use tds_bus::{EventBus, Notification, NotificationQueue, QueueConfig, TelemetryQueue};
use tds_notify::{AttemptOutcome, Links, MemoryAttemptLog, Notifier, RetryPolicy, WebhookSender};
use tds_testkit::{Backend, TestDb, eventually, forget_redis_namespace};
use tds_workers::notifications::NotificationsConfig;
use tds_workers::service::WorkersConfig;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

/// Answers the statuses in turn, then 204; counts requests.
#[derive(Clone, Default)]
struct Endpoint {
    answers: Arc<Mutex<Vec<StatusCode>>>,
    hits: Arc<Mutex<u32>>,
}

async fn hook(State(e): State<Endpoint>) -> StatusCode {
    *e.hits.lock().unwrap() += 1;
    let mut answers = e.answers.lock().unwrap();
    if answers.is_empty() {
        StatusCode::NO_CONTENT
    } else {
        answers.remove(0)
    }
}

async fn endpoint(answers: Vec<StatusCode>) -> (Endpoint, String) {
    let e = Endpoint {
        answers: Arc::new(Mutex::new(answers)),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(e.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (e, url)
}

fn alert(url: &str) -> Notification {
    Notification::new(
        Channel::Webhook {
            url: url.into(),
            secret: "k".into(),
        },
        Message::Alert(AlertNotice {
            alert_id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            account_name: "Acme".into(),
            locale: Locale::En,
            timezone: "UTC".into(),
            rule_name: "High".into(),
            severity: Severity::Warning,
            transition: AlertTransition::Opened,
            message: String::new(),
            device_name: None,
            gateway_name: Some("G1".into()),
            value: Some(5.0),
            unit: None,
            threshold: Some(4.0),
            at: Utc::now(),
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_webhook_is_retried_through_the_queue_until_it_answers() {
    let tag = format!("notify-{}", Uuid::new_v4().simple());
    let prefix = format!("tds-test:{tag}");
    let db = TestDb::migrated(Backend::Sqlite).await;
    let mut queue =
        NotificationQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:notifications")))
            .await
            .unwrap();
    let log = MemoryAttemptLog::default();
    let (stop, workers) = start_workers(&tag, &db, &log).await;

    let (flaky, flaky_url) = endpoint(vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::SERVICE_UNAVAILABLE,
    ])
    .await;
    let (gone, gone_url) = endpoint(vec![StatusCode::NOT_FOUND]).await;
    let retried = alert(&flaky_url);
    let refused = alert(&gone_url);
    queue.push(retried.clone()).await.unwrap();
    queue.push(refused.clone()).await.unwrap();

    eventually(
        Duration::from_secs(30),
        "the third attempt to succeed",
        || {
            let log = log.clone();
            let id = retried.id;
            async move {
                log.attempts()
                    .iter()
                    .any(|a| a.notification_id == id && a.outcome == AttemptOutcome::Delivered)
            }
        },
    )
    .await;
    let attempts: Vec<_> = log
        .attempts()
        .into_iter()
        .filter(|a| a.notification_id == retried.id)
        .collect();
    assert_eq!(
        attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    for failed in &attempts[..2] {
        assert!(
            matches!(&failed.outcome, AttemptOutcome::Failed { error, transient: true, retry_at: Some(_) } if error.contains("503")),
            "{failed:?}"
        );
        assert_eq!(failed.alert_id, retried.alert_id());
        assert_eq!(failed.channel, "webhook");
    }
    // Doubling delays: 1 s, then 2 s (the queue keeps due times in whole seconds and
    // rounds up, so never less).
    let gap = |a: usize| (attempts[a + 1].at - attempts[a].at).num_milliseconds();
    assert!(
        gap(0) >= 1000 && gap(1) >= 2000,
        "gaps {} ms, {} ms",
        gap(0),
        gap(1)
    );
    assert!(gap(1) > gap(0), "gaps {} ms, {} ms", gap(0), gap(1));
    assert_eq!(*flaky.hits.lock().unwrap(), 3);

    // The 404 was tried once and given up.
    let refusals: Vec<_> = log
        .attempts()
        .into_iter()
        .filter(|a| a.notification_id == refused.id)
        .collect();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(matches!(
        &refusals[0].outcome,
        AttemptOutcome::Failed {
            transient: false,
            retry_at: None,
            ..
        }
    ));
    assert_eq!(*gone.hits.lock().unwrap(), 1);

    // Graceful shutdown: the workers' service (monitor included) ends when told.
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), workers)
        .await
        .unwrap()
        .unwrap();
    forget_redis_namespace(REDIS, &prefix).await;
    drop(db);
}

/// The workers' service with a notification worker named after `tag`, until `stop`.
async fn start_workers(
    tag: &str,
    db: &TestDb,
    log: &MemoryAttemptLog,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let prefix = format!("tds-test:{tag}");
    let telemetry =
        TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:telemetry")))
            .await
            .unwrap();
    let queue =
        NotificationQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:notifications")))
            .await
            .unwrap();
    let events = EventBus::redis(REDIS, &format!("{prefix}:events"))
        .await
        .unwrap();
    let mut config = WorkersConfig::new(tag);
    config.offline_scan_every = Duration::from_secs(3600);
    config.notifications = Some(NotificationsConfig {
        name: format!("notifications-{tag}"),
        queue,
        notifier: Arc::new(Notifier {
            mailer: None,
            webhooks: WebhookSender::new(true).unwrap(),
            links: Links::new("https://tds.example.com"),
            retry: RetryPolicy::default(),
        }),
        log: Arc::new(log.clone()),
        concurrency: 4,
        report_files: None,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        telemetry,
        events,
        async move {
            let _ = stopped.await;
        },
    ));
    (stop, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_worker_sends_nothing_twice() {
    let tag = format!("notify-{}", Uuid::new_v4().simple());
    let prefix = format!("tds-test:{tag}");
    let db = TestDb::migrated(Backend::Sqlite).await;
    let log = MemoryAttemptLog::default();
    let mut queue =
        NotificationQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:notifications")))
            .await
            .unwrap();
    let (hook, url) = endpoint(Vec::new()).await;
    let hits = || *hook.hits.lock().unwrap();

    let (stop, workers) = start_workers(&tag, &db, &log).await;
    queue.push(alert(&url)).await.unwrap();
    eventually(Duration::from_secs(30), "the first delivery", || async {
        hits() == 1
    })
    .await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), workers)
        .await
        .unwrap()
        .unwrap();

    // The same worker, replaced (as a restarted process is): it takes over the name once
    // the old one's heartbeat lapses, and must not do the finished job again.
    let (stop, workers) = start_workers(&tag, &db, &log).await;
    queue.push(alert(&url)).await.unwrap();
    eventually(Duration::from_secs(60), "the second delivery", || async {
        hits() >= 2
    })
    .await;
    // Nothing to wait for but the absence of a repeat: the old worker's jobs would be back
    // within two heartbeats (2 s each) of the new one starting; watch well past that.
    let watch_until = tokio::time::Instant::now() + Duration::from_secs(8);
    while tokio::time::Instant::now() < watch_until {
        assert_eq!(hits(), 2, "a delivered notification was sent again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), workers)
        .await
        .unwrap()
        .unwrap();
    forget_redis_namespace(REDIS, &prefix).await;
}

//! Alerts as people receive them: readings go through the real workers (Redis queues,
//! PostgreSQL), alerts raised there are told by e-mail to a real SMTP server process
//! (aiosmtpd) and by webhook to a real HTTP server, and every attempt shows on the alert.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use tds_bus::{
    EventBus, InboundMessage, NotificationQueue, QueueConfig, TelemetryBatch, TelemetryQueue,
};
use tds_domain::Tenant;
use tds_domain::alerts::{self, RuleDraft, WebhookDraft};
use tds_entity::{
    AlertCondition, AlertScope, AlertState, NotificationOutcome, Severity, account, alert,
    alert_notification, gateway,
};
use tds_notify::{Links, Mailer, Notifier, RetryPolicy, WebhookSender};
use tds_testkit::smtp::SmtpServer;
use tds_testkit::{
    Backend, TestDb, TestGateway, admin_of, eventually, forget_redis_namespace, payload,
    seed_fleet, telemetry_topic,
};
use tds_workers::notifications::{DeliveryRecords, NotificationsConfig};
use tds_workers::service::WorkersConfig;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

/// The workers of one test, on their own queues, with e-mail and webhooks.
struct Platform {
    prefix: String,
    queue: TelemetryQueue,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Platform {
    async fn start(
        db: &TestDb,
        smtp: Option<&SmtpServer>,
        tune: impl FnOnce(&mut WorkersConfig),
    ) -> Self {
        let tag = Uuid::new_v4().simple().to_string();
        let prefix = format!("tds-test:{tag}:");
        let queue = TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}q")))
            .await
            .unwrap();
        let notifications =
            NotificationQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}n")))
                .await
                .unwrap();
        let mut config = WorkersConfig::new(&format!("delivery-{tag}"));
        config.offline_scan_every = Duration::from_secs(3600);
        config.notifications = Some(NotificationsConfig {
            name: format!("notifications-{tag}"),
            queue: notifications,
            notifier: Arc::new(Notifier {
                mailer: smtp.map(|s| Mailer::from_url(&s.url(), "TDS <alerts@tds.test>").unwrap()),
                webhooks: WebhookSender::new(true).unwrap(),
                links: Links::new("https://tds.example.com"),
                retry: RetryPolicy {
                    attempts: 3,
                    backoff: tds_bus::Backoff::new(Duration::from_secs(1), Duration::from_secs(2)),
                },
            }),
            log: Arc::new(DeliveryRecords::new(db.db.clone())),
            concurrency: 4,
            report_files: None,
        });
        tune(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(tds_workers::service::run(
            config,
            db.db.clone(),
            queue.clone(),
            EventBus::in_process(),
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            prefix,
            queue,
            stop: Some(stop),
        }
    }

    async fn publish(&mut self, gateway: &TestGateway, readings: &[(DateTime<Utc>, f64)]) {
        let code = gateway.devices[0].0.clone();
        let messages = readings
            .iter()
            .map(|(at, value)| InboundMessage {
                topic: telemetry_topic(&gateway.mac),
                payload: payload(&gateway.mac, *at, &[(code.as_str(), *value)]),
                received_at: Utc::now(),
                truncated_from: None,
            })
            .collect();
        self.queue.push(TelemetryBatch { messages }).await.unwrap();
    }

    async fn drained(&self) {
        eventually(
            Duration::from_secs(30),
            "the telemetry queue drained",
            || {
                let mut queue = self.queue.clone();
                async move { queue.backlog().await.unwrap() == 0 }
            },
        )
        .await;
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        forget_redis_namespace(REDIS, &self.prefix).await;
    }
}

fn rule(
    name: &str,
    device_id: Uuid,
    emails: Vec<String>,
    webhooks: Vec<WebhookDraft>,
) -> RuleDraft {
    RuleDraft {
        name: name.into(),
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
        emails,
        webhooks,
        enabled: true,
    }
}

async fn alerts_of(db: &TestDb, rule_id: Uuid) -> Vec<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule_id))
        .all(&db.db)
        .await
        .unwrap()
}

async fn attempts_of(
    db: &TestDb,
    tenant: &Tenant,
    alert_id: Uuid,
) -> Vec<alert_notification::Model> {
    alerts::notifications_of(&db.db, tenant, alert_id)
        .await
        .unwrap()
}

async fn set_locale(db: &TestDb, account: &account::Model, locale: &str) {
    let mut row = account.clone().into_active_model();
    row.locale = Set(locale.into());
    row.update(&db.db).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_one_email_and_its_return_to_normal_one_more() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let smtp = SmtpServer::start().await;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x75, 1, 1, false).await;
    set_locale(&db, &account, "en").await;
    let gateway = &gateways[0];
    let device_id = gateway.devices[0].1;
    let tenant = admin_of(&db.db, account.id).await;
    let rule = alerts::create_rule(
        &db.db,
        &tenant,
        rule(
            "Meter runs wild",
            device_id,
            vec!["ops@example.com".into()],
            vec![],
        ),
        Utc::now(),
    )
    .await
    .unwrap();
    let mut platform = Platform::start(&db, Some(&smtp), |_| {}).await;

    // 100 violating readings in ten jobs, then the same jobs again (a replay).
    let day = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let minute = |m: i64| day + chrono::Duration::minutes(m);
    for _ in 0..2 {
        for job in 0..10 {
            let readings: Vec<_> = (0..10)
                .map(|i| (minute(job * 10 + i), 5_000.0 + (job * 10 + i) as f64))
                .collect();
            platform.publish(gateway, &readings).await;
        }
    }
    let opened = smtp.wait_for(1, Duration::from_secs(30)).await;
    platform.drained().await;
    let raised = alerts_of(&db, rule.id).await;
    assert_eq!(raised.len(), 1, "one alert for the burst and its replay");
    let alert_id = raised[0].id;
    // Everything the burst could queue is queued and sent: still one e-mail.
    eventually(
        Duration::from_secs(20),
        "the opening's attempt recorded",
        || async { !attempts_of(&db, &tenant, alert_id).await.is_empty() },
    )
    .await;
    assert_eq!(raised[0].notify_due_at, None, "nothing left to queue");
    // The figure the note reports: from the violating batch's judging (just after its
    // commit) to the e-mail written by the SMTP server.
    let written: DateTime<Utc> = std::fs::metadata(&smtp.received()[0])
        .unwrap()
        .modified()
        .unwrap()
        .into();
    eprintln!(
        "commit → e-mail: {} ms",
        (written - raised[0].opened_at).num_milliseconds()
    );
    assert_eq!(smtp.received().len(), 1, "one e-mail for 100 violations");
    let mail = &opened[0];
    assert_eq!(mail.to, "ops@example.com");
    assert!(mail.subject.contains("Meter runs wild"), "{}", mail.subject);
    // The violation that opened it (5,0xx: two writers commit jobs in any order)
    // against the limit of 1,000, at the reading's time in São Paulo, with a link.
    let value = raised[0].value.unwrap();
    let shown = format!("5,{:03}", value as i64 - 5_000);
    assert!(mail.text.contains(&shown), "{shown} in {}", mail.text);
    assert!(mail.text.contains("1,000"), "{}", mail.text);
    let local = raised[0]
        .opened_reading_at
        .unwrap()
        .with_timezone(&chrono_tz::America::Sao_Paulo)
        .format("%H:%M")
        .to_string();
    assert!(mail.text.contains(&local), "{local} in {}", mail.text);
    assert!(
        mail.text
            .contains(&format!("https://tds.example.com/alerts/{alert_id}")),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("Meter runs wild"));

    // Back to normal: the alert resolves by itself and one more e-mail says so.
    platform.publish(gateway, &[(minute(200), 10.0)]).await;
    let both = smtp.wait_for(2, Duration::from_secs(30)).await;
    let resolved = alerts_of(&db, rule.id).await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].state, AlertState::Resolved);
    assert_eq!(resolved[0].resolved_by, None, "resolved by itself");
    assert_eq!(resolved[0].cleared_value, Some(10.0));
    let resolution = both
        .iter()
        .find(|m| m.subject != mail.subject)
        .expect("a second subject");
    assert!(
        resolution.subject.to_lowercase().contains("resolved"),
        "{}",
        resolution.subject
    );
    eventually(
        Duration::from_secs(20),
        "both attempts recorded",
        || async { attempts_of(&db, &tenant, alert_id).await.len() == 2 },
    )
    .await;
    let attempts = attempts_of(&db, &tenant, alert_id).await;
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome == NotificationOutcome::Sent),
        "{attempts:?}"
    );
    assert_eq!(smtp.received().len(), 2, "none in between, none after");
    platform.stop().await;
}

/// Answers 503 on `/down`, 204 on `/up` after checking the signature; keeps what came.
#[derive(Clone, Default)]
struct Receiver {
    secret: String,
    verified: Arc<Mutex<Vec<serde_json::Value>>>,
    refused: Arc<Mutex<u32>>,
}

async fn up(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let timestamp = headers["x-tds-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(r.secret.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    if headers["x-tds-signature"].to_str().unwrap() != expected {
        return StatusCode::UNAUTHORIZED;
    }
    r.verified
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    StatusCode::NO_CONTENT
}

async fn down(State(r): State<Receiver>) -> StatusCode {
    *r.refused.lock().unwrap() += 1;
    StatusCode::SERVICE_UNAVAILABLE
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_a_failing_one_shows_on_the_alert() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let receiver = Receiver {
        secret: "hook-secret-0123456789".into(),
        ..Default::default()
    };
    let app = axum::Router::new()
        .route("/up", axum::routing::post(up))
        .route("/down", axum::routing::post(down))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x76, 1, 1, false).await;
    let gateway = &gateways[0];
    let tenant = admin_of(&db.db, account.id).await;
    let hooks = vec![
        WebhookDraft {
            url: format!("{base}/up"),
            secret: Some(receiver.secret.clone()),
        },
        WebhookDraft {
            url: format!("{base}/down"),
            secret: Some("another-secret-0123456789".into()),
        },
    ];
    let rule = alerts::create_rule(
        &db.db,
        &tenant,
        rule("Hooked", gateway.devices[0].1, vec![], hooks),
        Utc::now(),
    )
    .await
    .unwrap();
    let mut platform = Platform::start(&db, None, |_| {}).await;
    platform
        .publish(
            gateway,
            &[(Utc::now() - chrono::Duration::minutes(1), 2_500.0)],
        )
        .await;

    // Three attempts at the failing endpoint (the policy's), all on the alert.
    let alert_id = {
        let db = &db;
        eventually(Duration::from_secs(30), "an alert raised", || async move {
            !alerts_of(db, rule.id).await.is_empty()
        })
        .await;
        alerts_of(db, rule.id).await[0].id
    };
    eventually(
        Duration::from_secs(30),
        "the failing webhook given up",
        || async {
            attempts_of(&db, &tenant, alert_id)
                .await
                .iter()
                .any(|a| a.outcome == NotificationOutcome::GaveUp)
        },
    )
    .await;
    let attempts = attempts_of(&db, &tenant, alert_id).await;
    let of = |path: &str| -> Vec<&alert_notification::Model> {
        attempts
            .iter()
            .filter(|a| a.target.ends_with(path))
            .collect()
    };
    let sent = of("/up");
    assert_eq!(sent.len(), 1, "{attempts:?}");
    assert_eq!(sent[0].outcome, NotificationOutcome::Sent);
    let failed = of("/down");
    assert_eq!(
        failed
            .iter()
            .map(|a| (a.attempt, a.outcome))
            .collect::<Vec<_>>(),
        [
            (1, NotificationOutcome::Failed),
            (2, NotificationOutcome::Failed),
            (3, NotificationOutcome::GaveUp)
        ]
    );
    assert!(
        failed
            .iter()
            .all(|a| a.error.as_deref().is_some_and(|e| e.contains("503"))),
        "{failed:?}"
    );
    assert_eq!(*receiver.refused.lock().unwrap(), 3);

    // The signed body says what happened.
    let bodies = receiver.verified.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let body = &bodies[0];
    assert_eq!(body["alert"]["id"], alert_id.to_string(), "{body}");
    assert_eq!(body["alert"]["value"], 2_500.0, "{body}");
    assert_eq!(body["alert"]["threshold"], 1_000.0, "{body}");
    platform.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_gateway_raises_its_alert_within_the_limit_plus_one_scan() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x77, 1, 1, false).await;
    let gateway = &gateways[0];
    let tenant = admin_of(&db.db, account.id).await;
    let rule = alerts::create_rule(
        &db.db,
        &tenant,
        RuleDraft {
            scope: AlertScope::Gateway,
            device_id: None,
            gateway_id: Some(gateway.id),
            condition: AlertCondition::GatewaySilent,
            threshold_high: None,
            silent_minutes: Some(1),
            ..rule("Gateway went quiet", Uuid::nil(), vec![], vec![])
        },
        Utc::now(),
    )
    .await
    .unwrap();
    // Last heard from 55 s ago: the minute of silence is up in 5 s.
    let last_seen = Utc::now() - chrono::Duration::seconds(55);
    let mut row: gateway::ActiveModel = gateway::Entity::find_by_id(gateway.id)
        .one(&db.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.last_seen_at = Set(Some(last_seen));
    row.update(&db.db).await.unwrap();
    let scan = Duration::from_secs(1);
    let mut platform = Platform::start(&db, None, |c| c.alert_scan_every = scan).await;

    eventually(Duration::from_secs(30), "the silence alert", || async {
        !alerts_of(&db, rule.id).await.is_empty()
    })
    .await;
    let raised = alerts_of(&db, rule.id).await;
    assert_eq!(raised.len(), 1);
    let limit = last_seen + chrono::Duration::minutes(1);
    let opened = raised[0].opened_at;
    assert!(
        opened >= limit,
        "opened at {opened}, before the limit {limit}"
    );
    // One scan interval, plus a second for the scan's own clock (whole seconds).
    assert!(
        opened <= limit + chrono::Duration::seconds(3),
        "opened at {opened}, later than {limit} plus one scan"
    );
    assert_eq!(raised[0].gateway_id, Some(gateway.id));

    // Data returns: the next scan resolves it.
    platform.publish(gateway, &[(Utc::now(), 5.0)]).await;
    eventually(
        Duration::from_secs(30),
        "the silence alert resolved",
        || async { alerts_of(&db, rule.id).await[0].state == AlertState::Resolved },
    )
    .await;
    assert_eq!(alerts_of(&db, rule.id).await.len(), 1);
    platform.stop().await;
}

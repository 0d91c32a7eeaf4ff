//! Delivery against real receivers: an SMTP server process (Python's aiosmtpd, writing
//! what it receives to a maildir) and an HTTP server in the test.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tds_bus::jobs::{
    AlertNotice, AlertTransition, Channel, InvitationNotice, Locale, Message, Notification,
    Severity,
};
use tds_notify::{
    AttemptOutcome, Links, Mailer, MemoryAttemptLog, Notifier, Outcome, RetryPolicy, WebhookSender,
};
use tds_testkit::smtp::SmtpServer;
use uuid::Uuid;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn notice(locale: Locale, transition: AlertTransition) -> AlertNotice {
    AlertNotice {
        alert_id: Uuid::now_v7(),
        account_id: Uuid::now_v7(),
        account_name: "Condomínio Aurora".into(),
        locale,
        timezone: "America/Sao_Paulo".into(),
        rule_name: "Consumo alto".into(),
        severity: Severity::Critical,
        transition,
        message: "Valor acima do limite".into(),
        device_name: Some("Medidor <D01> & cia".into()),
        gateway_name: Some("Bloco A".into()),
        value: Some(1234.5),
        unit: Some("kWh".into()),
        threshold: Some(1000.0),
        at: "2026-02-18T14:30:00Z".parse::<DateTime<Utc>>().unwrap(),
    }
}

fn notifier(mailer: Option<Mailer>) -> Notifier {
    Notifier {
        mailer,
        webhooks: WebhookSender::new(true).unwrap(),
        links: Links::new("https://tds.example.com/"),
        retry: RetryPolicy::default(),
    }
}

#[tokio::test]
async fn alert_email_reaches_a_real_smtp_server_in_the_accounts_language() {
    let smtp = SmtpServer::start().await;
    let mailer = Mailer::from_url(&smtp.url(), "TDS <alertas@tds.example.com>").unwrap();
    let notifier = notifier(Some(mailer));
    let log = MemoryAttemptLog::default();
    let opened = notice(Locale::PtBr, AlertTransition::Opened);
    let n = Notification::new(
        Channel::Email {
            to: "sindico@aurora.example".into(),
        },
        Message::Alert(opened.clone()),
    );
    assert_eq!(notifier.deliver(&n, &log).await, Outcome::Delivered);
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(mail.to, "sindico@aurora.example");
    assert!(mail.from.contains("alertas@tds.example.com"));
    let subject = &mail.subject;
    assert!(
        subject.contains("CRÍTICO") && subject.contains("Consumo alto"),
        "{subject}"
    );
    let text = &mail.text;
    for expected in [
        "Alerta aberto",
        "Condomínio Aurora",
        "Dispositivo: Medidor <D01> & cia",
        "Gateway: Bloco A",
        "Valor: 1.234,5 kWh",
        "Limite: 1.000 kWh",
        "18/02/2026 11:30 (America/Sao_Paulo)",
        &format!("https://tds.example.com/alerts/{}", opened.alert_id),
    ] {
        assert!(text.contains(expected), "text lacks {expected:?}:\n{text}");
    }
    let html = &mail.html;
    assert!(html.contains("Medidor &lt;D01&gt; &amp; cia"), "{html}");
    assert!(!html.contains("<D01>"), "{html}");
    assert!(html.contains(&format!(
        "href=\"https://tds.example.com/alerts/{}\"",
        opened.alert_id
    )));

    // Resolution is announced too, here in English.
    let mut resolved = notice(Locale::En, AlertTransition::Resolved);
    resolved.alert_id = opened.alert_id;
    let n2 = Notification::new(
        Channel::Email {
            to: "ops@aurora.example".into(),
        },
        Message::Alert(resolved),
    );
    assert_eq!(notifier.deliver(&n2, &log).await, Outcome::Delivered);
    let texts: Vec<String> = smtp
        .wait_for(2, Duration::from_secs(10))
        .await
        .into_iter()
        .map(|m| m.text)
        .collect();
    let english = texts.iter().find(|t| t.contains("Alert resolved")).unwrap();
    assert!(english.contains("Value: 1,234.5 kWh"), "{english}");
    assert!(
        english.contains("2026-02-18 11:30 (America/Sao_Paulo)"),
        "{english}"
    );

    let attempts = log.attempts();
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome == AttemptOutcome::Delivered
                && a.channel == "email"
                && a.alert_id == Some(opened.alert_id))
    );
}

#[tokio::test]
async fn invitation_email_carries_the_link_to_the_invitee() {
    let smtp = SmtpServer::start().await;
    let mailer = Mailer::from_url(&smtp.url(), "tds@tds.example.com").unwrap();
    let notifier = notifier(Some(mailer));
    let n = Notification::new(
        Channel::Email {
            to: "nova@aurora.example".into(),
        },
        Message::Invitation(InvitationNotice {
            invitation_id: Uuid::now_v7(),
            account_name: "Condomínio Aurora".into(),
            locale: Locale::PtBr,
            timezone: "America/Sao_Paulo".into(),
            invited_by: Some("Ana".into()),
            role: "EDITOR".into(),
            token: "tok-123".into(),
            expires_at: "2026-02-25T14:30:00Z".parse().unwrap(),
        }),
    );
    assert_eq!(
        notifier.deliver(&n, &MemoryAttemptLog::default()).await,
        Outcome::Delivered
    );
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(mail.to, "nova@aurora.example");
    let text = &mail.text;
    assert!(text.contains("Ana convidou você"), "{text}");
    assert!(
        text.contains("https://tds.example.com/invitation#token=tok-123"),
        "{text}"
    );
    assert!(text.contains("25/02/2026 11:30"), "{text}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_and_a_refused_address_is_not() {
    let port = free_port();
    let mailer = Mailer::from_url(
        &format!("smtp://127.0.0.1:{port}?tls=none"),
        "tds@x.example",
    )
    .unwrap();
    let notifier = notifier(Some(mailer));
    let log = MemoryAttemptLog::default();
    let n = Notification::new(
        Channel::Email {
            to: "a@b.example".into(),
        },
        Message::Alert(notice(Locale::En, AlertTransition::Opened)),
    );
    assert_eq!(
        notifier.deliver(&n, &log).await,
        Outcome::RetryAfter(Duration::from_secs(1))
    );
    let bad = Notification::new(
        Channel::Email {
            to: "not an address".into(),
        },
        n.message.clone(),
    );
    assert!(matches!(notifier.deliver(&bad, &log).await, Outcome::GaveUp(e) if !e.is_transient()));
    // Without SMTP configured, e-mail fails for good (and says why).
    let none = notifier_without_mail();
    assert!(
        matches!(none.deliver(&n, &log).await, Outcome::GaveUp(e) if e.to_string().contains("SMTP_URL"))
    );
}

fn notifier_without_mail() -> Notifier {
    notifier(None)
}

/// Requests received: headers and body.
type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// What the test's HTTP server received, and the statuses it answers in turn.
#[derive(Clone, Default)]
struct Receiver {
    seen: Seen,
    answers: Arc<Mutex<Vec<StatusCode>>>,
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    r.seen.lock().unwrap().push((headers, body.to_vec()));
    let mut answers = r.answers.lock().unwrap();
    if answers.is_empty() {
        StatusCode::NO_CONTENT
    } else {
        answers.remove(0)
    }
}

async fn http_server(receiver: Receiver) -> String {
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook?source=tds")
}

#[tokio::test]
async fn webhook_is_signed_and_the_signature_verifies() {
    let receiver = Receiver::default();
    let url = http_server(receiver.clone()).await;
    let notifier = notifier(None);
    let opened = notice(Locale::En, AlertTransition::Opened);
    let n = Notification::new(
        Channel::Webhook {
            url,
            secret: "whsec-1".into(),
        },
        Message::Alert(opened.clone()),
    );
    let log = MemoryAttemptLog::default();
    assert_eq!(notifier.deliver(&n, &log).await, Outcome::Delivered);
    let (headers, body) = receiver.seen.lock().unwrap()[0].clone();
    // The receiver's check, written here from the documented scheme.
    let timestamp = headers["x-tds-timestamp"].to_str().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec-1").unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(headers["x-tds-signature"].to_str().unwrap(), expected);
    assert!((Utc::now().timestamp() - timestamp.parse::<i64>().unwrap()).abs() < 60);
    assert_eq!(
        headers["x-tds-delivery"].to_str().unwrap(),
        n.id.to_string()
    );
    assert_eq!(headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["event"], "alert.opened");
    assert_eq!(json["alert"]["id"], opened.alert_id.to_string());
    assert_eq!(json["alert"]["value"], 1234.5);
    assert_eq!(json["alert"]["threshold"], 1000.0);
    assert_eq!(json["alert"]["severity"], "CRITICAL");
    assert_eq!(json["account"]["name"], "Condomínio Aurora");
    let attempt = &log.attempts()[0];
    assert_eq!(attempt.outcome, AttemptOutcome::Delivered);
    assert!(
        attempt.target.ends_with("/hook"),
        "the query stays out of the record"
    );

    // A tampered body does not verify.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec-1").unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(b"{}");
    assert_ne!(
        format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        expected
    );
}

#[tokio::test]
async fn failing_webhook_is_retried_with_doubling_delays_and_every_attempt_is_recorded() {
    let receiver = Receiver::default();
    *receiver.answers.lock().unwrap() = vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::BAD_GATEWAY,
    ];
    let url = http_server(receiver.clone()).await;
    let mut notifier = notifier(None);
    notifier.retry = RetryPolicy {
        attempts: 5,
        backoff: tds_bus::Backoff::new(Duration::from_millis(100), Duration::from_secs(1)),
    };
    let log = MemoryAttemptLog::default();
    let mut n = Notification::new(
        Channel::Webhook {
            url: url.clone(),
            secret: "k".into(),
        },
        Message::Alert(notice(Locale::En, AlertTransition::Resolved)),
    );
    // What the job runner does: wait as told, then the next attempt.
    let mut waits = Vec::new();
    loop {
        match notifier.deliver(&n, &log).await {
            Outcome::RetryAfter(delay) => {
                waits.push(delay);
                tokio::time::sleep(delay).await;
                n.attempt += 1;
            }
            outcome => {
                assert_eq!(outcome, Outcome::Delivered);
                break;
            }
        }
    }
    let ms = Duration::from_millis;
    assert_eq!(waits, [ms(100), ms(200), ms(400)]);
    let attempts = log.attempts();
    assert_eq!(
        attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    for (a, status) in attempts.iter().zip(["503", "429", "502"]) {
        match &a.outcome {
            AttemptOutcome::Failed {
                error,
                transient,
                retry_at,
            } => {
                assert!(
                    error.contains(status) && *transient && retry_at.is_some(),
                    "{a:?}"
                );
            }
            other => panic!("attempt {} should have failed: {other:?}", a.attempt),
        }
    }
    assert_eq!(attempts[3].outcome, AttemptOutcome::Delivered);
    assert!(attempts.iter().all(|a| a.notification_id == n.id));
    assert_eq!(receiver.seen.lock().unwrap().len(), 4);

    // A permanent refusal stops at once; so does the last attempt.
    *receiver.answers.lock().unwrap() = vec![StatusCode::GONE, StatusCode::INTERNAL_SERVER_ERROR];
    let gone = Notification::new(n.channel.clone(), n.message.clone());
    assert!(matches!(notifier.deliver(&gone, &log).await, Outcome::GaveUp(e) if !e.is_transient()));
    let last = Notification {
        attempt: 5,
        ..Notification::new(n.channel.clone(), n.message.clone())
    };
    assert!(matches!(notifier.deliver(&last, &log).await, Outcome::GaveUp(e) if e.is_transient()));
    match &log.attempts().last().unwrap().outcome {
        AttemptOutcome::Failed { retry_at, .. } => assert!(retry_at.is_none()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn webhooks_to_loopback_are_refused_by_default_and_redirects_not_followed() {
    let receiver = Receiver::default();
    *receiver.answers.lock().unwrap() = vec![StatusCode::FOUND];
    let url = http_server(receiver.clone()).await;
    let mut strict = notifier(None);
    strict.webhooks = WebhookSender::new(false).unwrap();
    let log = MemoryAttemptLog::default();
    let n = Notification::new(
        Channel::Webhook {
            url: url.clone(),
            secret: "k".into(),
        },
        Message::Alert(notice(Locale::En, AlertTransition::Opened)),
    );
    assert!(
        matches!(strict.deliver(&n, &log).await, Outcome::GaveUp(e) if e.to_string().contains("not a public address"))
    );
    assert!(
        receiver.seen.lock().unwrap().is_empty(),
        "nothing reached the loopback server"
    );
    let lenient = notifier(None);
    assert!(
        matches!(lenient.deliver(&n, &log).await, Outcome::GaveUp(e) if e.to_string().contains("redirects are not followed"))
    );
    assert_eq!(receiver.seen.lock().unwrap().len(), 1);
}

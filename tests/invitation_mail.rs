//! An invitation is e-mailed to the invitee when the platform has an SMTP server: the
//! api queues it, the workers' notification worker sends it to a real SMTP server
//! process, and the link in the e-mail carries the token that joins the account.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tds_bus::{EventBus, NotificationQueue, QueueConfig, TelemetryQueue};
use tds_notify::{Links, Mailer, MemoryAttemptLog, Notifier, RetryPolicy, WebhookSender};
use tds_testkit::smtp::SmtpServer;
use tds_testkit::{Backend, TestApi, forget_redis_namespace};
use tds_workers::notifications::NotificationsConfig;
use tds_workers::service::WorkersConfig;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitee_receives_the_invitation_link_by_email() {
    let smtp = SmtpServer::start().await;
    let tag = format!("invite-{}", Uuid::new_v4().simple());
    let prefix = format!("tds-test:{tag}");
    let queue =
        NotificationQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:notifications")))
            .await
            .unwrap();
    let mut api = TestApi::new(Backend::Sqlite).await;
    api.state.notifications = Some(queue.clone());
    api.schema = tds_graphql::build_schema(api.state.clone());

    let mut config = WorkersConfig::new(&tag);
    config.offline_scan_every = Duration::from_secs(3600);
    config.notifications = Some(NotificationsConfig {
        name: format!("notifications-{tag}"),
        queue,
        notifier: Arc::new(Notifier {
            mailer: Some(Mailer::from_url(&smtp.url(), "TDS <convites@tds.example.com>").unwrap()),
            webhooks: WebhookSender::new(false).unwrap(),
            links: Links::new("https://tds.example.com"),
            retry: RetryPolicy::default(),
        }),
        log: Arc::new(MemoryAttemptLog::default()),
        concurrency: 2,
        report_files: None,
    });
    let telemetry =
        TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}:telemetry")))
            .await
            .unwrap();
    let events = EventBus::redis(REDIS, &format!("{prefix}:events"))
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let workers = tokio::spawn(tds_workers::service::run(
        config,
        api.db.db.clone(),
        telemetry,
        events,
        async move {
            let _ = stopped.await;
        },
    ));

    let admin = api.user("admin@aurora.example", false).await;
    let (_, admin) = api.account("Condomínio Aurora", &admin).await;
    let r = api
        .run(
            Some(&admin),
            "mutation { inviteMember(email: \"nova@aurora.example\", role: EDITOR) { token role } }",
            json!({}),
        )
        .await;
    let token = r.ok()["inviteMember"]["token"].as_str().unwrap().to_owned();

    let mail = smtp.wait_for(1, Duration::from_secs(20)).await.remove(0);
    assert_eq!(mail.to, "nova@aurora.example");
    assert!(
        mail.subject.contains("Condomínio Aurora"),
        "{}",
        mail.subject
    );
    let link = format!("https://tds.example.com/invitation#token={token}");
    assert!(mail.text.contains(&link), "{}", mail.text);
    assert!(
        mail.text.contains("admin convidou você"),
        "the inviter is named: {}",
        mail.text
    );

    // The token from the e-mail joins the account.
    let from_mail = mail
        .text
        .split("#token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let r = api
        .run(
            None,
            "mutation($t: String!) { acceptInvitation(token: $t, name: \"Nova\", password: \"password123\") { user { email } account { role } } }",
            json!({"t": from_mail}),
        )
        .await;
    assert_eq!(r.ok()["acceptInvitation"]["account"]["role"], "EDITOR");
    assert_eq!(
        r.ok()["acceptInvitation"]["user"]["email"],
        "nova@aurora.example"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), workers)
        .await
        .unwrap()
        .unwrap();
    forget_redis_namespace(REDIS, &prefix).await;
}

//! One delivery attempt of a notification, recorded whatever its outcome, and the
//! decision whether and when to try again.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tds_bus::Backoff;
use tds_bus::jobs::{Channel, Message, Notification};
use uuid::Uuid;

use crate::error::DeliveryError;
use crate::mail::{FileAttachment, Mailer};
use crate::render::{self, Links};
use crate::webhook::{WebhookRequest, WebhookSender};

/// One attempt as recorded (for alerts: a row of the alert's notifications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The notification (the same across its retries).
    pub notification_id: Uuid,
    /// The alert it is about, if any.
    pub alert_id: Option<Uuid>,
    /// The report schedule whose run it delivers, if any.
    pub schedule_id: Option<Uuid>,
    /// `email` or `webhook`.
    pub channel: &'static str,
    /// The address, or the webhook URL without its query.
    pub target: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// When it ended.
    pub at: DateTime<Utc>,
    /// What happened.
    pub outcome: AttemptOutcome,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Handed over: the SMTP server accepted it, or the webhook answered 2xx.
    Delivered,
    /// Failed; `retry_at` says when the next attempt runs, `None` when this was the last.
    Failed {
        /// Why.
        error: String,
        /// Whether a retry could help.
        transient: bool,
        /// When the next attempt is due.
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Error of an [`AttemptLog`]; delivery goes on without the record.
pub type AttemptLogError = Box<dyn std::error::Error + Send + Sync>;

/// Where attempts are recorded (the database table of alert notifications in the
/// workers; memory in tests).
pub trait AttemptLog: Send + Sync {
    /// Records one attempt.
    fn record<'a>(
        &'a self,
        attempt: &'a Attempt,
    ) -> Pin<Box<dyn Future<Output = Result<(), AttemptLogError>> + Send + 'a>>;
}

/// Attempts kept in memory, in order.
#[derive(Debug, Clone, Default)]
pub struct MemoryAttemptLog(Arc<Mutex<Vec<Attempt>>>);

impl MemoryAttemptLog {
    /// Everything recorded so far.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.0.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl AttemptLog for MemoryAttemptLog {
    fn record<'a>(
        &'a self,
        attempt: &'a Attempt,
    ) -> Pin<Box<dyn Future<Output = Result<(), AttemptLogError>> + Send + 'a>> {
        Box::pin(async move {
            self.0
                .lock()
                .map_err(|_| "attempt log poisoned")?
                .push(attempt.clone());
            Ok(())
        })
    }
}

/// Keeps no record (the attempts are still in the log lines of [`Notifier::deliver`]):
/// for a deployment whose attempt table is not wired yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardAttempts;

impl AttemptLog for DiscardAttempts {
    fn record<'a>(
        &'a self,
        _: &'a Attempt,
    ) -> Pin<Box<dyn Future<Output = Result<(), AttemptLogError>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }
}

/// How often and how patiently a notification is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Delay before the second attempt; it doubles for each next one, up to `most`.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    /// Five attempts, 1 s, 2 s, 4 s and 8 s apart (16 s at most).
    fn default() -> Self {
        Self {
            attempts: 5,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(16)),
        }
    }
}

/// What became of an attempt, for the job runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed over.
    Delivered,
    /// Failed for now: push the notification again (attempt + 1) after this delay.
    RetryAfter(Duration),
    /// Failed for good (permanent error, or the last attempt).
    GaveUp(DeliveryError),
}

/// Everything delivering needs: the mailer (none without `SMTP_URL`), the webhook
/// sender, the links' base and the retry policy.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// E-mail; `None` when no SMTP server is configured.
    pub mailer: Option<Mailer>,
    /// Webhooks.
    pub webhooks: WebhookSender,
    /// Where links point.
    pub links: Links,
    /// Retries.
    pub retry: RetryPolicy,
}

impl Notifier {
    /// Makes one attempt at `notification`, records it in `log` and says what next.
    pub async fn deliver(&self, notification: &Notification, log: &dyn AttemptLog) -> Outcome {
        self.deliver_with(notification, log, None).await
    }

    /// [`Notifier::deliver`] with a file attached (a scheduled report's, read by the
    /// caller, which has the storage).
    pub async fn deliver_with(
        &self,
        notification: &Notification,
        log: &dyn AttemptLog,
        file: Option<FileAttachment>,
    ) -> Outcome {
        let result = self.attempt(notification, file.as_ref()).await;
        let now = Utc::now();
        let (outcome, recorded) = match result {
            Ok(()) => (Outcome::Delivered, AttemptOutcome::Delivered),
            Err(error) => {
                let retry = (error.is_transient() && notification.attempt < self.retry.attempts)
                    .then(|| self.retry.backoff.after(notification.attempt));
                let recorded = AttemptOutcome::Failed {
                    error: error.to_string(),
                    transient: error.is_transient(),
                    retry_at: retry
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| now + d),
                };
                match retry {
                    Some(delay) => (Outcome::RetryAfter(delay), recorded),
                    None => (Outcome::GaveUp(error), recorded),
                }
            }
        };
        let attempt = Attempt {
            notification_id: notification.id,
            alert_id: notification.alert_id(),
            schedule_id: notification.schedule_id(),
            channel: notification.channel.kind(),
            target: notification.channel.target(),
            attempt: notification.attempt,
            at: now,
            outcome: recorded,
        };
        match &attempt.outcome {
            AttemptOutcome::Delivered => {
                tracing::info!(?notification, "notification delivered")
            }
            AttemptOutcome::Failed { error, .. } => {
                tracing::warn!(
                    ?notification,
                    error,
                    ?outcome,
                    "notification attempt failed"
                )
            }
        }
        if let Err(e) = log.record(&attempt).await {
            tracing::warn!(error = %e, ?notification, "notification attempt not recorded");
        }
        outcome
    }

    async fn attempt(
        &self,
        notification: &Notification,
        file: Option<&FileAttachment>,
    ) -> Result<(), DeliveryError> {
        match (&notification.channel, &notification.message) {
            (Channel::Email { to }, message) => {
                let mailer = self.mailer.as_ref().ok_or_else(|| {
                    DeliveryError::permanent("no SMTP server is configured (SMTP_URL)")
                })?;
                let (mail, file) = match message {
                    Message::Alert(notice) => (render::alert_email(notice, &self.links), None),
                    Message::Invitation(notice) => {
                        (render::invitation_email(notice, &self.links), None)
                    }
                    Message::Report(notice) => {
                        let file = file.filter(|_| notice.attach);
                        (
                            render::report_email(notice, file.is_some(), &self.links),
                            file,
                        )
                    }
                };
                mailer.send_with(to, &mail, file).await
            }
            (Channel::Webhook { url, secret }, Message::Alert(notice)) => {
                let body = render::alert_payload(notice, &self.links).to_string();
                let delivery = notification.id.to_string();
                self.webhooks
                    .post(WebhookRequest {
                        url,
                        secret: secret.as_bytes(),
                        body: body.as_bytes(),
                        timestamp: Utc::now().timestamp(),
                        delivery: &delivery,
                    })
                    .await
                    .map(|_| ())
            }
            (Channel::Webhook { .. }, Message::Invitation(_)) => Err(DeliveryError::permanent(
                "invitations are sent by e-mail only",
            )),
            (Channel::Webhook { .. }, Message::Report(_)) => Err(DeliveryError::permanent(
                "scheduled reports are sent by e-mail only",
            )),
        }
    }
}

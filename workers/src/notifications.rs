//! The notification job: one attempt per job; a failure that may pass later is pushed
//! back to the queue with the policy's delay (so a retry outlives this process and holds
//! no worker meanwhile), every attempt recorded in the attempt log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use sea_orm::DatabaseConnection;
use tds_bus::{Notification, NotificationQueue};
use tds_domain::DomainError;
use tds_domain::alerts;
use tds_entity::{NotificationChannel, NotificationOutcome};
use tds_notify::{Attempt, AttemptLog, AttemptLogError, AttemptOutcome, Notifier, Outcome};

/// What the notification worker needs.
#[derive(Clone)]
pub struct NotificationsConfig {
    /// Worker name in the queue (stable per replica).
    pub name: String,
    /// The queue it consumes and pushes retries to.
    pub queue: NotificationQueue,
    /// Mailer, webhook sender, links and retry policy.
    pub notifier: Arc<Notifier>,
    /// Where attempts are recorded.
    pub log: Arc<dyn AttemptLog>,
    /// Notifications sent at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for NotificationsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationsConfig")
            .field("name", &self.name)
            .field("notifier", &self.notifier)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// Runs one notification job.
pub async fn handle(
    notification: Notification,
    config: Data<NotificationsConfig>,
) -> Result<(), BoxDynError> {
    match config
        .notifier
        .deliver(&notification, config.log.as_ref())
        .await
    {
        Outcome::Delivered | Outcome::GaveUp(_) => Ok(()),
        Outcome::RetryAfter(delay) => {
            let next = Notification {
                attempt: notification.attempt + 1,
                ..notification
            };
            // Unreachable queue: the job fails, stays in the queue and is done again.
            config.queue.clone().push_after(next, delay).await?;
            Ok(())
        }
    }
}

/// The attempts of alert notifications, recorded on their alerts (the API shows them);
/// other notifications (invitations) are only logged.
#[derive(Debug, Clone)]
pub struct AlertAttempts {
    db: DatabaseConnection,
}

impl AlertAttempts {
    /// Records into `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl AttemptLog for AlertAttempts {
    fn record<'a>(
        &'a self,
        attempt: &'a Attempt,
    ) -> Pin<Box<dyn Future<Output = Result<(), AttemptLogError>> + Send + 'a>> {
        Box::pin(async move {
            let Some(alert_id) = attempt.alert_id else {
                return Ok(());
            };
            let (outcome, error) = match &attempt.outcome {
                AttemptOutcome::Delivered => (NotificationOutcome::Sent, None),
                AttemptOutcome::Failed {
                    error, retry_at, ..
                } => (
                    if retry_at.is_some() {
                        NotificationOutcome::Failed
                    } else {
                        NotificationOutcome::GaveUp
                    },
                    Some(error.clone()),
                ),
            };
            let record = alerts::Attempt {
                alert_id,
                channel: if attempt.channel == "email" {
                    NotificationChannel::Email
                } else {
                    NotificationChannel::Webhook
                },
                target: attempt.target.clone(),
                attempt: i32::try_from(attempt.attempt).unwrap_or(i32::MAX),
                attempted_at: attempt.at,
                outcome,
                error,
            };
            match alerts::record_attempt(&self.db, record).await {
                // The alert went with its rule: nothing to show the attempt on.
                Ok(_) | Err(DomainError::NotFound(_)) => Ok(()),
                Err(e) => Err(Box::new(e) as AttemptLogError),
            }
        })
    }
}

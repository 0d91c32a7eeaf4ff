//! The notification job: one attempt per job; a failure that may pass later is pushed
//! back to the queue with the policy's delay (so a retry outlives this process and holds
//! no worker meanwhile), every attempt recorded in the attempt log.

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use tds_bus::{Notification, NotificationQueue};
use tds_notify::{AttemptLog, Notifier, Outcome};

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

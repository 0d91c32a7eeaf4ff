//! The notification job: one attempt per job; a failure that may pass later is pushed
//! back to the queue with the policy's delay (so a retry outlives this process and holds
//! no worker meanwhile), every attempt recorded in the attempt log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tds_bus::JobKind;
use tds_bus::jobs::{Message, ReportNotice};
use tds_bus::{Notification, NotificationQueue};
use tds_domain::alerts;
use tds_domain::{DomainError, Tenant, report_requests, report_schedules};
use tds_entity::{NotificationChannel, NotificationOutcome};
use tds_notify::{
    Attempt, AttemptLog, AttemptLogError, AttemptOutcome, FileAttachment, Notifier, Outcome,
};

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
    /// Where scheduled reports' files are read to be attached; none: their e-mails
    /// carry the link only.
    pub report_files: Option<DatabaseConnection>,
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
    let file = match (&notification.message, &config.report_files) {
        (Message::Report(notice), Some(db)) if notice.attach => report_file(db, notice).await?,
        _ => None,
    };
    match config
        .notifier
        .deliver_with(&notification, config.log.as_ref(), file)
        .await
    {
        Outcome::Delivered => {
            crate::job_ran(JobKind::AlertNotification, "delivered");
            Ok(())
        }
        Outcome::GaveUp(_) => {
            crate::job_ran(JobKind::AlertNotification, "gave_up");
            Ok(())
        }
        Outcome::RetryAfter(delay) => {
            crate::job_ran(JobKind::AlertNotification, "retried");
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

/// A scheduled report's file, unless it expired or went (then the e-mail says to
/// download it). A database that cannot be read fails the job, which runs again.
async fn report_file(
    db: &DatabaseConnection,
    notice: &ReportNotice,
) -> Result<Option<FileAttachment>, BoxDynError> {
    let tenant = match Tenant::for_job(db, notice.account_id).await {
        Ok(tenant) => tenant,
        Err(DomainError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(Box::new(e)),
    };
    match report_requests::report_file(db, &tenant, notice.report_id, Utc::now()).await {
        Ok(file) => Ok(Some(FileAttachment {
            file_name: file.file_name,
            content_type: file.content_type,
            content: file.content,
        })),
        Err(DomainError::NotFound(_)) => Ok(None),
        Err(e) => Err(Box::new(e)),
    }
}

/// Where delivery attempts are recorded: alert notifications on their alerts (the API
/// shows them), a scheduled report that could not be delivered on its schedule;
/// other notifications (invitations) are only logged.
#[derive(Debug, Clone)]
pub struct DeliveryRecords {
    db: DatabaseConnection,
}

impl DeliveryRecords {
    /// Records into `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl AttemptLog for DeliveryRecords {
    fn record<'a>(
        &'a self,
        attempt: &'a Attempt,
    ) -> Pin<Box<dyn Future<Output = Result<(), AttemptLogError>> + Send + 'a>> {
        Box::pin(async move {
            if let (
                Some(schedule_id),
                AttemptOutcome::Failed {
                    error,
                    retry_at: None,
                    ..
                },
            ) = (attempt.schedule_id, &attempt.outcome)
            {
                let shown = format!("the e-mail to {} failed: {error}", attempt.target);
                report_schedules::record_schedule_outcome(
                    &self.db,
                    schedule_id,
                    Some(&shown),
                    attempt.at,
                )
                .await
                .map_err(|e| Box::new(e) as AttemptLogError)?;
            }
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

//! The alert outbox: an alert's change (opened, resolved) commits with a due mark, and
//! its notices are queued from here once per change: right after the change by the
//! process that made it, and by a sweep for changes left behind (queue unreachable,
//! process gone, or an alert resolved by a person through the api).
//!
//! Queueing locks the alert's row, pushes every notice, then clears the mark in the same
//! transaction: two replicas never queue one change twice, and a crash between the push
//! and the commit queues it again (at least once, never lost).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use tds_bus::jobs::{AlertNotice, AlertTransition, Channel, Locale, Message};
use tds_bus::{Notification, NotificationQueue, QueueError};
use tds_domain::DomainError;
use tds_domain::alerts::{self, NotificationPlan};
use tds_entity::AlertState;
use uuid::Uuid;

/// Longest wait for the queue while a row is locked: a hung Redis must not hold the
/// alert (and the writer resolving it) for long.
const PUSH_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a change's notices were not queued (they stay due; the sweep tries again).
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database failed.
    #[error("alert outbox: {0}")]
    Database(#[from] DomainError),
    /// The notification queue failed or did not answer in time.
    #[error("alert outbox: notification queue: {0}")]
    Queue(#[from] QueueError),
}

impl From<sea_orm::DbErr> for OutboxError {
    fn from(e: sea_orm::DbErr) -> Self {
        OutboxError::Database(DomainError::from(e))
    }
}

/// Queues the notices of alert changes.
#[derive(Clone)]
pub struct Outbox {
    db: DatabaseConnection,
    queue: NotificationQueue,
}

impl Outbox {
    /// An outbox over `db` pushing to `queue`.
    pub fn new(db: DatabaseConnection, queue: NotificationQueue) -> Self {
        Self { db, queue }
    }

    /// Queues the notices of an alert's change due at `due_at`; returns how many were
    /// queued (0: queued already, changed again, or being queued elsewhere).
    pub async fn queue_change(
        &self,
        alert_id: Uuid,
        due_at: DateTime<Utc>,
    ) -> Result<usize, OutboxError> {
        let txn = self.db.begin().await?;
        if alerts::claim_change(&txn, alert_id, due_at)
            .await?
            .is_none()
        {
            return Ok(0);
        }
        let plan = alerts::notification_plan(&txn, alert_id).await?;
        let notices = notices(&plan);
        let mut queue = self.queue.clone();
        for notice in &notices {
            tokio::time::timeout(PUSH_TIMEOUT, queue.push(notice.clone()))
                .await
                .map_err(|_| QueueError::Unavailable("no answer in time".into()))??;
        }
        alerts::notifications_queued(&txn, alert_id, due_at).await?;
        txn.commit().await?;
        Ok(notices.len())
    }

    /// Queues the changes due at or before `until` (at most `limit`, oldest first);
    /// returns how many notices were queued. One change failing does not stop the others.
    pub async fn sweep(&self, until: DateTime<Utc>, limit: u64) -> Result<usize, OutboxError> {
        let mut queued = 0;
        for alert in alerts::due_notifications(&self.db, until, limit).await? {
            let Some(due_at) = alert.notify_due_at else {
                continue;
            };
            match self.queue_change(alert.id, due_at).await {
                Ok(n) => queued += n,
                // The queue is away: the next sweep tries them all again.
                Err(e @ OutboxError::Queue(_)) => return Err(e),
                Err(e) => tracing::warn!(alert = %alert.id, error = %e, "alert notices not queued"),
            }
        }
        Ok(queued)
    }
}

/// The notices of an alert's latest change: one per e-mail recipient and webhook of its
/// rule. A change that was a resolution is told as one (with the opening's facts in the
/// alert's message), also when the opening was not told yet.
pub fn notices(plan: &NotificationPlan) -> Vec<Notification> {
    let alert = &plan.alert;
    let resolved = alert.state == AlertState::Resolved;
    let notice = AlertNotice {
        alert_id: alert.id,
        account_id: alert.account_id,
        account_name: plan.account.name.clone(),
        locale: Locale::parse(&plan.account.locale),
        timezone: plan.account.timezone.clone(),
        rule_name: plan.rule.name.clone(),
        severity: alert.severity.into(),
        transition: if resolved {
            AlertTransition::Resolved
        } else {
            AlertTransition::Opened
        },
        message: alert.message.clone(),
        device_name: plan.device.as_ref().map(|d| d.name.clone()),
        gateway_name: plan.gateway.as_ref().map(|g| g.name.clone()),
        value: if resolved {
            alert.cleared_value.or(alert.value)
        } else {
            alert.value
        },
        unit: plan.unit(),
        threshold: plan.threshold(),
        // The reading's time, which people compare with their meters, before the
        // time the platform noticed.
        at: if resolved {
            alert
                .cleared_reading_at
                .or(alert.resolved_at)
                .unwrap_or(alert.updated_at)
        } else {
            alert.opened_reading_at.unwrap_or(alert.opened_at)
        },
    };
    let emails = plan
        .channels
        .emails
        .iter()
        .map(|to| Channel::Email { to: to.clone() });
    let webhooks = plan.channels.webhooks.iter().map(|w| Channel::Webhook {
        url: w.url.clone(),
        secret: w.secret.clone(),
    });
    emails
        .chain(webhooks)
        .map(|channel| Notification::new(channel, Message::Alert(notice.clone())))
        .collect()
}

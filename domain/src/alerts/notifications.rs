//! The delivery side's view of alerts: where an alert goes ([`notification_plan`]), the
//! outbox of changes whose notifications are not queued yet ([`due_notifications`],
//! [`claim_change`], [`notifications_queued`]) and the log of every attempt
//! ([`record_attempt`]), which the API shows on each alert.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use tds_entity::{
    AlertCondition, NotificationChannel, NotificationOutcome, account, alert, alert_notification,
    alert_rule, device, gateway,
};
use uuid::Uuid;

use super::lifecycle::get_alert;
use super::rules::Channels;
use super::{Condition, Rule};
use crate::error::{DomainError, DomainResult};
use crate::tenant::Tenant;

/// Longest error text kept per attempt.
pub const MAX_ERROR_CHARS: usize = 2000;

/// One delivery attempt, as the notification job reports it.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The alert delivered.
    pub alert_id: Uuid,
    /// E-mail or webhook.
    pub channel: NotificationChannel,
    /// The address or URL.
    pub target: String,
    /// 1 for the first attempt at this target, then 2, 3 …
    pub attempt: i32,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// What came of it.
    pub outcome: NotificationOutcome,
    /// Why it failed.
    pub error: Option<String>,
}

fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Records a delivery attempt (the notification jobs call this; not tenant-scoped, the
/// account comes from the alert). An alert deleted meanwhile (its rule was) is not found.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    attempt: Attempt,
) -> DomainResult<alert_notification::Model> {
    let alert = alert::Entity::find_by_id(attempt.alert_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("alert"))?;
    Ok(alert_notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(alert.account_id),
        alert_id: Set(alert.id),
        channel: Set(attempt.channel),
        target: Set(truncated(&attempt.target, 512)),
        attempt: Set(attempt.attempt),
        attempted_at: Set(attempt.attempted_at),
        outcome: Set(attempt.outcome),
        error: Set(attempt.error.map(|e| truncated(&e, MAX_ERROR_CHARS))),
    }
    .insert(db)
    .await?)
}

/// What the notification jobs need to tell about an alert: the alert, its rule, account,
/// device and gateway as they are now.
#[derive(Debug, Clone)]
pub struct NotificationPlan {
    /// The alert as it is now.
    pub alert: alert::Model,
    /// The rule that raised it (name, thresholds).
    pub rule: alert_rule::Model,
    /// Where it goes.
    pub channels: Channels,
    /// Its account (name, locale, time zone).
    pub account: account::Model,
    /// The device it is about, if any.
    pub device: Option<device::Model>,
    /// The gateway it is about.
    pub gateway: Option<gateway::Model>,
}

impl NotificationPlan {
    /// The rule's limit the alert's value crossed (for a range, the side it left by).
    pub fn threshold(&self) -> Option<f64> {
        let condition = Rule::from_model(&self.rule)?.condition;
        Some(match condition {
            Condition::Above { high } => high,
            Condition::Below { low } => low,
            Condition::Outside { low, high } => match self.alert.value {
                Some(v) if v < low => low,
                _ => high,
            },
            Condition::ConsumptionAbove { limit, .. } => limit,
            Condition::GatewaySilent { minutes } | Condition::DeviceSilent { minutes } => {
                f64::from(minutes)
            }
            Condition::CompletenessBelow { percent } => percent,
        })
    }

    /// The unit of the alert's value and threshold: minutes of silence, percent of
    /// completeness, else the device's unit.
    pub fn unit(&self) -> Option<String> {
        match self.rule.condition {
            AlertCondition::GatewaySilent | AlertCondition::DeviceSilent => Some("min".into()),
            AlertCondition::CompletenessBelow => Some("%".into()),
            _ => self.device.as_ref().map(|d| d.unit.clone()),
        }
    }
}

/// The alert, its rule's channels and what its notices show (not tenant-scoped: for the
/// notification jobs).
pub async fn notification_plan(
    db: &impl ConnectionTrait,
    alert_id: Uuid,
) -> DomainResult<NotificationPlan> {
    let alert = alert::Entity::find_by_id(alert_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("alert"))?;
    let rule = alert_rule::Entity::find_by_id(alert.rule_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("alert rule"))?;
    let account = account::Entity::find_by_id(alert.account_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let device = match alert.device_id {
        Some(id) => device::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let gateway = match alert.gateway_id {
        Some(id) => gateway::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    Ok(NotificationPlan {
        channels: Channels::of(&rule),
        alert,
        rule,
        account,
        device,
        gateway,
    })
}

/// Takes an alert's change due at `due_at` for queueing: locks the row (skipping it when
/// another process holds it) inside the caller's transaction. `None` when the change was
/// queued already, the alert changed again, or someone else is queueing it; the caller
/// queues the notices, then calls [`notifications_queued`] in the same transaction.
pub async fn claim_change(
    txn: &DatabaseTransaction,
    alert_id: Uuid,
    due_at: DateTime<Utc>,
) -> DomainResult<Option<alert::Model>> {
    let mut query =
        alert::Entity::find_by_id(alert_id).filter(alert::Column::NotifyDueAt.eq(due_at));
    // SQLite (the demo) has one writer at a time and no row locks.
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(query.one(txn).await?)
}

/// Alerts whose latest change (opened, resolved by itself) at or before `until` still has
/// its notifications to queue, oldest first, at most `limit`: what an outbox sweeper
/// queues again (pass a time a little in the past, so changes being queued right now are
/// left to their caller).
pub async fn due_notifications(
    db: &impl ConnectionTrait,
    until: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<alert::Model>> {
    Ok(alert::Entity::find()
        .filter(alert::Column::NotifyDueAt.lte(until))
        .order_by_asc(alert::Column::NotifyDueAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Marks the notifications of an alert's change at `due_at` (its `notify_due_at`) as
/// queued. Returns false when the alert changed again meanwhile (that change is still
/// due) or is gone.
pub async fn notifications_queued(
    db: &impl ConnectionTrait,
    alert_id: Uuid,
    due_at: DateTime<Utc>,
) -> DomainResult<bool> {
    let done = alert::Entity::update_many()
        .col_expr(
            alert::Column::NotifyDueAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(alert::Column::Id.eq(alert_id))
        .filter(alert::Column::NotifyDueAt.eq(due_at))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The delivery attempts of one of the caller's alerts, oldest first.
pub async fn notifications_of(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    alert_id: Uuid,
) -> DomainResult<Vec<alert_notification::Model>> {
    let alert = get_alert(db, tenant, alert_id).await?;
    Ok(alert_notification::Entity::find()
        .filter(alert_notification::Column::AlertId.eq(alert.id))
        .filter(alert_notification::Column::AccountId.eq(tenant.account_id))
        .order_by_asc(alert_notification::Column::AttemptedAt)
        .order_by_asc(alert_notification::Column::Id)
        .all(db)
        .await?)
}

//! The alert objects and enums of the API: rules, alerts and their delivery log.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tds_domain::alerts::{self as domain, Channels};
use tds_entity::{alert, alert_notification, alert_rule};
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::{Device, DeviceKind, Gateway, User, loader_error};

/// Which devices (or gateways) a rule watches.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::AlertScope")]
pub enum AlertScope {
    /// One device (`deviceId`).
    Device,
    /// One gateway and its devices (`gatewayId`).
    Gateway,
    /// Every device of a kind (`deviceKind`).
    DeviceKind,
    /// Everything in the account.
    All,
}

/// What a rule tests.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::AlertCondition")]
pub enum AlertCondition {
    /// A reading above `thresholdHigh`.
    Above,
    /// A reading below `thresholdLow`.
    Below,
    /// A reading outside [`thresholdLow`, `thresholdHigh`].
    Outside,
    /// Consumption in the current `period` bucket above `thresholdHigh`.
    ConsumptionAbove,
    /// A gateway silent for `silentMinutes`.
    GatewaySilent,
    /// A device silent for `silentMinutes`.
    DeviceSilent,
    /// A day's completeness below `completenessPct`.
    CompletenessBelow,
}

/// How urgent an alert is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::Severity")]
pub enum Severity {
    /// For information.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

/// Life cycle of an alert.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::AlertState")]
pub enum AlertState {
    /// Raised, nobody has looked yet.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Closed by a person or because the condition cleared.
    Resolved,
}

/// The bucket a consumption rule watches, in the account's time zone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::RollupPeriod")]
pub enum ConsumptionPeriod {
    /// The current hour.
    Hour,
    /// The current day.
    Day,
    /// The current month.
    Month,
}

/// How a notification travelled.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::NotificationChannel")]
pub enum NotificationChannel {
    /// E-mail.
    Email,
    /// Signed webhook POST.
    Webhook,
}

/// What came of a notification attempt.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::NotificationOutcome")]
pub enum NotificationOutcome {
    /// Handed over.
    Sent,
    /// Failed; may be tried again.
    Failed,
    /// Failed for the last time.
    GaveUp,
}

/// A webhook of a rule (its secret is never shown).
#[derive(SimpleObject)]
pub struct AlertWebhook {
    /// Where alert changes are POSTed, signed with HMAC-SHA256.
    pub url: String,
}

/// A rule that raises alerts.
pub struct AlertRule(pub alert_rule::Model);

#[Object]
impl AlertRule {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn scope(&self) -> AlertScope {
        self.0.scope.into()
    }
    /// The device of a DEVICE scope (null once deleted).
    async fn device(&self, ctx: &Context<'_>) -> ApiResult<Option<Device>> {
        let Some(id) = self.0.device_id else {
            return Ok(None);
        };
        let loaded = ctx.loaders()?.device_by_id.load_one(id).await;
        Ok(loaded.map_err(loader_error)?.map(Device))
    }
    /// The gateway of a GATEWAY scope (null once deleted).
    async fn gateway(&self, ctx: &Context<'_>) -> ApiResult<Option<Gateway>> {
        let Some(id) = self.0.gateway_id else {
            return Ok(None);
        };
        let loaded = ctx.loaders()?.gateway_by_id.load_one(id).await;
        Ok(loaded.map_err(loader_error)?.map(Gateway))
    }
    /// The kind of a DEVICE_KIND scope.
    async fn device_kind(&self) -> Option<DeviceKind> {
        self.0.device_kind.map(Into::into)
    }
    async fn condition(&self) -> AlertCondition {
        self.0.condition.into()
    }
    /// Lower limit (BELOW, OUTSIDE).
    async fn threshold_low(&self) -> Option<f64> {
        self.0.threshold_low
    }
    /// Upper limit (ABOVE, OUTSIDE) or consumption limit (CONSUMPTION_ABOVE).
    async fn threshold_high(&self) -> Option<f64> {
        self.0.threshold_high
    }
    /// Bucket of a consumption rule.
    async fn period(&self) -> Option<ConsumptionPeriod> {
        self.0.period.map(Into::into)
    }
    /// Minutes of silence (GATEWAY_SILENT, DEVICE_SILENT).
    async fn silent_minutes(&self) -> Option<i32> {
        self.0.silent_minutes
    }
    /// Percent a day must reach (COMPLETENESS_BELOW).
    async fn completeness_pct(&self) -> Option<f64> {
        self.0.completeness_pct
    }
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    /// Seconds after a resolution during which the same subject raises nothing new.
    async fn cooldown_s(&self) -> i32 {
        self.0.cooldown_s
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// E-mail recipients.
    async fn emails(&self) -> Vec<String> {
        Channels::of(&self.0).emails
    }
    /// Webhooks (URLs only).
    async fn webhooks(&self) -> Vec<AlertWebhook> {
        Channels::of(&self.0)
            .webhooks
            .into_iter()
            .map(|w| AlertWebhook { url: w.url })
            .collect()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One delivery attempt of an alert.
pub struct AlertNotification(pub alert_notification::Model);

#[Object]
impl AlertNotification {
    async fn channel(&self) -> NotificationChannel {
        self.0.channel.into()
    }
    /// The e-mail address or webhook URL.
    async fn target(&self) -> &str {
        &self.0.target
    }
    /// 1 for the first attempt at this target.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.0.attempted_at
    }
    async fn outcome(&self) -> NotificationOutcome {
        self.0.outcome.into()
    }
    /// Why it failed.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

/// An alert raised by a rule about a device or a gateway.
pub struct Alert(pub alert::Model);

async fn user(ctx: &Context<'_>, id: Option<Uuid>) -> ApiResult<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let found = domain::actor(&ctx.state().db, ctx.tenant()?, id).await?;
    Ok(found.map(User))
}

#[Object]
impl Alert {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The rule that raised it (batched).
    async fn rule(&self, ctx: &Context<'_>) -> ApiResult<AlertRule> {
        let loaded = ctx
            .loaders()?
            .alert_rule_by_id
            .load_one(self.0.rule_id)
            .await;
        loaded
            .map_err(loader_error)?
            .map(AlertRule)
            .ok_or_else(|| tds_domain::DomainError::NotFound("alert rule").into())
    }
    /// The device it is about (null for a gateway's silence, or once deleted).
    async fn device(&self, ctx: &Context<'_>) -> ApiResult<Option<Device>> {
        let Some(id) = self.0.device_id else {
            return Ok(None);
        };
        let loaded = ctx.loaders()?.device_by_id.load_one(id).await;
        Ok(loaded.map_err(loader_error)?.map(Device))
    }
    /// The gateway it is about, or its device's gateway (null once deleted).
    async fn gateway(&self, ctx: &Context<'_>) -> ApiResult<Option<Gateway>> {
        let Some(id) = self.0.gateway_id else {
            return Ok(None);
        };
        let loaded = ctx.loaders()?.gateway_by_id.load_one(id).await;
        Ok(loaded.map_err(loader_error)?.map(Gateway))
    }
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn state(&self) -> AlertState {
        self.0.state.into()
    }
    /// The observed value that opened it (reading, consumption, minutes, percent).
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    /// Time of the reading (or check) that opened it.
    async fn opened_reading_at(&self) -> Option<DateTime<Utc>> {
        self.0.opened_reading_at
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    async fn acknowledged_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, self.0.acknowledged_by).await
    }
    async fn acknowledge_comment(&self) -> Option<&str> {
        self.0.acknowledge_comment.as_deref()
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// Who resolved it; null when its condition cleared by itself.
    async fn resolved_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user(ctx, self.0.resolved_by).await
    }
    async fn resolve_comment(&self) -> Option<&str> {
        self.0.resolve_comment.as_deref()
    }
    /// The value that cleared it (automatic resolution).
    async fn cleared_value(&self) -> Option<f64> {
        self.0.cleared_value
    }
    /// Time of the reading (or check) that cleared it.
    async fn cleared_reading_at(&self) -> Option<DateTime<Utc>> {
        self.0.cleared_reading_at
    }
    /// Every notification attempt, oldest first.
    async fn notifications(&self, ctx: &Context<'_>) -> ApiResult<Vec<AlertNotification>> {
        let list = domain::notifications_of(&ctx.state().db, ctx.tenant()?, self.0.id).await?;
        Ok(list.into_iter().map(AlertNotification).collect())
    }
}

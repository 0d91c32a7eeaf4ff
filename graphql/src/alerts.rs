//! Alerts in the API: rules (read by everyone in the account, edited by ADMIN and
//! EDITOR), alerts with filters and pages, acknowledge / resolve, and the live `alerts`
//! subscription. Rule changes are announced so telemetry workers reload their index.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tds_bus::Event;
use tds_domain::alerts::{self as domain, Channels};
use tds_domain::page::PageRequest;
use tds_entity::{alert, alert_notification, alert_rule};
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::types::{
    AlertConnection, Device, DeviceKind, Gateway, User, decode_cursor, loader_error, parse_id,
};

/// Cooldown of a new rule when the input leaves it out: ten minutes.
pub const DEFAULT_COOLDOWN_S: i32 = 600;

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

/// A webhook of a rule.
#[derive(InputObject)]
pub struct WebhookInput {
    /// `http://` or `https://` URL.
    pub url: String,
    /// HMAC-SHA256 key (16–256 characters); leave out on update to keep the URL's secret.
    pub secret: Option<String>,
}

/// A new alert rule. Parameters the condition or scope does not use are ignored.
#[derive(InputObject)]
pub struct CreateAlertRuleInput {
    pub name: String,
    pub scope: AlertScope,
    /// Required for a DEVICE scope.
    pub device_id: Option<ID>,
    /// Required for a GATEWAY scope.
    pub gateway_id: Option<ID>,
    /// Required for a DEVICE_KIND scope.
    pub device_kind: Option<DeviceKind>,
    pub condition: AlertCondition,
    /// BELOW, OUTSIDE.
    pub threshold_low: Option<f64>,
    /// ABOVE, OUTSIDE, CONSUMPTION_ABOVE (the limit).
    pub threshold_high: Option<f64>,
    /// CONSUMPTION_ABOVE.
    pub period: Option<ConsumptionPeriod>,
    /// GATEWAY_SILENT, DEVICE_SILENT (1–10080).
    pub silent_minutes: Option<i32>,
    /// COMPLETENESS_BELOW (more than 0, at most 100).
    pub completeness_pct: Option<f64>,
    /// Default WARNING.
    pub severity: Option<Severity>,
    /// Default 600 (ten minutes); at most 30 days.
    pub cooldown_s: Option<i32>,
    /// E-mail recipients (at most 20).
    pub emails: Option<Vec<String>>,
    /// Webhooks (at most 5).
    pub webhooks: Option<Vec<WebhookInput>>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// Changes to a rule; omitted fields stay as they are, lists are replaced whole.
#[derive(InputObject)]
pub struct UpdateAlertRuleInput {
    pub name: Option<String>,
    pub scope: Option<AlertScope>,
    pub device_id: Option<ID>,
    pub gateway_id: Option<ID>,
    pub device_kind: Option<DeviceKind>,
    pub condition: Option<AlertCondition>,
    pub threshold_low: Option<f64>,
    pub threshold_high: Option<f64>,
    pub period: Option<ConsumptionPeriod>,
    pub silent_minutes: Option<i32>,
    pub completeness_pct: Option<f64>,
    pub severity: Option<Severity>,
    pub cooldown_s: Option<i32>,
    pub emails: Option<Vec<String>>,
    pub webhooks: Option<Vec<WebhookInput>>,
    pub enabled: Option<bool>,
}

/// Alert list filter; every field narrows the list.
#[derive(InputObject, Default)]
pub struct AlertFilter {
    /// Only these states.
    pub states: Option<Vec<AlertState>>,
    pub severity: Option<Severity>,
    /// Alerts about this gateway or its devices.
    pub gateway_id: Option<ID>,
    pub device_id: Option<ID>,
    pub rule_id: Option<ID>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
    /// Message contains this text.
    pub search: Option<String>,
}

fn optional_id(id: Option<&ID>, what: &'static str) -> ApiResult<Option<Uuid>> {
    id.map(|id| parse_id(id, what)).transpose()
}

fn webhooks(list: Vec<WebhookInput>) -> Vec<domain::WebhookDraft> {
    list.into_iter()
        .map(|w| domain::WebhookDraft {
            url: w.url,
            secret: w.secret,
        })
        .collect()
}

/// Alert queries.
#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// The account's alert rules, oldest first.
    #[graphql(complexity = "100 * child_complexity")]
    async fn alert_rules(&self, ctx: &Context<'_>) -> ApiResult<Vec<AlertRule>> {
        let list = domain::list_rules(&ctx.state().db, ctx.tenant()?).await?;
        Ok(list.into_iter().map(AlertRule).collect())
    }

    /// One alert rule of the account.
    async fn alert_rule(&self, ctx: &Context<'_>, id: ID) -> ApiResult<AlertRule> {
        let id = parse_id(&id, "alert rule")?;
        let rule = domain::get_rule(&ctx.state().db, ctx.tenant()?, id).await?;
        Ok(AlertRule(rule))
    }

    /// The account's alerts, newest first, a page at a time (at most 100).
    #[graphql(complexity = "crate::limits::page(first, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AlertConnection> {
        let tenant = ctx.tenant()?;
        let page = PageRequest::new(first, decode_cursor(after.as_deref())?)?;
        let f = filter.unwrap_or_default();
        let filter = domain::AlertFilter {
            states: f
                .states
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            severity: f.severity.map(Into::into),
            gateway_id: optional_id(f.gateway_id.as_ref(), "gateway")?,
            device_id: optional_id(f.device_id.as_ref(), "device")?,
            rule_id: optional_id(f.rule_id.as_ref(), "alert rule")?,
            from: f.from,
            to: f.to,
            search: f.search,
        };
        let page = domain::list_alerts(&ctx.state().db, tenant, &filter, page).await?;
        Ok(AlertConnection::from_page(page, |a| a.id, Alert))
    }

    /// One alert of the account.
    async fn alert(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Alert> {
        let id = parse_id(&id, "alert")?;
        let alert = domain::get_alert(&ctx.state().db, ctx.tenant()?, id).await?;
        Ok(Alert(alert))
    }
}

/// Tells the telemetry workers to reload this account's rules. Losing the message
/// leaves a worker with the old rules until its next full reload.
async fn announce_rules_changed(ctx: &Context<'_>, account_id: Uuid) {
    let event = Event::AlertRulesChanged { account_id };
    if let Err(e) = ctx.state().events.publish(&event).await {
        tracing::warn!(error = %e, "alert rule change not announced");
    }
}

/// The event the `alerts` subscription listens to, for an alert as it is now.
pub fn alert_changed(alert: &alert::Model, at: DateTime<Utc>) -> Event {
    Event::AlertChanged {
        account_id: alert.account_id,
        gateway_id: alert.gateway_id,
        device_id: alert.device_id,
        alert_id: alert.id,
        rule_id: alert.rule_id,
        state: alert.state.as_str().to_owned(),
        severity: alert.severity.as_str().to_owned(),
        at,
    }
}

async fn announce_alert(ctx: &Context<'_>, alert: &alert::Model) {
    if let Err(e) = ctx
        .state()
        .events
        .publish(&alert_changed(alert, Utc::now()))
        .await
    {
        tracing::warn!(error = %e, "alert change not announced");
    }
}

/// Alert mutations.
#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Creates an alert rule (EDITOR); every invalid field is reported.
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: CreateAlertRuleInput,
    ) -> ApiResult<AlertRule> {
        let tenant = ctx.tenant()?;
        let draft = domain::RuleDraft {
            name: input.name,
            scope: input.scope.into(),
            device_id: optional_id(input.device_id.as_ref(), "device")?,
            gateway_id: optional_id(input.gateway_id.as_ref(), "gateway")?,
            device_kind: input.device_kind.map(Into::into),
            condition: input.condition.into(),
            threshold_low: input.threshold_low,
            threshold_high: input.threshold_high,
            period: input.period.map(Into::into),
            silent_minutes: input.silent_minutes,
            completeness_pct: input.completeness_pct,
            severity: input
                .severity
                .map_or(tds_entity::Severity::Warning, Into::into),
            cooldown_s: input.cooldown_s.unwrap_or(DEFAULT_COOLDOWN_S),
            emails: input.emails.unwrap_or_default(),
            webhooks: webhooks(input.webhooks.unwrap_or_default()),
            enabled: input.enabled.unwrap_or(true),
        };
        let rule = domain::create_rule(&ctx.state().db, tenant, draft, Utc::now()).await?;
        announce_rules_changed(ctx, rule.account_id).await;
        Ok(AlertRule(rule))
    }

    /// Changes an alert rule (EDITOR). Its unresolved alerts that it no longer watches
    /// (disabled, or their device or gateway left its scope) are resolved.
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateAlertRuleInput,
    ) -> ApiResult<AlertRule> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "alert rule")?;
        let patch = domain::RulePatch {
            name: input.name,
            scope: input.scope.map(Into::into),
            device_id: optional_id(input.device_id.as_ref(), "device")?,
            gateway_id: optional_id(input.gateway_id.as_ref(), "gateway")?,
            device_kind: input.device_kind.map(Into::into),
            condition: input.condition.map(Into::into),
            threshold_low: input.threshold_low,
            threshold_high: input.threshold_high,
            period: input.period.map(Into::into),
            silent_minutes: input.silent_minutes,
            completeness_pct: input.completeness_pct,
            severity: input.severity.map(Into::into),
            cooldown_s: input.cooldown_s,
            emails: input.emails,
            webhooks: input.webhooks.map(webhooks),
            enabled: input.enabled,
        };
        let change = domain::update_rule(&ctx.state().db, tenant, id, patch, Utc::now()).await?;
        announce_rules_changed(ctx, change.rule.account_id).await;
        for alert in &change.resolved {
            announce_alert(ctx, alert).await;
        }
        Ok(AlertRule(change.rule))
    }

    /// Deletes an alert rule with its alerts (EDITOR). Returns its id.
    async fn delete_alert_rule(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ID> {
        let tenant = ctx.tenant()?;
        let uuid = parse_id(&id, "alert rule")?;
        domain::delete_rule(&ctx.state().db, tenant, uuid).await?;
        announce_rules_changed(ctx, tenant.account_id()).await;
        Ok(id)
    }

    /// Acknowledges an OPEN alert (EDITOR), with an optional comment.
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: Option<String>,
    ) -> ApiResult<Alert> {
        let id = parse_id(&id, "alert")?;
        let alert =
            domain::acknowledge_alert(&ctx.state().db, ctx.tenant()?, id, comment, Utc::now())
                .await?;
        announce_alert(ctx, &alert).await;
        Ok(Alert(alert))
    }

    /// Resolves an OPEN or ACKNOWLEDGED alert (EDITOR), with an optional comment.
    async fn resolve_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
        comment: Option<String>,
    ) -> ApiResult<Alert> {
        let id = parse_id(&id, "alert")?;
        let alert =
            domain::resolve_alert(&ctx.state().db, ctx.tenant()?, id, comment, Utc::now()).await?;
        announce_alert(ctx, &alert).await;
        Ok(Alert(alert))
    }
}

/// An alert opened, acknowledged or resolved.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AlertEvent {
    /// The alert's id.
    pub alert_id: ID,
    /// Its state now.
    pub state: AlertState,
    /// Its severity.
    pub severity: Severity,
    /// The gateway it is about (or its device's).
    pub gateway_id: Option<ID>,
    /// The device it is about.
    pub device_id: Option<ID>,
    /// When it changed.
    pub at: DateTime<Utc>,
    #[graphql(skip)]
    id: Uuid,
}

#[ComplexObject]
impl AlertEvent {
    /// The alert as it is now.
    async fn alert(&self, ctx: &Context<'_>) -> ApiResult<Alert> {
        let alert = domain::get_alert(&ctx.state().db, ctx.tenant()?, self.id).await?;
        Ok(Alert(alert))
    }
}

fn parse_state(state: &str) -> Option<AlertState> {
    use tds_entity::AlertState as S;
    [S::Open, S::Acknowledged, S::Resolved]
        .into_iter()
        .find(|s| s.as_str() == state)
        .map(Into::into)
}

fn parse_severity(severity: &str) -> Option<Severity> {
    use tds_entity::Severity as S;
    [S::Info, S::Warning, S::Critical]
        .into_iter()
        .find(|s| s.as_str() == severity)
        .map(Into::into)
}

/// The alerts subscription.
#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// Alerts opened, acknowledged or resolved: the whole account, or one gateway's.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<AlertEvent, ApiError>> + use<>, ApiError> {
        let tenant = ctx.tenant()?.clone();
        let gateway = match gateway_id {
            Some(id) => Some(
                tds_domain::gateways::get_gateway(
                    &ctx.state().db,
                    &tenant,
                    parse_id(&id, "gateway")?,
                )
                .await?
                .id,
            ),
            None => None,
        };
        let account = tenant.account_id();
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let changes = events.filter_map(move |event| {
            let change = match event.as_deref() {
                Ok(Event::AlertChanged {
                    account_id,
                    gateway_id,
                    device_id,
                    alert_id,
                    state,
                    severity,
                    at,
                    ..
                }) if *account_id == account && gateway.is_none_or(|g| Some(g) == *gateway_id) => {
                    Some(AlertEvent {
                        alert_id: ID(alert_id.to_string()),
                        state: parse_state(state).unwrap_or(AlertState::Open),
                        severity: parse_severity(severity).unwrap_or(Severity::Warning),
                        gateway_id: gateway_id.map(|g| ID(g.to_string())),
                        device_id: device_id.map(|d| ID(d.to_string())),
                        at: *at,
                        id: *alert_id,
                    })
                }
                _ => None,
            };
            futures::future::ready(change)
        });
        crate::live::while_allowed(ctx, tds_entity::Role::Viewer, changes)
    }
}

//! Alerts in the API: rules (read by everyone in the account, edited by ADMIN and
//! EDITOR), alerts with filters and pages, acknowledge / resolve, and the live `alerts`
//! subscription. Rule changes are announced so telemetry workers reload their index.

mod inputs;
mod live;
mod types;

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use tds_bus::Event;
use tds_domain::alerts as domain;
use tds_domain::page::PageRequest;
use tds_entity::alert;
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::{AlertConnection, decode_cursor, parse_id};
use inputs::{AlertFilter, CreateAlertRuleInput, UpdateAlertRuleInput, optional_id, webhooks};

pub use live::AlertSubscription;
pub use types::{Alert, AlertRule, Severity};

/// Cooldown of a new rule when the input leaves it out: ten minutes.
pub const DEFAULT_COOLDOWN_S: i32 = 600;

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

async fn announce_alert(ctx: &Context<'_>, alert: &alert::Model) {
    if let Err(e) = ctx
        .state()
        .events
        .publish(&Event::alert_changed(alert, Utc::now()))
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

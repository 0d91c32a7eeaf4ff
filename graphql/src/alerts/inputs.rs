//! What clients send: rule inputs and the alert filter.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use tds_domain::alerts as domain;
use uuid::Uuid;

use super::types::{AlertCondition, AlertScope, AlertState, ConsumptionPeriod, Severity};
use crate::error::ApiResult;
use crate::types::{DeviceKind, parse_id};

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

pub(super) fn optional_id(id: Option<&ID>, what: &'static str) -> ApiResult<Option<Uuid>> {
    id.map(|id| parse_id(id, what)).transpose()
}

pub(super) fn webhooks(list: Vec<WebhookInput>) -> Vec<domain::WebhookDraft> {
    list.into_iter()
        .map(|w| domain::WebhookDraft {
            url: w.url,
            secret: w.secret,
        })
        .collect()
}

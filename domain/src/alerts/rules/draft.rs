//! A rule as entered ([`RuleDraft`], [`RulePatch`]) and its validation: every invalid
//! field is reported at once, by its API name (`thresholdLow`, `emails[1]`,
//! `webhooks[0].url` …); what passes becomes a [`Scope`] and a [`Condition`].

use chrono::{DateTime, Utc};
use sea_orm::Set;
use serde::{Deserialize, Serialize};
use tds_entity::{AlertCondition, AlertScope, DeviceKind, RollupPeriod, Severity, alert_rule};
use uuid::Uuid;

use super::super::{Condition, Scope};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::values::{Email, parse_name};

/// Longest cooldown: 30 days.
pub const MAX_COOLDOWN_S: i32 = 30 * 24 * 3600;
/// Longest silence a rule may wait for: 7 days.
pub const MAX_SILENT_MINUTES: i32 = 7 * 24 * 60;
/// Most e-mail recipients of one rule.
pub const MAX_EMAILS: usize = 20;
/// Most webhooks of one rule.
pub const MAX_WEBHOOKS: usize = 5;
/// Shortest webhook secret (HMAC key).
pub const MIN_SECRET_LEN: usize = 16;

/// A webhook as entered: the secret may be left out on update to keep the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDraft {
    /// `http://` or `https://` URL receiving a POST per alert change.
    pub url: String,
    /// HMAC-SHA256 key; `None` keeps the secret this rule has for the same URL.
    pub secret: Option<String>,
}

/// A webhook of a rule, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Where to POST.
    pub url: String,
    /// HMAC-SHA256 key of the signature header. Never shown by the API.
    pub secret: String,
}

/// Where a rule's alerts go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channels {
    /// E-mail recipients, normalised.
    pub emails: Vec<String>,
    /// Webhooks.
    pub webhooks: Vec<Webhook>,
}

impl Channels {
    /// The channels stored on a rule (unreadable JSON counts as none).
    pub fn of(rule: &alert_rule::Model) -> Self {
        Self {
            emails: serde_json::from_value(rule.recipients.clone()).unwrap_or_default(),
            webhooks: serde_json::from_value(rule.webhooks.clone()).unwrap_or_default(),
        }
    }
}

/// Everything a rule is made of, before validation. Parameters a condition or scope
/// does not use are ignored (and not stored).
#[derive(Debug, Clone)]
pub struct RuleDraft {
    /// Display name, the start of its alerts' messages.
    pub name: String,
    /// What it watches.
    pub scope: AlertScope,
    /// The device (DEVICE scope).
    pub device_id: Option<Uuid>,
    /// The gateway (GATEWAY scope).
    pub gateway_id: Option<Uuid>,
    /// The kind (DEVICE_KIND scope).
    pub device_kind: Option<DeviceKind>,
    /// What it tests.
    pub condition: AlertCondition,
    /// Lower limit (BELOW, OUTSIDE).
    pub threshold_low: Option<f64>,
    /// Upper limit (ABOVE, OUTSIDE) or consumption limit (CONSUMPTION_ABOVE).
    pub threshold_high: Option<f64>,
    /// Bucket of a consumption condition.
    pub period: Option<RollupPeriod>,
    /// Minutes of silence (GATEWAY_SILENT, DEVICE_SILENT).
    pub silent_minutes: Option<i32>,
    /// Percent a day must reach (COMPLETENESS_BELOW).
    pub completeness_pct: Option<f64>,
    /// Severity of its alerts.
    pub severity: Severity,
    /// Seconds after a resolution during which the same subject raises nothing new.
    pub cooldown_s: i32,
    /// E-mail recipients.
    pub emails: Vec<String>,
    /// Webhooks.
    pub webhooks: Vec<WebhookDraft>,
    /// Whether it is evaluated.
    pub enabled: bool,
}

/// Changes to a rule; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RulePatch {
    /// New name.
    pub name: Option<String>,
    /// New scope.
    pub scope: Option<AlertScope>,
    /// New device.
    pub device_id: Option<Uuid>,
    /// New gateway.
    pub gateway_id: Option<Uuid>,
    /// New kind.
    pub device_kind: Option<DeviceKind>,
    /// New condition.
    pub condition: Option<AlertCondition>,
    /// New lower limit.
    pub threshold_low: Option<f64>,
    /// New upper limit.
    pub threshold_high: Option<f64>,
    /// New period.
    pub period: Option<RollupPeriod>,
    /// New silence.
    pub silent_minutes: Option<i32>,
    /// New completeness percent.
    pub completeness_pct: Option<f64>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New cooldown.
    pub cooldown_s: Option<i32>,
    /// New recipients (the whole list).
    pub emails: Option<Vec<String>>,
    /// New webhooks (the whole list; a missing secret keeps the URL's current one).
    pub webhooks: Option<Vec<WebhookDraft>>,
    /// Switch on or off.
    pub enabled: Option<bool>,
}

/// A draft that passed validation.
pub(super) struct ValidRule {
    pub(super) scope: Scope,
    pub(super) channels: Channels,
    name: String,
    condition: Condition,
    severity: Severity,
    cooldown_s: i32,
    enabled: bool,
}

fn finite(errors: &mut Vec<FieldError>, field: &str, value: Option<f64>, what: &str) -> f64 {
    match value {
        Some(v) if v.is_finite() => v,
        Some(_) => {
            errors.push(FieldError::new(field, "a finite number"));
            0.0
        }
        None => {
            errors.push(FieldError::new(field, format!("required for {what}")));
            0.0
        }
    }
}

fn parse_scope(draft: &RuleDraft, errors: &mut Vec<FieldError>) -> Scope {
    let missing = |errors: &mut Vec<FieldError>, field: &str, scope: &str| {
        errors.push(FieldError::new(
            field,
            format!("required for a {scope} scope"),
        ));
        Scope::All
    };
    match draft.scope {
        AlertScope::Device => match draft.device_id {
            Some(id) => Scope::Device(id),
            None => missing(errors, "deviceId", "DEVICE"),
        },
        AlertScope::Gateway => match draft.gateway_id {
            Some(id) => Scope::Gateway(id),
            None => missing(errors, "gatewayId", "GATEWAY"),
        },
        AlertScope::DeviceKind => match draft.device_kind {
            Some(kind) => Scope::Kind(kind),
            None => missing(errors, "deviceKind", "DEVICE_KIND"),
        },
        AlertScope::All => Scope::All,
    }
}

fn parse_condition(draft: &RuleDraft, errors: &mut Vec<FieldError>) -> Condition {
    let what = format!("a {} condition", draft.condition);
    match draft.condition {
        AlertCondition::Above => Condition::Above {
            high: finite(errors, "thresholdHigh", draft.threshold_high, &what),
        },
        AlertCondition::Below => Condition::Below {
            low: finite(errors, "thresholdLow", draft.threshold_low, &what),
        },
        AlertCondition::Outside => {
            let low = finite(errors, "thresholdLow", draft.threshold_low, &what);
            let high = finite(errors, "thresholdHigh", draft.threshold_high, &what);
            if low > high {
                errors.push(FieldError::new(
                    "thresholdLow",
                    format!("the range's low ({low}) is above its high ({high})"),
                ));
            }
            Condition::Outside { low, high }
        }
        AlertCondition::ConsumptionAbove => {
            let limit = finite(errors, "thresholdHigh", draft.threshold_high, &what);
            if limit < 0.0 {
                errors.push(FieldError::new(
                    "thresholdHigh",
                    "a consumption limit is not negative",
                ));
            }
            let period = draft.period.unwrap_or_else(|| {
                errors.push(FieldError::new("period", format!("required for {what}")));
                RollupPeriod::Day
            });
            Condition::ConsumptionAbove { period, limit }
        }
        AlertCondition::GatewaySilent | AlertCondition::DeviceSilent => {
            let minutes = match draft.silent_minutes {
                Some(m) if (1..=MAX_SILENT_MINUTES).contains(&m) => m,
                Some(_) => {
                    errors.push(FieldError::new(
                        "silentMinutes",
                        format!("between 1 and {MAX_SILENT_MINUTES} minutes"),
                    ));
                    1
                }
                None => {
                    errors.push(FieldError::new(
                        "silentMinutes",
                        format!("required for {what}"),
                    ));
                    1
                }
            };
            if draft.condition == AlertCondition::GatewaySilent {
                if !matches!(draft.scope, AlertScope::Gateway | AlertScope::All) {
                    errors.push(FieldError::new(
                        "scope",
                        "a gateway's silence is watched with a GATEWAY or ALL scope",
                    ));
                }
                Condition::GatewaySilent { minutes }
            } else {
                Condition::DeviceSilent { minutes }
            }
        }
        AlertCondition::CompletenessBelow => {
            let percent = finite(errors, "completenessPct", draft.completeness_pct, &what);
            if !(percent > 0.0 && percent <= 100.0) && draft.completeness_pct.is_some() {
                errors.push(FieldError::new(
                    "completenessPct",
                    "more than 0 and at most 100 percent",
                ));
            }
            Condition::CompletenessBelow { percent }
        }
    }
}

/// Checks a webhook URL: http(s), a host, no spaces, at most 512 characters.
pub fn parse_webhook_url(input: &str) -> Result<String, String> {
    let url = input.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("'{url}' is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_name = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host_name = host_name.strip_prefix('[').map_or_else(
        || host_name.split(':').next().unwrap_or_default(),
        |v6| v6.split(']').next().unwrap_or_default(),
    );
    if host_name.is_empty() {
        return Err(format!("'{url}' names no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL has no spaces".into());
    }
    if url.len() > 512 {
        return Err("at most 512 characters".into());
    }
    Ok(url.to_owned())
}

fn parse_channels(
    emails: &[String],
    webhooks: &[WebhookDraft],
    current: &Channels,
    errors: &mut Vec<FieldError>,
) -> Channels {
    let mut out = Channels::default();
    if emails.len() > MAX_EMAILS {
        errors.push(FieldError::new(
            "emails",
            format!("at most {MAX_EMAILS} recipients"),
        ));
    }
    for (i, raw) in emails.iter().enumerate() {
        match Email::parse(raw) {
            Ok(e) if out.emails.iter().any(|x| x == e.as_str()) => {}
            Ok(e) => out.emails.push(e.as_str().to_owned()),
            Err(m) => errors.push(FieldError::new(&format!("emails[{i}]"), m)),
        }
    }
    if webhooks.len() > MAX_WEBHOOKS {
        errors.push(FieldError::new(
            "webhooks",
            format!("at most {MAX_WEBHOOKS} webhooks"),
        ));
    }
    for (i, w) in webhooks.iter().enumerate() {
        let url = match parse_webhook_url(&w.url) {
            Ok(url) => url,
            Err(m) => {
                errors.push(FieldError::new(&format!("webhooks[{i}].url"), m));
                continue;
            }
        };
        let secret = match &w.secret {
            Some(s) if s.chars().count() < MIN_SECRET_LEN || s.chars().count() > 256 => {
                errors.push(FieldError::new(
                    &format!("webhooks[{i}].secret"),
                    format!("between {MIN_SECRET_LEN} and 256 characters"),
                ));
                continue;
            }
            Some(s) => s.clone(),
            None => match current.webhooks.iter().find(|c| c.url == url) {
                Some(c) => c.secret.clone(),
                None => {
                    errors.push(FieldError::new(
                        &format!("webhooks[{i}].secret"),
                        "required for a new webhook",
                    ));
                    continue;
                }
            },
        };
        out.webhooks.push(Webhook { url, secret });
    }
    out
}

pub(super) fn validate(draft: RuleDraft, current: &Channels) -> DomainResult<ValidRule> {
    let mut errors = Vec::new();
    let name = parse_name(&draft.name).map_err(|m| errors.push(FieldError::new("name", m)));
    let scope = parse_scope(&draft, &mut errors);
    let condition = parse_condition(&draft, &mut errors);
    if !(0..=MAX_COOLDOWN_S).contains(&draft.cooldown_s) {
        errors.push(FieldError::new(
            "cooldownS",
            format!("between 0 and {MAX_COOLDOWN_S} seconds"),
        ));
    }
    let channels = parse_channels(&draft.emails, &draft.webhooks, current, &mut errors);
    match name {
        Ok(name) if errors.is_empty() => Ok(ValidRule {
            name,
            scope,
            condition,
            severity: draft.severity,
            cooldown_s: draft.cooldown_s,
            channels,
            enabled: draft.enabled,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

pub(super) fn write(model: &mut alert_rule::ActiveModel, valid: ValidRule, now: DateTime<Utc>) {
    let (device_id, gateway_id, device_kind) = match valid.scope {
        Scope::Device(id) => (Some(id), None, None),
        Scope::Gateway(id) => (None, Some(id), None),
        Scope::Kind(kind) => (None, None, Some(kind)),
        Scope::All => (None, None, None),
    };
    let (mut low, mut high, mut period, mut silent, mut pct) = (None, None, None, None, None);
    match valid.condition {
        Condition::Above { high: h } => high = Some(h),
        Condition::Below { low: l } => low = Some(l),
        Condition::Outside { low: l, high: h } => (low, high) = (Some(l), Some(h)),
        Condition::ConsumptionAbove { period: p, limit } => (period, high) = (Some(p), Some(limit)),
        Condition::GatewaySilent { minutes } | Condition::DeviceSilent { minutes } => {
            silent = Some(minutes)
        }
        Condition::CompletenessBelow { percent } => pct = Some(percent),
    }
    model.name = Set(valid.name);
    model.scope = Set(valid.scope.kind());
    model.device_id = Set(device_id);
    model.gateway_id = Set(gateway_id);
    model.device_kind = Set(device_kind);
    model.condition = Set(valid.condition.kind());
    model.threshold_low = Set(low);
    model.threshold_high = Set(high);
    model.period = Set(period);
    model.silent_minutes = Set(silent);
    model.completeness_pct = Set(pct);
    model.severity = Set(valid.severity);
    model.cooldown_s = Set(valid.cooldown_s);
    model.recipients = Set(serde_json::json!(valid.channels.emails));
    model.webhooks = Set(serde_json::to_value(&valid.channels.webhooks).unwrap_or_default());
    model.enabled = Set(valid.enabled);
    model.updated_at = Set(now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> RuleDraft {
        RuleDraft {
            name: "Hot".into(),
            scope: AlertScope::All,
            device_id: None,
            gateway_id: None,
            device_kind: None,
            condition: AlertCondition::Above,
            threshold_low: None,
            threshold_high: Some(30.0),
            period: None,
            silent_minutes: None,
            completeness_pct: None,
            severity: Severity::Warning,
            cooldown_s: 0,
            emails: vec![],
            webhooks: vec![],
            enabled: true,
        }
    }

    fn fields(r: DomainResult<ValidRule>) -> Vec<String> {
        match r {
            Err(DomainError::Validation(list)) => list.into_iter().map(|f| f.field).collect(),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RuleDraft {
            name: " ".into(),
            scope: AlertScope::Device,
            condition: AlertCondition::Outside,
            threshold_low: Some(10.0),
            threshold_high: Some(5.0),
            cooldown_s: -1,
            emails: vec!["ana@example.com".into(), "not-an-email".into()],
            webhooks: vec![
                WebhookDraft {
                    url: "ftp://x.example".into(),
                    secret: Some("s".repeat(20)),
                },
                WebhookDraft {
                    url: "https://hooks.example/a".into(),
                    secret: Some("short".into()),
                },
            ],
            ..draft()
        };
        assert_eq!(
            fields(validate(bad, &Channels::default())),
            [
                "name",
                "deviceId",
                "thresholdLow",
                "cooldownS",
                "emails[1]",
                "webhooks[0].url",
                "webhooks[1].secret"
            ]
        );
    }

    #[test]
    fn conditions_ask_for_their_parameters() {
        let silent = RuleDraft {
            condition: AlertCondition::GatewaySilent,
            scope: AlertScope::DeviceKind,
            device_kind: Some(DeviceKind::Gas),
            ..draft()
        };
        assert_eq!(
            fields(validate(silent, &Channels::default())),
            ["silentMinutes", "scope"]
        );
        let consumption = RuleDraft {
            condition: AlertCondition::ConsumptionAbove,
            threshold_high: None,
            ..draft()
        };
        assert_eq!(
            fields(validate(consumption, &Channels::default())),
            ["thresholdHigh", "period"]
        );
        let completeness = RuleDraft {
            condition: AlertCondition::CompletenessBelow,
            completeness_pct: Some(120.0),
            ..draft()
        };
        assert_eq!(
            fields(validate(completeness, &Channels::default())),
            ["completenessPct"]
        );
    }

    #[test]
    fn a_webhook_keeps_its_secret_when_left_out() {
        let current = Channels {
            emails: vec![],
            webhooks: vec![Webhook {
                url: "https://hooks.example/a".into(),
                secret: "s".repeat(32),
            }],
        };
        let kept = RuleDraft {
            webhooks: vec![WebhookDraft {
                url: "https://hooks.example/a".into(),
                secret: None,
            }],
            ..draft()
        };
        let Ok(valid) = validate(kept, &current) else {
            panic!("a kept secret is valid")
        };
        assert_eq!(valid.channels.webhooks, current.webhooks);
    }

    #[test]
    fn webhook_urls() {
        for ok in [
            "https://hooks.example/x?y=1",
            "http://10.0.0.1:8080/h",
            "https://[::1]:9/",
        ] {
            assert!(parse_webhook_url(ok).is_ok(), "{ok}");
        }
        for bad in ["hooks.example", "https:///x", "https://a b", "mailto:x@y.z"] {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
    }
}

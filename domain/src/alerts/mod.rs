//! Alert rules and the alerts they raise (issue 10): the domain decides, callers do the
//! I/O. A rule is parsed once into a [`Rule`] (scope and condition as types, so an
//! evaluation never meets a half-filled row); [`evaluate::verdict`] judges one
//! observation against one rule without touching storage; [`apply::apply_verdicts`] turns
//! findings into at most one unresolved alert per rule and subject (the database enforces
//! it) and reports what changed, so the caller can publish events and queue notifications.
//!
//! Who calls what:
//! - the api: [`rules`] (CRUD, validation per field) and [`lifecycle`] (list,
//!   acknowledge, resolve), always with a [`crate::Tenant`];
//! - the telemetry worker, after a batch commits: [`observe::judge_readings`] with its
//!   [`index::RuleIndex`], then [`apply::apply_verdicts`];
//! - scheduled jobs: [`scheduled::silent_subjects`] and [`scheduled::completeness_below`],
//!   then [`apply::apply_verdicts`];
//! - the notification jobs: [`notifications::notification_plan`],
//!   [`notifications::record_attempt`], and the outbox ([`notifications::notifications_queued`]
//!   once queued, [`notifications::due_notifications`] for a sweeper).

pub mod apply;
pub mod evaluate;
pub mod index;
pub mod lifecycle;
pub mod notifications;
pub mod observe;
pub mod open;
pub mod rules;
pub mod scheduled;

use chrono::Duration;
use tds_entity::{AlertCondition, AlertScope, DeviceKind, RollupPeriod, Severity, alert_rule};
use uuid::Uuid;

pub use apply::{AlertChange, apply_verdicts};
pub use evaluate::{Finding, Observation, Subject, Verdict, verdict};
pub use index::RuleIndex;
pub use lifecycle::{
    AlertFilter, acknowledge_alert, actor, get_alert, list_alerts, open_alert_counts, resolve_alert,
};
pub use notifications::{
    Attempt, NotificationPlan, claim_change, due_notifications, notification_plan,
    notifications_of, notifications_queued, record_attempt,
};
pub use observe::{BucketConsumption, LandedReading, consumption_for, findings_of, judge_readings};
pub use open::OpenAlerts;
pub use rules::{
    Channels, RuleChange, RuleDraft, RulePatch, Webhook, WebhookDraft, create_rule, delete_rule,
    get_rule, list_rules, update_rule,
};
pub use scheduled::{completeness_below, completeness_of_last_day, silent_subjects};

/// Which devices (or gateways) a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One device.
    Device(Uuid),
    /// One gateway and every device behind it.
    Gateway(Uuid),
    /// Every device of a kind.
    Kind(DeviceKind),
    /// Every device (or gateway) of the account.
    All,
}

impl Scope {
    /// Whether a device (behind `gateway_id`, of `kind`) is in this scope.
    pub fn covers_device(&self, device_id: Uuid, gateway_id: Uuid, kind: DeviceKind) -> bool {
        match *self {
            Scope::Device(id) => id == device_id,
            Scope::Gateway(id) => id == gateway_id,
            Scope::Kind(k) => k == kind,
            Scope::All => true,
        }
    }

    /// Whether a gateway is in this scope (gateway silence).
    pub fn covers_gateway(&self, gateway_id: Uuid) -> bool {
        match *self {
            Scope::Gateway(id) => id == gateway_id,
            Scope::All => true,
            Scope::Device(_) | Scope::Kind(_) => false,
        }
    }

    /// The stored scope kind.
    pub fn kind(&self) -> AlertScope {
        match self {
            Scope::Device(_) => AlertScope::Device,
            Scope::Gateway(_) => AlertScope::Gateway,
            Scope::Kind(_) => AlertScope::DeviceKind,
            Scope::All => AlertScope::All,
        }
    }
}

/// What a rule tests, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// A reading above `high`.
    Above {
        /// Upper limit.
        high: f64,
    },
    /// A reading below `low`.
    Below {
        /// Lower limit.
        low: f64,
    },
    /// A reading outside `[low, high]`.
    Outside {
        /// Lower limit.
        low: f64,
        /// Upper limit.
        high: f64,
    },
    /// Consumption in the current bucket of `period` (from rollups) above `limit`.
    ConsumptionAbove {
        /// Bucket watched (hour, day or month, in the account's time zone).
        period: RollupPeriod,
        /// Most consumption allowed in one bucket.
        limit: f64,
    },
    /// A gateway heard nothing from for `minutes`.
    GatewaySilent {
        /// Minutes of silence that raise the alert.
        minutes: i32,
    },
    /// A device without a reading for `minutes`.
    DeviceSilent {
        /// Minutes of silence that raise the alert.
        minutes: i32,
    },
    /// A day's completeness (received ÷ expected readings) below `percent`.
    CompletenessBelow {
        /// Percent a day must reach.
        percent: f64,
    },
}

impl Condition {
    /// The stored condition kind.
    pub fn kind(&self) -> AlertCondition {
        match self {
            Condition::Above { .. } => AlertCondition::Above,
            Condition::Below { .. } => AlertCondition::Below,
            Condition::Outside { .. } => AlertCondition::Outside,
            Condition::ConsumptionAbove { .. } => AlertCondition::ConsumptionAbove,
            Condition::GatewaySilent { .. } => AlertCondition::GatewaySilent,
            Condition::DeviceSilent { .. } => AlertCondition::DeviceSilent,
            Condition::CompletenessBelow { .. } => AlertCondition::CompletenessBelow,
        }
    }

    /// Whether readings landing decide it (the telemetry worker evaluates these; the
    /// others run as scheduled jobs).
    pub fn follows_readings(&self) -> bool {
        matches!(
            self,
            Condition::Above { .. }
                | Condition::Below { .. }
                | Condition::Outside { .. }
                | Condition::ConsumptionAbove { .. }
        )
    }
}

/// An enabled rule as evaluation sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Rule id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Name (the start of every alert message).
    pub name: String,
    /// What it watches.
    pub scope: Scope,
    /// What it tests.
    pub condition: Condition,
    /// Severity of its alerts.
    pub severity: Severity,
    /// After a resolution, no new alert for the same subject before this has passed.
    pub cooldown: Duration,
}

impl Rule {
    /// The rule a stored row describes; `None` for a row whose parameters do not fit its
    /// condition (never written by [`rules`], which validates everything).
    pub fn from_model(m: &alert_rule::Model) -> Option<Self> {
        let scope = match m.scope {
            AlertScope::Device => Scope::Device(m.device_id?),
            AlertScope::Gateway => Scope::Gateway(m.gateway_id?),
            AlertScope::DeviceKind => Scope::Kind(m.device_kind?),
            AlertScope::All => Scope::All,
        };
        let condition = match m.condition {
            AlertCondition::Above => Condition::Above {
                high: m.threshold_high?,
            },
            AlertCondition::Below => Condition::Below {
                low: m.threshold_low?,
            },
            AlertCondition::Outside => Condition::Outside {
                low: m.threshold_low?,
                high: m.threshold_high?,
            },
            AlertCondition::ConsumptionAbove => Condition::ConsumptionAbove {
                period: m.period?,
                limit: m.threshold_high?,
            },
            AlertCondition::GatewaySilent => Condition::GatewaySilent {
                minutes: m.silent_minutes?,
            },
            AlertCondition::DeviceSilent => Condition::DeviceSilent {
                minutes: m.silent_minutes?,
            },
            AlertCondition::CompletenessBelow => Condition::CompletenessBelow {
                percent: m.completeness_pct?,
            },
        };
        Some(Self {
            id: m.id,
            account_id: m.account_id,
            name: m.name.clone(),
            scope,
            condition,
            severity: m.severity,
            cooldown: Duration::seconds(i64::from(m.cooldown_s.max(0))),
        })
    }
}

//! Judging one observation against one rule: pure functions, no storage, no clock.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Condition, Rule};

/// What was observed about one subject.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Observation {
    /// A reading landed.
    Reading {
        /// Its value.
        value: f64,
        /// Consumption so far in the bucket of the rule's period holding the reading
        /// (from rollups); `None` when unknown (an INSTANT device, or not loaded).
        consumption: Option<f64>,
    },
    /// Minutes since the subject was last heard from.
    Silence {
        /// Whole minutes of silence.
        minutes: i64,
    },
    /// A day's readings received ÷ expected, in percent.
    Completeness {
        /// Percent (0–100).
        percent: f64,
    },
}

/// What a rule says about an observation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The condition holds: an alert should be open.
    Violates {
        /// The observed value (reading, consumption, minutes, percent).
        value: f64,
        /// What is wrong, for a person (the alert message after the rule's name).
        detail: String,
    },
    /// The condition does not hold: an open alert resolves.
    Clear {
        /// The observed value that shows it.
        value: Option<f64>,
    },
    /// This rule has nothing to say about this observation.
    NotApplicable,
}

/// Judges `observation` by `rule`.
pub fn verdict(rule: &Rule, observation: &Observation) -> Verdict {
    let violates = |value: f64, detail: String| Verdict::Violates { value, detail };
    match (rule.condition, *observation) {
        (Condition::Above { high }, Observation::Reading { value, .. }) => {
            if value > high {
                violates(value, format!("value {value} above {high}"))
            } else {
                Verdict::Clear { value: Some(value) }
            }
        }
        (Condition::Below { low }, Observation::Reading { value, .. }) => {
            if value < low {
                violates(value, format!("value {value} below {low}"))
            } else {
                Verdict::Clear { value: Some(value) }
            }
        }
        (Condition::Outside { low, high }, Observation::Reading { value, .. }) => {
            if value < low || value > high {
                violates(value, format!("value {value} outside [{low}, {high}]"))
            } else {
                Verdict::Clear { value: Some(value) }
            }
        }
        (
            Condition::ConsumptionAbove { period, limit },
            Observation::Reading {
                consumption: Some(consumption),
                ..
            },
        ) => {
            if consumption > limit {
                let period = period.as_str().to_lowercase();
                violates(
                    consumption,
                    format!("consumption {consumption} this {period} above {limit}"),
                )
            } else {
                Verdict::Clear {
                    value: Some(consumption),
                }
            }
        }
        (
            Condition::GatewaySilent { minutes: limit }
            | Condition::DeviceSilent { minutes: limit },
            Observation::Silence { minutes },
        ) => {
            if minutes >= i64::from(limit) {
                violates(minutes as f64, format!("silent for {minutes} minutes"))
            } else {
                Verdict::Clear {
                    value: Some(minutes as f64),
                }
            }
        }
        (
            Condition::CompletenessBelow { percent: limit },
            Observation::Completeness { percent },
        ) => {
            if percent < limit {
                violates(
                    percent,
                    format!("completeness {percent:.1} % below {limit} %"),
                )
            } else {
                Verdict::Clear {
                    value: Some(percent),
                }
            }
        }
        _ => Verdict::NotApplicable,
    }
}

/// What an alert is about: a device (with its gateway) or a gateway alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subject {
    /// The gateway (of the device, or the silent gateway itself).
    pub gateway_id: Uuid,
    /// The device, unless the subject is a gateway.
    pub device_id: Option<Uuid>,
}

impl Subject {
    /// The id one unresolved alert per rule is keyed by.
    pub fn id(&self) -> Uuid {
        self.device_id.unwrap_or(self.gateway_id)
    }
}

/// A verdict of one rule on one subject at one time: what [`super::apply_verdicts`] takes.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that judged.
    pub rule: Arc<Rule>,
    /// About whom.
    pub subject: Subject,
    /// Time of the observation (the reading's time, or the check's).
    pub at: DateTime<Utc>,
    /// The verdict.
    pub verdict: Verdict,
}

#[cfg(test)]
mod tests {
    use super::super::Scope;
    use super::*;
    use tds_entity::{RollupPeriod, Severity};

    fn rule(condition: Condition) -> Rule {
        Rule {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            name: "r".into(),
            scope: Scope::All,
            condition,
            severity: Severity::Warning,
            cooldown: chrono::Duration::zero(),
        }
    }

    fn reading(value: f64) -> Observation {
        Observation::Reading {
            value,
            consumption: None,
        }
    }

    #[test]
    fn thresholds_are_strict() {
        let above = rule(Condition::Above { high: 10.0 });
        assert!(
            matches!(verdict(&above, &reading(10.5)), Verdict::Violates { value, .. } if value == 10.5)
        );
        assert_eq!(
            verdict(&above, &reading(10.0)),
            Verdict::Clear { value: Some(10.0) }
        );
        let below = rule(Condition::Below { low: 0.0 });
        assert!(matches!(
            verdict(&below, &reading(-1.0)),
            Verdict::Violates { .. }
        ));
        assert!(matches!(
            verdict(&below, &reading(0.0)),
            Verdict::Clear { .. }
        ));
        let outside = rule(Condition::Outside {
            low: 2.0,
            high: 8.0,
        });
        for (v, bad) in [(1.9, true), (2.0, false), (8.0, false), (8.1, true)] {
            assert_eq!(
                matches!(verdict(&outside, &reading(v)), Verdict::Violates { .. }),
                bad,
                "{v}"
            );
        }
    }

    #[test]
    fn consumption_needs_the_bucket_total() {
        let r = rule(Condition::ConsumptionAbove {
            period: RollupPeriod::Day,
            limit: 100.0,
        });
        assert_eq!(verdict(&r, &reading(5000.0)), Verdict::NotApplicable);
        let obs = Observation::Reading {
            value: 5000.0,
            consumption: Some(120.0),
        };
        match verdict(&r, &obs) {
            Verdict::Violates { value, detail } => {
                assert_eq!(value, 120.0);
                assert!(detail.contains("this day"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn silence_and_completeness() {
        let r = rule(Condition::DeviceSilent { minutes: 15 });
        assert!(matches!(
            verdict(&r, &Observation::Silence { minutes: 15 }),
            Verdict::Violates { .. }
        ));
        assert!(matches!(
            verdict(&r, &Observation::Silence { minutes: 14 }),
            Verdict::Clear { .. }
        ));
        assert_eq!(verdict(&r, &reading(1.0)), Verdict::NotApplicable);
        let c = rule(Condition::CompletenessBelow { percent: 90.0 });
        assert!(matches!(
            verdict(&c, &Observation::Completeness { percent: 89.9 }),
            Verdict::Violates { .. }
        ));
        assert!(matches!(
            verdict(&c, &Observation::Completeness { percent: 90.0 }),
            Verdict::Clear { .. }
        ));
    }
}

//! Judging the readings of a committed batch: the rules come from the worker's
//! [`RuleIndex`]; the only query is one read of the rollups a consumption rule needs.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::{DeviceKind, RollupPeriod, rollup};
use uuid::Uuid;

use super::Condition;
use super::evaluate::{Finding, Observation, Subject, Verdict, verdict};
use super::index::RuleIndex;
use crate::error::DomainResult;
use crate::rollups::bucket_start;

/// A reading the telemetry worker just stored, with what rule lookup needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LandedReading {
    /// Owner.
    pub account_id: Uuid,
    /// Gateway it came through.
    pub gateway_id: Uuid,
    /// Device.
    pub device_id: Uuid,
    /// The device's kind.
    pub kind: DeviceKind,
    /// Measurement time.
    pub time: DateTime<Utc>,
    /// Value.
    pub value: f64,
}

/// The findings of every applicable rule on every reading of a committed batch, ready
/// for [`super::apply_verdicts`]. Consumption comes from the rollups as committed, so
/// call this after the batch's transaction.
pub async fn judge_readings(
    db: &impl ConnectionTrait,
    index: &RuleIndex,
    readings: &[LandedReading],
) -> DomainResult<Vec<Finding>> {
    if index.is_empty() || readings.is_empty() {
        return Ok(Vec::new());
    }
    // Which rollup buckets consumption rules need.
    let mut wanted: BTreeSet<(Uuid, RollupPeriod, DateTime<Utc>)> = BTreeSet::new();
    for r in readings {
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            if let Condition::ConsumptionAbove { period, .. } = rule.condition {
                let tz = index.timezone(r.account_id);
                wanted.insert((r.device_id, period, bucket_start(period, r.time, tz)));
            }
        }
    }
    let consumption = bucket_consumption(db, &wanted).await?;
    let mut findings = Vec::new();
    for r in readings {
        let subject = Subject {
            gateway_id: r.gateway_id,
            device_id: Some(r.device_id),
        };
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            let used = match rule.condition {
                Condition::ConsumptionAbove { period, .. } => {
                    let start = bucket_start(period, r.time, index.timezone(r.account_id));
                    consumption
                        .get(&(r.device_id, period, start))
                        .copied()
                        .flatten()
                }
                _ => None,
            };
            let observation = Observation::Reading {
                value: r.value,
                consumption: used,
            };
            let verdict = verdict(rule, &observation);
            if verdict != Verdict::NotApplicable {
                findings.push(Finding {
                    rule: rule.clone(),
                    subject,
                    at: r.time,
                    verdict,
                });
            }
        }
    }
    Ok(findings)
}

/// Consumption of the wanted rollup buckets, in one query.
async fn bucket_consumption(
    db: &impl ConnectionTrait,
    wanted: &BTreeSet<(Uuid, RollupPeriod, DateTime<Utc>)>,
) -> DomainResult<HashMap<(Uuid, RollupPeriod, DateTime<Utc>), Option<f64>>> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let devices: BTreeSet<Uuid> = wanted.iter().map(|w| w.0).collect();
    let periods: BTreeSet<RollupPeriod> = wanted.iter().map(|w| w.1).collect();
    let starts: BTreeSet<DateTime<Utc>> = wanted.iter().map(|w| w.2).collect();
    let rows = rollup::Entity::find()
        .filter(rollup::Column::DeviceId.is_in(devices))
        .filter(rollup::Column::Period.is_in(periods))
        .filter(rollup::Column::BucketStart.is_in(starts))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.device_id, r.period, r.bucket_start), r.consumption))
        .filter(|(key, _)| wanted.contains(key))
        .collect())
}

//! Judging the readings of a committed batch: the rules come from the worker's
//! [`RuleIndex`] and which alerts are unresolved from its [`OpenAlerts`]; the one query
//! is a read of the rollups a consumption rule needs. Readings within their limits cost
//! findings only where an alert may resolve.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::{DeviceKind, RollupPeriod, rollup};
use uuid::Uuid;

use super::evaluate::{Finding, Observation, Subject, Verdict, verdict};
use super::index::RuleIndex;
use super::open::OpenAlerts;
use super::{Condition, Rule};
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

/// The findings of every applicable rule on a committed batch that can change an alert
/// (every violation; a clear reading where an alert is unresolved or opens in this
/// batch), ready for [`super::apply_verdicts`]. Consumption comes from the rollups as
/// committed, so call this after the batch's transaction.
pub async fn judge_readings(
    db: &impl ConnectionTrait,
    index: &RuleIndex,
    open: &OpenAlerts,
    readings: &[LandedReading],
) -> DomainResult<Vec<Finding>> {
    let consumption = consumption_for(db, index, readings, None).await?;
    Ok(findings_of(index, open, readings, &consumption))
}

/// Consumption of the rollup buckets the batch's consumption rules look at: those in
/// `known` (the writer's upsert returned them), the rest in one query (none when every
/// bucket is known, or no rule looks at consumption).
pub async fn consumption_for(
    db: &impl ConnectionTrait,
    index: &RuleIndex,
    readings: &[LandedReading],
    known: Option<&BucketConsumption>,
) -> DomainResult<BucketConsumption> {
    let mut wanted: BTreeSet<(Uuid, RollupPeriod, DateTime<Utc>)> = BTreeSet::new();
    for r in readings {
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            if let Condition::ConsumptionAbove { period, .. } = rule.condition {
                let tz = index.timezone(r.account_id);
                wanted.insert((r.device_id, period, bucket_start(period, r.time, tz)));
            }
        }
    }
    let mut found = BucketConsumption::new();
    if let Some(known) = known {
        wanted.retain(|key| match known.get(key) {
            Some(total) => {
                found.insert(*key, *total);
                false
            }
            None => true,
        });
    }
    found.extend(bucket_consumption(db, &wanted).await?);
    Ok(found)
}

/// Consumption by (device, period, bucket start), as [`consumption_for`] read it.
pub type BucketConsumption = HashMap<(Uuid, RollupPeriod, DateTime<Utc>), Option<f64>>;

/// [`judge_readings`] without storage: the findings of `readings`, given what
/// [`consumption_for`] read.
pub fn findings_of(
    index: &RuleIndex,
    open: &OpenAlerts,
    readings: &[LandedReading],
    consumption: &BucketConsumption,
) -> Vec<Finding> {
    if index.is_empty() || readings.is_empty() {
        return Vec::new();
    }
    let judge = |r: &LandedReading, rule: &Rule| {
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
        verdict(
            rule,
            &Observation::Reading {
                value: r.value,
                consumption: used,
            },
        )
    };
    let subject_of = |r: &LandedReading| Subject {
        gateway_id: r.gateway_id,
        device_id: Some(r.device_id),
    };
    // Violations first. A reading within its limits matters only where an alert is
    // open, or opens in this batch: nearly every batch ends here with nothing to apply.
    // (An alert another writer opens meanwhile is resolved by the device's next reading.)
    let mut findings = Vec::new();
    let mut watch: HashSet<(Uuid, Uuid)> = HashSet::new();
    for r in readings {
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            if let verdict @ Verdict::Violates { .. } = judge(r, rule) {
                let subject = subject_of(r);
                watch.insert((rule.id, subject.id()));
                findings.push(Finding {
                    rule: rule.clone(),
                    subject,
                    at: r.time,
                    verdict,
                });
            }
        }
    }
    if watch.is_empty() && open.is_empty() {
        return findings;
    }
    for r in readings {
        let subject = subject_of(r);
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            let pair = (rule.id, subject.id());
            if !watch.contains(&pair) && !open.contains(pair) {
                continue;
            }
            if let verdict @ Verdict::Clear { .. } = judge(r, rule) {
                findings.push(Finding {
                    rule: rule.clone(),
                    subject,
                    at: r.time,
                    verdict,
                });
            }
        }
    }
    findings
}

/// Consumption of the wanted rollup buckets, in one query.
async fn bucket_consumption(
    db: &impl ConnectionTrait,
    wanted: &BTreeSet<(Uuid, RollupPeriod, DateTime<Utc>)>,
) -> DomainResult<BucketConsumption> {
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

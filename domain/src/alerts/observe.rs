//! Judging the readings of a committed batch: the rules come from the worker's
//! [`RuleIndex`]; the queries are one read of the rollups a consumption rule needs and
//! one of the rules' unresolved alerts, so readings within their limits cost findings
//! only where an alert may resolve.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use tds_entity::{AlertState, DeviceKind, RollupPeriod, alert, rollup};
use uuid::Uuid;

use super::evaluate::{Finding, Observation, Subject, Verdict, verdict};
use super::index::RuleIndex;
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
/// batch), ready for [`super::apply_verdicts`]. Consumption comes from the rollups as committed, so
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
    let mut rules_seen: BTreeSet<Uuid> = BTreeSet::new();
    let mut watch: HashSet<(Uuid, Uuid)> = HashSet::new();
    for r in readings {
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            rules_seen.insert(rule.id);
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
    watch.extend(unresolved_subjects(db, &rules_seen).await?);
    if watch.is_empty() {
        return Ok(findings);
    }
    for r in readings {
        let subject = subject_of(r);
        for rule in index.rules_for(r.account_id, r.gateway_id, r.device_id, r.kind) {
            if !watch.contains(&(rule.id, subject.id())) {
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
    Ok(findings)
}

/// The (rule, subject) pairs of `rules` with an unresolved alert (read through the
/// partial unique index of unresolved alerts).
async fn unresolved_subjects(
    db: &impl ConnectionTrait,
    rules: &BTreeSet<Uuid>,
) -> DomainResult<Vec<(Uuid, Uuid)>> {
    let mut pairs = Vec::new();
    let ids: Vec<Uuid> = rules.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<(Uuid, Uuid)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::RuleId)
            .column(alert::Column::SubjectId)
            .filter(alert::Column::RuleId.is_in(chunk.iter().copied()))
            .filter(alert::Column::State.ne(AlertState::Resolved))
            .into_tuple()
            .all(db)
            .await?;
        pairs.extend(rows);
    }
    Ok(pairs)
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

//! The conditions no reading decides, checked by scheduled jobs: a gateway or device
//! silent for N minutes, a day's completeness below N %. Each returns findings for every
//! subject of every enabled rule (violating or clear), for [`super::apply_verdicts`].

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::{GatewayStatus, RollupPeriod, account, device, gateway, rollup};
use uuid::Uuid;

use super::evaluate::{Finding, Observation, Subject, Verdict, verdict};
use super::rules::enabled_rules;
use super::{Condition, Rule};
use crate::error::DomainResult;
use crate::rollups::bucket_start;

/// The gateways (in service only) and devices of some accounts.
struct Fleet {
    gateways: Vec<gateway::Model>,
    devices: Vec<device::Model>,
}

impl Fleet {
    async fn of(db: &impl ConnectionTrait, accounts: &BTreeSet<Uuid>) -> DomainResult<Self> {
        let gateways = gateway::Entity::find()
            .filter(gateway::Column::AccountId.is_in(accounts.iter().copied()))
            .filter(gateway::Column::Status.eq(GatewayStatus::Active))
            .all(db)
            .await?;
        let in_service: BTreeSet<Uuid> = gateways.iter().map(|g| g.id).collect();
        let devices = device::Entity::find()
            .filter(device::Column::AccountId.is_in(accounts.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .filter(|d| in_service.contains(&d.gateway_id))
            .collect();
        Ok(Self { gateways, devices })
    }

    fn devices_of<'a>(&'a self, rule: &'a Rule) -> impl Iterator<Item = &'a device::Model> + 'a {
        self.devices.iter().filter(move |d| {
            d.account_id == rule.account_id && rule.scope.covers_device(d.id, d.gateway_id, d.kind)
        })
    }

    fn gateway(&self, id: Uuid) -> Option<&gateway::Model> {
        self.gateways.iter().find(|g| g.id == id)
    }
}

fn finding(
    rule: &Arc<Rule>,
    subject: Subject,
    at: DateTime<Utc>,
    observation: Observation,
) -> Option<Finding> {
    let verdict = verdict(rule, &observation);
    (verdict != Verdict::NotApplicable).then(|| Finding {
        rule: rule.clone(),
        subject,
        at,
        verdict,
    })
}

/// Minutes from `last` (or, never heard from, from `since`) to `now`.
fn silent_minutes(last: Option<DateTime<Utc>>, since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - last.unwrap_or(since)).num_minutes().max(0)
}

/// Silence findings at `now`: for each enabled GATEWAY_SILENT rule each gateway in
/// service it covers, for each DEVICE_SILENT rule each device (of a gateway in service)
/// it covers. A gateway or device never heard from counts from its creation.
pub async fn silent_subjects(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Finding>> {
    let rules = enabled_rules(db, None, |c| {
        matches!(
            c,
            Condition::GatewaySilent { .. } | Condition::DeviceSilent { .. }
        )
    })
    .await?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let accounts: BTreeSet<Uuid> = rules.iter().map(|r| r.account_id).collect();
    let fleet = Fleet::of(db, &accounts).await?;
    let mut findings = Vec::new();
    for rule in rules.into_iter().map(Arc::new) {
        match rule.condition {
            Condition::GatewaySilent { .. } => {
                for g in fleet
                    .gateways
                    .iter()
                    .filter(|g| g.account_id == rule.account_id && rule.scope.covers_gateway(g.id))
                {
                    let minutes = silent_minutes(g.last_seen_at, g.created_at, now);
                    let subject = Subject {
                        gateway_id: g.id,
                        device_id: None,
                    };
                    findings.extend(finding(
                        &rule,
                        subject,
                        now,
                        Observation::Silence { minutes },
                    ));
                }
            }
            _ => {
                for d in fleet.devices_of(&rule) {
                    let minutes = silent_minutes(d.last_reading_at, d.created_at, now);
                    let subject = Subject {
                        gateway_id: d.gateway_id,
                        device_id: Some(d.id),
                    };
                    findings.extend(finding(
                        &rule,
                        subject,
                        now,
                        Observation::Silence { minutes },
                    ));
                }
            }
        }
    }
    Ok(findings)
}

/// Start (UTC) of local day `day` in `tz`.
fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default();
    let instant = tz
        .from_local_datetime(&noon)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&noon), |t| t.with_timezone(&Utc));
    bucket_start(RollupPeriod::Day, instant, tz)
}

/// A day's completeness of a device: readings received ÷ expected (one per reporting
/// interval of its gateway, from the day's start or the device's creation, whichever is
/// later, to the day's end or `now`, whichever is earlier), in percent, at most 100.
/// `None` when not one reading was expected yet.
pub fn completeness_percent(
    received: i64,
    interval_s: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<f64> {
    let expected = (to - from).num_seconds() / i64::from(interval_s.max(1));
    (expected >= 1).then(|| (received as f64 * 100.0 / expected as f64).min(100.0))
}

/// Completeness findings for local day `day` (in each account's time zone) at `now`:
/// for each enabled COMPLETENESS_BELOW rule each device (of a gateway in service) it
/// covers. A day not started yet gives nothing; the current day counts what was expected
/// until `now`.
pub async fn completeness_below(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Finding>> {
    completeness_findings(db, now, |_| day).await
}

/// Completeness findings for each account's last finished day (yesterday in its own
/// time zone) at `now`: what the scheduled scan judges, so a day is judged whole and an
/// alert it raised stays open until a later day is complete again.
pub async fn completeness_of_last_day(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Finding>> {
    completeness_findings(db, now, |tz| {
        now.with_timezone(&tz).date_naive() - Duration::days(1)
    })
    .await
}

async fn completeness_findings(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    day_of: impl Fn(Tz) -> NaiveDate,
) -> DomainResult<Vec<Finding>> {
    let rules = enabled_rules(db, None, |c| {
        matches!(c, Condition::CompletenessBelow { .. })
    })
    .await?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let accounts: BTreeSet<Uuid> = rules.iter().map(|r| r.account_id).collect();
    let zones: HashMap<Uuid, Tz> = account::Entity::find()
        .filter(account::Column::Id.is_in(accounts.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                a.timezone.parse().unwrap_or(chrono_tz::America::Sao_Paulo),
            )
        })
        .collect();
    let fleet = Fleet::of(db, &accounts).await?;
    let starts: BTreeSet<DateTime<Utc>> = zones
        .values()
        .map(|tz| day_start(day_of(*tz), *tz))
        .collect();
    let counts: HashMap<(Uuid, DateTime<Utc>), i64> = rollup::Entity::find()
        .filter(rollup::Column::AccountId.is_in(accounts.iter().copied()))
        .filter(rollup::Column::Period.eq(RollupPeriod::Day))
        .filter(rollup::Column::BucketStart.is_in(starts))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.device_id, r.bucket_start), r.count))
        .collect();
    let mut findings = Vec::new();
    for rule in rules.into_iter().map(Arc::new) {
        let tz = zones
            .get(&rule.account_id)
            .copied()
            .unwrap_or(chrono_tz::America::Sao_Paulo);
        let day = day_of(tz);
        let start = day_start(day, tz);
        let end = day_start(day + Duration::days(1), tz).min(now);
        for d in fleet.devices_of(&rule) {
            let Some(g) = fleet.gateway(d.gateway_id) else {
                continue;
            };
            let received = counts.get(&(d.id, start)).copied().unwrap_or(0);
            let from = start.max(d.created_at);
            let Some(percent) = completeness_percent(received, g.reporting_interval_s, from, end)
            else {
                continue;
            };
            let subject = Subject {
                gateway_id: d.gateway_id,
                device_id: Some(d.id),
            };
            findings.extend(finding(
                &rule,
                subject,
                now,
                Observation::Completeness { percent },
            ));
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_counts_what_was_expected() {
        let from: DateTime<Utc> = "2026-12-01T03:00:00Z".parse().unwrap_or_default();
        let day = from + Duration::days(1);
        assert_eq!(completeness_percent(288, 300, from, day), Some(100.0));
        assert_eq!(completeness_percent(144, 300, from, day), Some(50.0));
        assert_eq!(
            completeness_percent(500, 300, from, day),
            Some(100.0),
            "capped"
        );
        assert_eq!(
            completeness_percent(0, 300, from, from + Duration::seconds(299)),
            None
        );
        let hours = from + Duration::hours(2);
        assert_eq!(completeness_percent(12, 300, from, hours), Some(50.0));
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let tz: Tz = "America/Sao_Paulo".parse().unwrap_or(chrono_tz::UTC);
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        assert_eq!(
            day_start(day, tz),
            "2026-12-01T03:00:00Z"
                .parse::<DateTime<Utc>>()
                .unwrap_or_default()
        );
    }
}

//! Completeness: readings received ÷ readings the gateway's reporting interval promises.
//! Received counts come from rollups (never a scan of raw readings).
//!
//! Expected readings are counted from when the device could report: the later of the
//! range's start and the device's registration, or earlier if readings prove it reported
//! before it was registered (an import); and up to the earlier of the range's end and
//! now, so today's report does not count the hours still to come as missing.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use tds_entity::{RollupPeriod, device, gateway, rollup};
use tds_reports::Completeness;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::readings::MAX_CONSUMPTION_DEVICES;
use crate::rollups::bucket_start;
use crate::tenant::Tenant;

/// Readings a device reporting every `interval_s` seconds sends in `[start, end)`.
pub fn expected_between(start: DateTime<Utc>, end: DateTime<Utc>, interval_s: i32) -> i64 {
    if end <= start || interval_s <= 0 {
        return 0;
    }
    (end - start).num_seconds() / i64::from(interval_s)
}

/// When a device could first report within a range: its registration, or its first
/// reading when that is earlier.
pub fn reporting_since(
    registered: DateTime<Utc>,
    first_reading: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    first_reading.map_or(registered, |first| first.min(registered))
}

/// Completeness of one device over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceCompleteness {
    /// The device.
    pub device_id: Uuid,
    /// Its gateway's reporting interval, seconds.
    pub interval_s: i32,
    /// Received and expected readings.
    pub counts: Completeness,
}

/// Completeness of each of `device_ids` over `[from, to)` (counted by the hour: hourly
/// rollups starting in the range), in the order asked. Another account's device is
/// not found.
pub async fn completeness(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    device_ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<DeviceCompleteness>> {
    if to - from > chrono::Duration::days(super::MAX_DAYS) {
        return Err(DomainError::invalid(
            "to",
            format!("at most {} days", super::MAX_DAYS),
        ));
    }
    if from >= to {
        return Err(DomainError::invalid("to", "must be after 'from'"));
    }
    if device_ids.is_empty() || device_ids.len() > MAX_CONSUMPTION_DEVICES {
        return Err(DomainError::invalid(
            "deviceIds",
            format!("between 1 and {MAX_CONSUMPTION_DEVICES} devices"),
        ));
    }
    let devices = device::Entity::find()
        .filter(device::Column::AccountId.eq(tenant.account_id))
        .filter(device::Column::Id.is_in(device_ids.iter().copied()))
        .all(db)
        .await?;
    let mut unique = device_ids.to_vec();
    unique.sort();
    unique.dedup();
    if devices.len() != unique.len() {
        return Err(DomainError::NotFound("device"));
    }
    let intervals: std::collections::HashMap<Uuid, i32> = gateway::Entity::find()
        .filter(gateway::Column::AccountId.eq(tenant.account_id))
        .filter(gateway::Column::Id.is_in(devices.iter().map(|d| d.gateway_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.reporting_interval_s))
        .collect();
    // The database adds the hours up: one row per device, whatever the range.
    let hour_from = bucket_start(RollupPeriod::Hour, from, super::tenant_tz(tenant));
    let sums: Vec<(Uuid, Option<i64>, Option<DateTime<Utc>>)> = rollup::Entity::find()
        .select_only()
        .column(rollup::Column::DeviceId)
        .expr_as(Expr::cust("CAST(SUM(count) AS BIGINT)"), "received")
        .expr_as(Expr::cust("MIN(first_time)"), "first_time")
        .filter(rollup::Column::AccountId.eq(tenant.account_id))
        .filter(rollup::Column::DeviceId.is_in(unique.iter().copied()))
        .filter(rollup::Column::Period.eq(RollupPeriod::Hour))
        .filter(rollup::Column::BucketStart.gte(hour_from))
        .filter(rollup::Column::BucketStart.lt(to))
        .group_by(rollup::Column::DeviceId)
        .into_tuple()
        .all(db)
        .await?;
    let sums: std::collections::HashMap<Uuid, (i64, Option<DateTime<Utc>>)> = sums
        .into_iter()
        .map(|(id, received, first)| (id, (received.unwrap_or(0), first)))
        .collect();
    let by_id: std::collections::HashMap<Uuid, &device::Model> =
        devices.iter().map(|d| (d.id, d)).collect();
    let mut out = Vec::with_capacity(device_ids.len());
    for id in device_ids {
        let Some(device) = by_id.get(id) else {
            continue;
        };
        let interval_s = intervals.get(&device.gateway_id).copied().unwrap_or(300);
        let (received, first) = sums.get(id).copied().unwrap_or((0, None));
        let start = from.max(reporting_since(device.created_at, first));
        out.push(DeviceCompleteness {
            device_id: *id,
            interval_s,
            counts: Completeness {
                received,
                expected: expected_between(start, to.min(now), interval_s),
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_of_five_minute_readings_expects_288() {
        assert_eq!(
            expected_between(at("2026-11-01T03:00:00Z"), at("2026-11-02T03:00:00Z"), 300),
            288
        );
        assert_eq!(
            expected_between(at("2026-11-02T03:00:00Z"), at("2026-11-01T03:00:00Z"), 300),
            0
        );
    }

    #[test]
    fn a_device_reports_from_its_registration_unless_readings_came_earlier() {
        let registered = at("2026-11-10T00:00:00Z");
        assert_eq!(reporting_since(registered, None), registered);
        assert_eq!(
            reporting_since(registered, Some(at("2026-11-01T00:00:00Z"))),
            at("2026-11-01T00:00:00Z")
        );
        assert_eq!(
            reporting_since(registered, Some(at("2026-11-20T00:00:00Z"))),
            registered
        );
    }
}

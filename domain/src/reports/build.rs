//! Builds a report's data from daily rollups: per device consumption (or min / avg /
//! max), a daily series, completeness per day, totals per kind and a comparison.
//!
//! Consumption comes from the rollups' `consumption`, which already follows SPEC §2 (the
//! increase from the last reading before a bucket, resets counted from the new value),
//! so the days of the period add up to the period: the report sums days and never
//! subtracts raw values.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use tds_entity::{DeviceKind, Measurement, RollupPeriod, account, device, gateway, rollup};
use tds_reports::{
    AccountInfo, ComparisonRow, Completeness, DailyValue, DeviceReport, Figures, KindTotal, Locale,
    MeterKind, ReportData, ReportKind,
};

use super::completeness::{expected_between, reporting_since};
use super::period::{PeriodSpec, day_start};
use super::select::{Selection, select_devices};
use crate::error::{DomainError, DomainResult};
use crate::tenant::Tenant;

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// Consumption or device comparison.
    pub kind: tds_entity::ReportKind,
    /// Which days.
    pub period: PeriodSpec,
    /// Which devices.
    pub selection: Selection,
}

/// The kind of meter of a device kind.
pub fn meter_kind(kind: DeviceKind) -> MeterKind {
    match kind {
        DeviceKind::Water => MeterKind::Water,
        DeviceKind::Energy => MeterKind::Energy,
        DeviceKind::Gas => MeterKind::Gas,
        DeviceKind::Temperature => MeterKind::Temperature,
    }
}

/// The factor turning a value in `unit` into the kind's total unit (m³ or kWh), when
/// there is one: litres and Wh convert, an unknown unit does not (and is left out of
/// the total rather than added wrongly).
pub fn to_total_unit(kind: MeterKind, unit: &str) -> Option<f64> {
    match (kind, unit.trim()) {
        (MeterKind::Water | MeterKind::Gas, "m³" | "m3") => Some(1.0),
        (MeterKind::Water | MeterKind::Gas, "L" | "l") => Some(0.001),
        (MeterKind::Energy, "kWh") => Some(1.0),
        (MeterKind::Energy, "Wh") => Some(0.001),
        (MeterKind::Energy, "MWh") => Some(1000.0),
        _ => None,
    }
}

/// The data of a report for the caller's account, read from daily rollups. Another
/// account's device or gateway is not found. `now` bounds what counts as expected.
pub async fn build_report(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    request: &ReportRequest,
    now: DateTime<Utc>,
) -> DomainResult<ReportData> {
    let tz = super::tenant_tz(tenant);
    let period = request.period.resolve(tz)?;
    let account = account::Entity::find_by_id(tenant.account_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let selected = select_devices(db, tenant, &request.selection).await?;
    let rows = rollup::Entity::find()
        .filter(rollup::Column::AccountId.eq(tenant.account_id))
        .filter(rollup::Column::DeviceId.is_in(selected.iter().map(|(d, _)| d.id)))
        .filter(rollup::Column::Period.eq(RollupPeriod::Day))
        .filter(rollup::Column::BucketStart.gte(period.from))
        .filter(rollup::Column::BucketStart.lt(period.to))
        .order_by_asc(rollup::Column::BucketStart)
        .all(db)
        .await?;
    let mut by_device: HashMap<uuid::Uuid, Vec<rollup::Model>> = HashMap::new();
    for r in rows {
        by_device.entry(r.device_id).or_default().push(r);
    }
    let days = period.days();
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = days
        .iter()
        .map(|d| (day_start(*d, tz), day_start(*d + Duration::days(1), tz)))
        .collect();
    let devices: Vec<DeviceReport> = selected
        .iter()
        .map(|(d, g)| {
            let rollups = by_device.remove(&d.id).unwrap_or_default();
            device_report(d, g, &rollups, &days, &bounds, tz, now)
        })
        .collect();
    let totals = totals(&devices, days.len());
    let comparison = comparison(&devices, &totals, days.len());
    Ok(ReportData {
        kind: match request.kind {
            tds_entity::ReportKind::Consumption => ReportKind::Consumption,
            tds_entity::ReportKind::DeviceComparison => ReportKind::DeviceComparison,
        },
        account: AccountInfo {
            name: account.name,
            tax_id: account.tax_id,
        },
        locale: Locale::from_tag(&account.locale),
        timezone: tz,
        period,
        generated_at: now,
        devices,
        totals,
        comparison,
    })
}

fn day_figures(cumulative: bool, r: Option<&rollup::Model>) -> Figures {
    match (cumulative, r) {
        (true, r) => Figures::Cumulative {
            consumption: r.and_then(|r| r.consumption).unwrap_or(0.0),
        },
        (false, Some(r)) if r.count > 0 => Figures::Instant {
            min: Some(r.min),
            avg: Some(r.sum / r.count as f64),
            max: Some(r.max),
        },
        (false, _) => Figures::Instant {
            min: None,
            avg: None,
            max: None,
        },
    }
}

fn device_report(
    d: &device::Model,
    g: &gateway::Model,
    rollups: &[rollup::Model],
    days: &[NaiveDate],
    bounds: &[(DateTime<Utc>, DateTime<Utc>)],
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> DeviceReport {
    let cumulative = d.measurement == Measurement::Cumulative;
    let by_day: HashMap<NaiveDate, &rollup::Model> = rollups
        .iter()
        .map(|r| (r.bucket_start.with_timezone(&tz).date_naive(), r))
        .collect();
    let since = reporting_since(d.created_at, rollups.iter().map(|r| r.first_time).min());
    let daily: Vec<DailyValue> = days
        .iter()
        .zip(bounds)
        .map(|(day, (start, end))| {
            let r = by_day.get(day).copied();
            DailyValue {
                day: *day,
                figures: day_figures(cumulative, r),
                completeness: Completeness {
                    received: r.map_or(0, |r| r.count),
                    expected: expected_between(
                        (*start).max(since),
                        (*end).min(now),
                        g.reporting_interval_s,
                    ),
                },
            }
        })
        .collect();
    let mut completeness = Completeness::default();
    for v in &daily {
        completeness.add(v.completeness);
    }
    let figures = if cumulative {
        Figures::Cumulative {
            consumption: daily.iter().filter_map(|v| v.figures.consumption()).sum(),
        }
    } else {
        let count: i64 = rollups.iter().map(|r| r.count).sum();
        let sum: f64 = rollups.iter().map(|r| r.sum).sum();
        Figures::Instant {
            min: rollups.iter().map(|r| r.min).reduce(f64::min),
            avg: (count > 0).then(|| sum / count as f64),
            max: rollups.iter().map(|r| r.max).reduce(f64::max),
        }
    };
    DeviceReport {
        id: d.id,
        gateway_code: g.code.clone(),
        gateway_name: g.name.clone(),
        code: d.code.clone(),
        name: d.name.clone(),
        kind: meter_kind(d.kind),
        unit: d.unit.clone(),
        figures,
        daily,
        completeness,
    }
}

/// Water, energy and gas totals in m³ / kWh; kinds without devices are left out.
fn totals(devices: &[DeviceReport], days: usize) -> Vec<KindTotal> {
    let mut out = Vec::new();
    for kind in [MeterKind::Water, MeterKind::Energy, MeterKind::Gas] {
        let Some(unit) = kind.total_unit() else {
            continue;
        };
        let mut total = KindTotal {
            kind,
            unit,
            consumption: 0.0,
            daily: vec![0.0; days],
            devices: 0,
            excluded: Vec::new(),
        };
        let mut any = false;
        // Only registers add up; an INSTANT meter of this kind (a flow rate) has no
        // consumption to add and is not "left out" either.
        for d in devices.iter().filter(|d| d.kind == kind) {
            let Some(c) = d.figures.consumption() else {
                continue;
            };
            any = true;
            let Some(factor) = to_total_unit(kind, &d.unit) else {
                total
                    .excluded
                    .push(format!("{}/{}", d.gateway_code, d.code));
                continue;
            };
            total.devices += 1;
            total.consumption += c * factor;
            for (slot, v) in total.daily.iter_mut().zip(&d.daily) {
                *slot += v.figures.consumption().unwrap_or(0.0) * factor;
            }
        }
        if any {
            out.push(total);
        }
    }
    out
}

/// Cumulative devices ranked within their kind, largest consumer first.
fn comparison(devices: &[DeviceReport], totals: &[KindTotal], days: usize) -> Vec<ComparisonRow> {
    let mut out = Vec::new();
    for total in totals {
        let mut rows: Vec<ComparisonRow> = devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == total.kind)
            .filter_map(|(i, d)| {
                let c = d.figures.consumption()? * to_total_unit(d.kind, &d.unit)?;
                Some(ComparisonRow {
                    device: i,
                    consumption: c,
                    share: (total.consumption > 0.0).then(|| c / total.consumption),
                    daily_average: c / days.max(1) as f64,
                    rank: 0,
                })
            })
            .collect();
        rows.sort_by(|a, b| b.consumption.total_cmp(&a.consumption));
        for (rank, row) in rows.iter_mut().enumerate() {
            row.rank = rank + 1;
        }
        out.extend(rows);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(code: &str, kind: MeterKind, unit: &str, consumption: f64) -> DeviceReport {
        DeviceReport {
            id: uuid::Uuid::new_v4(),
            gateway_code: "GW1".into(),
            gateway_name: String::new(),
            code: code.into(),
            name: String::new(),
            kind,
            unit: unit.into(),
            figures: Figures::Cumulative { consumption },
            daily: vec![DailyValue {
                day: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                figures: Figures::Cumulative { consumption },
                completeness: Completeness::default(),
            }],
            completeness: Completeness::default(),
        }
    }

    #[test]
    fn totals_convert_litres_and_watt_hours_and_name_what_they_cannot_add() {
        let devices = vec![
            meter("A1", MeterKind::Water, "L", 720.0),
            meter("A2", MeterKind::Water, "m³", 1.5),
            meter("A3", MeterKind::Water, "gal", 10.0),
            meter("E1", MeterKind::Energy, "Wh", 5000.0),
            meter("E2", MeterKind::Energy, "kWh", 15.0),
        ];
        let totals = totals(&devices, 1);
        assert_eq!(totals.len(), 2, "no gas meters, no gas total");
        assert!((totals[0].consumption - 2.22).abs() < 1e-9);
        assert_eq!(totals[0].excluded, ["GW1/A3"]);
        assert_eq!(totals[0].devices, 2);
        assert_eq!((totals[1].consumption, totals[1].unit), (20.0, "kWh"));
        let ranking = comparison(&devices, &totals, 1);
        let energy: Vec<(usize, usize)> = ranking
            .iter()
            .filter(|r| devices[r.device].kind == MeterKind::Energy)
            .map(|r| (r.device, r.rank))
            .collect();
        assert_eq!(energy, [(4, 1), (3, 2)], "15 kWh before 5 kWh");
        assert!((ranking[0].share.unwrap() - 1.5 / 2.22).abs() < 1e-12);
    }
}

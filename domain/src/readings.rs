//! Reading the time series back: raw readings, latest values, consumption from rollups,
//! the dashboard summary and dead letters. Dashboards never scan raw readings.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tds_entity::{Measurement, RollupPeriod, dead_letter, device, gateway, reading, rollup};
use uuid::Uuid;

use crate::devices::get_device;
use crate::error::{DomainError, DomainResult};
use crate::gateways::get_gateway;
use crate::page::{Page, PageRequest};
use crate::rollups::bucket_start;
use crate::telemetry::without_nul;
use crate::tenant::Tenant;

/// Readings returned when the caller sets no limit.
pub const DEFAULT_READINGS: u64 = 1_000;
/// Most readings one call returns.
pub const MAX_READINGS: u64 = 10_000;
/// Most devices one consumption query covers.
pub const MAX_CONSUMPTION_DEVICES: usize = 1_000;
/// Most rollup rows one consumption query may read (devices × buckets of the rollup it
/// reads): a year of days for the most devices, or any range at a coarser granularity.
pub const MAX_CONSUMPTION_ROWS: i64 = 400_000;

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> DomainResult<()> {
    if from >= to {
        return Err(DomainError::invalid("to", "must be after 'from'"));
    }
    Ok(())
}

/// Readings of one device in `[from, to)`, oldest first.
pub async fn readings(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    device_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: Option<i32>,
) -> DomainResult<Vec<reading::Model>> {
    let device = get_device(db, tenant, device_id).await?;
    check_range(from, to)?;
    let limit = match limit {
        None => DEFAULT_READINGS,
        Some(n) if n >= 1 && n as u64 <= MAX_READINGS => n as u64,
        Some(_) => {
            return Err(DomainError::invalid(
                "limit",
                format!("between 1 and {MAX_READINGS}"),
            ));
        }
    };
    Ok(reading::Entity::find()
        .filter(reading::Column::AccountId.eq(tenant.account_id))
        .filter(reading::Column::DeviceId.eq(device.id))
        .filter(reading::Column::Time.gte(from))
        .filter(reading::Column::Time.lt(to))
        .order_by_asc(reading::Column::Time)
        .limit(limit)
        .all(db)
        .await?)
}

/// Devices with their latest reading (kept on the device row), optionally of one gateway.
pub async fn latest_readings(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    gateway_id: Option<Uuid>,
) -> DomainResult<Vec<device::Model>> {
    let mut query = device::Entity::find()
        .filter(device::Column::AccountId.eq(tenant.account_id))
        .filter(device::Column::LastReadingAt.is_not_null());
    if let Some(gateway_id) = gateway_id {
        get_gateway(db, tenant, gateway_id).await?;
        query = query.filter(device::Column::GatewayId.eq(gateway_id));
    }
    Ok(query
        .order_by_asc(device::Column::GatewayId)
        .order_by_asc(device::Column::Code)
        .all(db)
        .await?)
}

/// Bucket width of a consumption query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Hours.
    Hour,
    /// Days in the account's time zone.
    Day,
    /// Weeks (Monday to Sunday) in the account's time zone.
    Week,
    /// Calendar months in the account's time zone.
    Month,
}

/// One bucket of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumptionPoint {
    /// Bucket start (UTC instant of the local boundary).
    pub bucket_start: DateTime<Utc>,
    /// Register increase (CUMULATIVE devices).
    pub consumption: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean value.
    pub avg: f64,
    /// Readings received.
    pub count: i64,
}

/// The buckets of one device.
#[derive(Debug, Clone)]
pub struct ConsumptionSeries {
    /// The device.
    pub device: device::Model,
    /// Its buckets with data, oldest first.
    pub points: Vec<ConsumptionPoint>,
}

/// Consumption, min, max, sum and count of a bucket being assembled.
type Summary = (Option<f64>, f64, f64, f64, i64);

/// Consumption (or min/avg/max) per device and bucket in `[from, to)`, from rollups.
pub async fn consumption(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    device_ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    granularity: Granularity,
) -> DomainResult<Vec<ConsumptionSeries>> {
    check_range(from, to)?;
    if device_ids.is_empty() || device_ids.len() > MAX_CONSUMPTION_DEVICES {
        return Err(DomainError::invalid(
            "deviceIds",
            format!("between 1 and {MAX_CONSUMPTION_DEVICES} devices"),
        ));
    }
    let hours = (to - from).num_hours().saturating_add(1);
    let buckets = match granularity {
        Granularity::Hour => hours,
        Granularity::Day | Granularity::Week => hours / 24 + 2,
        Granularity::Month => hours / (24 * 28) + 2,
    };
    if buckets.saturating_mul(device_ids.len() as i64) > MAX_CONSUMPTION_ROWS {
        return Err(DomainError::invalid(
            "to",
            format!(
                "at most {MAX_CONSUMPTION_ROWS} device buckets per query: shorten the range or use a coarser granularity"
            ),
        ));
    }
    let devices = device::Entity::find()
        .filter(device::Column::AccountId.eq(tenant.account_id))
        .filter(device::Column::Id.is_in(device_ids.iter().copied()))
        .all(db)
        .await?;
    if devices.len() != {
        let mut d = device_ids.to_vec();
        d.sort();
        d.dedup();
        d.len()
    } {
        return Err(DomainError::NotFound("device"));
    }
    let tz: Tz = tenant
        .timezone
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo);
    let period = match granularity {
        Granularity::Hour => RollupPeriod::Hour,
        Granularity::Day | Granularity::Week => RollupPeriod::Day,
        Granularity::Month => RollupPeriod::Month,
    };
    let rows = rollup::Entity::find()
        .filter(rollup::Column::AccountId.eq(tenant.account_id))
        .filter(rollup::Column::DeviceId.is_in(devices.iter().map(|d| d.id)))
        .filter(rollup::Column::Period.eq(period))
        .filter(rollup::Column::BucketStart.gte(from))
        .filter(rollup::Column::BucketStart.lt(to))
        .order_by_asc(rollup::Column::BucketStart)
        .all(db)
        .await?;
    let mut by_device: BTreeMap<Uuid, BTreeMap<DateTime<Utc>, Summary>> = BTreeMap::new();
    for r in rows {
        let key = if granularity == Granularity::Week {
            week_start(r.bucket_start, tz)
        } else {
            r.bucket_start
        };
        let e = by_device
            .entry(r.device_id)
            .or_default()
            .entry(key)
            .or_insert((None, f64::INFINITY, f64::NEG_INFINITY, 0.0, 0));
        if let Some(c) = r.consumption {
            *e.0.get_or_insert(0.0) += c;
        }
        e.1 = e.1.min(r.min);
        e.2 = e.2.max(r.max);
        e.3 += r.sum;
        e.4 += r.count;
    }
    Ok(devices
        .into_iter()
        .map(|device| {
            let cumulative = device.measurement == Measurement::Cumulative;
            let points = by_device
                .remove(&device.id)
                .unwrap_or_default()
                .into_iter()
                .map(
                    |(bucket_start, (consumption, min, max, sum, count))| ConsumptionPoint {
                        bucket_start,
                        consumption: if cumulative {
                            Some(consumption.unwrap_or(0.0))
                        } else {
                            None
                        },
                        min,
                        max,
                        avg: if count > 0 { sum / count as f64 } else { 0.0 },
                        count,
                    },
                )
                .collect();
            ConsumptionSeries { device, points }
        })
        .collect())
}

/// Start of the local week (Monday) holding a day bucket.
fn week_start(day_start: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = day_start.with_timezone(&tz);
    let back = i64::from(local.weekday().num_days_from_monday());
    // Noon avoids DST edges while stepping back whole days.
    bucket_start(
        RollupPeriod::Day,
        day_start + Duration::hours(12) - Duration::days(back),
        tz,
    )
}

/// What the dashboard's cards show.
#[derive(Debug, Clone)]
pub struct DashboardSummary {
    /// Gateways of the account.
    pub gateways: u64,
    /// Of which online.
    pub gateways_online: u64,
    /// Devices of the account.
    pub devices: u64,
    /// Alerts not resolved.
    pub open_alerts: u64,
    /// Alerts not resolved, by severity (INFO, WARNING, CRITICAL).
    pub open_alerts_by_severity: Vec<(tds_entity::Severity, u64)>,
    /// Dead letters in the last 24 hours.
    pub dead_letters_last_day: u64,
    /// Devices with the highest consumption this month, highest first (at most 5).
    pub top_consumers: Vec<(device::Model, f64)>,
}

/// The dashboard summary of the caller's account.
pub async fn dashboard_summary(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> DomainResult<DashboardSummary> {
    let gateways = gateway::Entity::find().filter(gateway::Column::AccountId.eq(tenant.account_id));
    let gateways_total = gateways.clone().count(db).await?;
    let gateways_online = gateways
        .filter(gateway::Column::IsOnline.eq(true))
        .count(db)
        .await?;
    let devices = device::Entity::find()
        .filter(device::Column::AccountId.eq(tenant.account_id))
        .count(db)
        .await?;
    let open_alerts_by_severity = crate::alerts::open_alert_counts(db, tenant).await?;
    let open_alerts = open_alerts_by_severity.iter().map(|(_, n)| n).sum();
    let dead_letters_last_day = dead_letter::Entity::find()
        .filter(dead_letter::Column::AccountId.eq(tenant.account_id))
        .filter(dead_letter::Column::ReceivedAt.gte(now - Duration::hours(24)))
        .count(db)
        .await?;
    let tz: Tz = tenant
        .timezone
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo);
    let month = bucket_start(RollupPeriod::Month, now, tz);
    let top = rollup::Entity::find()
        .filter(rollup::Column::AccountId.eq(tenant.account_id))
        .filter(rollup::Column::Period.eq(RollupPeriod::Month))
        .filter(rollup::Column::BucketStart.eq(month))
        .filter(rollup::Column::Consumption.is_not_null())
        .order_by_desc(rollup::Column::Consumption)
        .limit(5)
        .all(db)
        .await?;
    let named: BTreeMap<Uuid, device::Model> = device::Entity::find()
        .filter(device::Column::Id.is_in(top.iter().map(|r| r.device_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let top_consumers = top
        .into_iter()
        .filter_map(|r| {
            Some((
                named.get(&r.device_id)?.clone(),
                r.consumption.unwrap_or(0.0),
            ))
        })
        .collect();
    Ok(DashboardSummary {
        gateways: gateways_total,
        gateways_online,
        devices,
        open_alerts,
        open_alerts_by_severity,
        dead_letters_last_day,
        top_consumers,
    })
}

/// Bytes of a dead letter's payload that a page of dead letters carries.
pub const DEAD_LETTER_PREVIEW_BYTES: usize = 1024;

/// A dead letter as a page lists it: the payload's start, size and digest instead of the
/// payload itself, which may be megabytes (one letter's payload is read by [`dead_letter`]).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct DeadLetterSummary {
    /// Id.
    pub id: Uuid,
    /// Gateway the topic named, when known.
    pub gateway_mac: Option<String>,
    /// Topic the message came on.
    pub topic: String,
    /// Stable reason code.
    pub reason: String,
    /// What exactly was wrong.
    pub detail: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Payload size in bytes.
    pub payload_size: i64,
    /// The payload's first [`DEAD_LETTER_PREVIEW_BYTES`] bytes.
    pub payload_preview: Vec<u8>,
}

impl DeadLetterSummary {
    /// The summary of a whole letter.
    pub fn of(letter: &dead_letter::Model) -> Self {
        let preview = &letter.payload[..letter.payload.len().min(DEAD_LETTER_PREVIEW_BYTES)];
        Self {
            id: letter.id,
            gateway_mac: letter.gateway_mac.clone(),
            topic: letter.topic.clone(),
            reason: letter.reason.clone(),
            detail: letter.detail.clone(),
            received_at: letter.received_at,
            payload_size: i64::try_from(letter.payload.len()).unwrap_or(i64::MAX),
            payload_preview: preview.to_vec(),
        }
    }

    /// Whether the preview is only the start of the payload.
    pub fn is_truncated(&self) -> bool {
        self.payload_size > self.payload_preview.len() as i64
    }
}

/// Dead letters of the caller's account, newest first, optionally of one reason. The
/// database cuts the payloads: a page never reads more than the previews.
pub async fn dead_letters(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    reason: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<DeadLetterSummary>> {
    use dead_letter::Column as C;
    use sea_orm::sea_query::Expr;
    let mut query = dead_letter::Entity::find()
        .select_only()
        .columns([
            C::Id,
            C::GatewayMac,
            C::Topic,
            C::Reason,
            C::Detail,
            C::ReceivedAt,
        ])
        .expr_as(
            Expr::cust("CAST(length(payload) AS BIGINT)"),
            "payload_size",
        )
        .expr_as(
            Expr::cust(format!("substr(payload, 1, {DEAD_LETTER_PREVIEW_BYTES})")),
            "payload_preview",
        )
        .filter(C::AccountId.eq(tenant.account_id));
    if let Some(reason) = reason {
        query = query.filter(C::Reason.eq(reason));
    }
    if let Some(after) = page.after {
        query = query.filter(C::Id.lt(after));
    }
    let rows = query
        .order_by_desc(C::Id)
        .limit(page.first + 1)
        .into_model::<DeadLetterSummary>()
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// SHA-256 (hex) of the payloads of the caller's letters `ids`. PostgreSQL hashes in
/// place; SQLite (the demo mode) has no hash function, so each payload is read and hashed
/// here, one at a time.
pub async fn dead_letter_digests(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    ids: &[Uuid],
) -> DomainResult<std::collections::HashMap<Uuid, String>> {
    use dead_letter::Column as C;
    use sea_orm::sea_query::Expr;
    use sha2::Digest;
    let mine = dead_letter::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::AccountId.eq(tenant.account_id));
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let rows: Vec<(Uuid, String)> = mine
            .filter(C::Id.is_in(ids.iter().copied()))
            .expr_as(Expr::cust("encode(sha256(payload), 'hex')"), "digest")
            .into_tuple()
            .all(db)
            .await?;
        return Ok(rows.into_iter().collect());
    }
    let mut digests = std::collections::HashMap::new();
    for id in ids {
        let row: Option<(Uuid, Vec<u8>)> = mine
            .clone()
            .filter(C::Id.eq(*id))
            .column(C::Payload)
            .into_tuple()
            .one(db)
            .await?;
        if let Some((id, payload)) = row {
            digests.insert(id, hex::encode(sha2::Sha256::digest(&payload)));
        }
    }
    Ok(digests)
}

/// One dead letter of the caller's account, payload and all.
pub async fn dead_letter(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<dead_letter::Model> {
    dead_letter::Entity::find_by_id(id)
        .filter(dead_letter::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("dead letter"))
}

/// Keeps one refused message whole, attributed to the account of the gateway with MAC
/// `mac` when there is one. The payload is kept byte for byte (`bytea`); the topic and the
/// detail, which may quote the message, are made storable first, so that keeping a
/// refusal cannot itself be refused.
pub async fn keep_dead_letter(
    db: &impl ConnectionTrait,
    mac: Option<&str>,
    topic: &str,
    payload: &[u8],
    reason: &str,
    detail: &str,
    received_at: DateTime<Utc>,
) -> DomainResult<dead_letter::Model> {
    use sea_orm::{ActiveModelTrait, Set};
    let account_id = match mac {
        Some(mac) => gateway::Entity::find()
            .filter(gateway::Column::Mac.eq(mac))
            .one(db)
            .await?
            .map(|g| g.account_id),
        None => None,
    };
    Ok(dead_letter::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        gateway_mac: Set(mac.map(str::to_owned)),
        topic: Set(without_nul(topic).into_owned()),
        payload: Set(payload.to_vec()),
        reason: Set(reason.to_owned()),
        detail: Set(without_nul(detail).into_owned()),
        received_at: Set(received_at),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

//! Telemetry read side: readings, latest values, consumption, dashboard, dead letters;
//! and live subscriptions fed by the event bus.

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use base64::Engine;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tds_bus::Event;
use tds_domain::DomainError;
use tds_domain::page::PageRequest;
use tds_domain::readings::{self, Granularity as DomainGranularity};
use tds_entity::{dead_letter, reading};
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::expensive;
use crate::types::{Device, PageInfo, decode_cursor, encode_cursor, loader_error, parse_id};

/// A stored (or just stored) reading.
pub struct Reading {
    device_id: Uuid,
    gateway_id: Uuid,
    time: DateTime<Utc>,
    value: f64,
    unit: String,
}

impl From<reading::Model> for Reading {
    fn from(r: reading::Model) -> Self {
        Self {
            device_id: r.device_id,
            gateway_id: r.gateway_id,
            time: r.time,
            value: r.value,
            unit: r.unit,
        }
    }
}

#[Object]
impl Reading {
    /// Measurement time.
    async fn time(&self) -> DateTime<Utc> {
        self.time
    }
    async fn value(&self) -> f64 {
        self.value
    }
    async fn unit(&self) -> &str {
        &self.unit
    }
    async fn device_id(&self) -> ID {
        ID(self.device_id.to_string())
    }
    async fn gateway_id(&self) -> ID {
        ID(self.gateway_id.to_string())
    }
    /// The device (batched).
    async fn device(&self, ctx: &Context<'_>) -> ApiResult<Device> {
        ctx.loaders()?
            .device_by_id
            .load_one(self.device_id)
            .await
            .map_err(loader_error)?
            .map(Device)
            .ok_or_else(|| DomainError::NotFound("device").into())
    }
}

/// A device's most recent reading.
#[derive(SimpleObject)]
pub struct LatestReading {
    /// The device.
    pub device: Device,
    /// When.
    pub time: DateTime<Utc>,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: String,
}

/// Bucket width of a consumption query.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_domain::readings::Granularity")]
pub enum Granularity {
    /// Hours.
    Hour,
    /// Days in the account's time zone.
    Day,
    /// Weeks (Monday first) in the account's time zone.
    Week,
    /// Months in the account's time zone.
    Month,
}

/// One bucket of a device's series.
#[derive(SimpleObject)]
pub struct ConsumptionPoint {
    /// Bucket start.
    pub bucket_start: DateTime<Utc>,
    /// Register increase (null for INSTANT devices).
    pub consumption: Option<f64>,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean value.
    pub avg: f64,
    /// Readings received in the bucket.
    pub count: i64,
}

/// A device's buckets.
#[derive(SimpleObject)]
pub struct ConsumptionSeries {
    /// The device.
    pub device: Device,
    /// Buckets with data, oldest first.
    pub points: Vec<ConsumptionPoint>,
}

/// A device and its consumption.
#[derive(SimpleObject)]
pub struct TopConsumer {
    /// The device.
    pub device: Device,
    /// Consumption this month.
    pub consumption: f64,
}

/// How many alerts of one severity.
#[derive(SimpleObject)]
pub struct SeverityCount {
    /// The severity.
    pub severity: crate::alerts::Severity,
    /// How many alerts.
    pub count: i64,
}

/// Dashboard cards.
#[derive(SimpleObject)]
pub struct DashboardSummary {
    /// Gateways of the account.
    pub gateways: i64,
    /// Gateways online.
    pub gateways_online: i64,
    /// Gateways offline.
    pub gateways_offline: i64,
    /// Devices of the account.
    pub devices: i64,
    /// Alerts not yet resolved.
    pub open_alerts: i64,
    /// Alerts not yet resolved, by severity (every severity, INFO first).
    pub open_alerts_by_severity: Vec<SeverityCount>,
    /// Messages refused in the last 24 hours.
    pub dead_letters_last_day: i64,
    /// Highest consumption this month (up to 5).
    pub top_consumers: Vec<TopConsumer>,
}

/// A message the platform refused, with why. A page carries the payload's start, size
/// and digest; `deadLetter(id)` carries the whole payload.
pub struct DeadLetter {
    summary: readings::DeadLetterSummary,
    digest: Option<String>,
    payload: Option<Vec<u8>>,
}

impl DeadLetter {
    /// One letter, whole.
    fn whole(letter: dead_letter::Model) -> Self {
        use sha2::Digest;
        Self {
            summary: readings::DeadLetterSummary::of(&letter),
            digest: Some(hex::encode(sha2::Sha256::digest(&letter.payload))),
            payload: Some(letter.payload),
        }
    }
}

/// Text of a payload's start: a character cut at the end of the preview is left out
/// rather than shown as a replacement character.
fn preview_text(bytes: &[u8], truncated: bool) -> String {
    let end = match std::str::from_utf8(bytes) {
        Err(e) if truncated && e.error_len().is_none() => e.valid_up_to(),
        _ => bytes.len(),
    };
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

#[Object]
impl DeadLetter {
    async fn id(&self) -> ID {
        ID(self.summary.id.to_string())
    }
    async fn topic(&self) -> &str {
        &self.summary.topic
    }
    async fn gateway_mac(&self) -> Option<&str> {
        self.summary.gateway_mac.as_deref()
    }
    /// Stable reason code (BAD_JSON, UNKNOWN_DEVICE …).
    async fn reason(&self) -> &str {
        &self.summary.reason
    }
    /// What exactly was wrong.
    async fn detail(&self) -> &str {
        &self.summary.detail
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.summary.received_at
    }
    /// Payload size in bytes.
    async fn payload_size(&self) -> i64 {
        self.summary.payload_size
    }
    /// SHA-256 of the payload, hex.
    async fn payload_sha256(&self) -> ApiResult<&str> {
        self.digest
            .as_deref()
            .ok_or_else(|| DomainError::Internal("dead letter digest not loaded".into()).into())
    }
    /// The payload's first 1 KiB as text (invalid UTF-8 replaced).
    async fn payload_preview(&self) -> String {
        preview_text(&self.summary.payload_preview, self.summary.is_truncated())
    }
    /// Whether the payload is longer than its preview.
    async fn payload_truncated(&self) -> bool {
        self.summary.is_truncated()
    }
    /// The whole payload as text (invalid UTF-8 replaced): only from `deadLetter(id)`,
    /// null in pages of `deadLetters`.
    async fn payload_text(&self) -> Option<String> {
        self.payload
            .as_deref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }
    /// The exact payload bytes, base64: only from `deadLetter(id)`, null in pages.
    async fn payload_base64(&self) -> Option<String> {
        self.payload
            .as_deref()
            .map(|p| base64::engine::general_purpose::STANDARD.encode(p))
    }
}

/// A page of dead letters, newest first.
#[derive(SimpleObject)]
pub struct DeadLetterConnection {
    /// The letters.
    pub nodes: Vec<DeadLetter>,
    /// Where this page ends.
    pub page_info: PageInfo,
}

/// A gateway went online or offline.
#[derive(SimpleObject, Clone)]
pub struct GatewayStatusChange {
    /// Which gateway.
    pub gateway_id: ID,
    /// Online now?
    pub online: bool,
    /// When it was noticed.
    pub at: DateTime<Utc>,
}

/// Telemetry queries.
#[derive(Default)]
pub struct TelemetryQuery;

#[Object]
impl TelemetryQuery {
    /// Readings of one device in `[from, to)`, oldest first (default 1,000, at most 10,000).
    #[graphql(
        complexity = "crate::limits::up_to(limit, readings::DEFAULT_READINGS, readings::MAX_READINGS, child_complexity)"
    )]
    async fn readings(
        &self,
        ctx: &Context<'_>,
        device_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: Option<i32>,
    ) -> ApiResult<Vec<Reading>> {
        let tenant = ctx.tenant()?;
        let device_id = parse_id(&device_id, "device")?;
        if expensive::is_long_range(ctx, from, to) {
            expensive::spend(ctx).await?;
        }
        let rows = readings::readings(&ctx.state().db, tenant, device_id, from, to, limit).await?;
        Ok(rows.into_iter().map(Reading::from).collect())
    }

    /// The latest reading of each device (of one gateway, if given).
    async fn latest_readings(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
    ) -> ApiResult<Vec<LatestReading>> {
        let tenant = ctx.tenant()?;
        let gateway_id = gateway_id
            .as_ref()
            .map(|g| parse_id(g, "gateway"))
            .transpose()?;
        let devices = readings::latest_readings(&ctx.state().db, tenant, gateway_id).await?;
        Ok(devices
            .into_iter()
            .filter_map(|d| {
                let (time, value) = d.last_reading_at.zip(d.last_value)?;
                let unit = d.unit.clone();
                Some(LatestReading {
                    device: Device(d),
                    time,
                    value,
                    unit,
                })
            })
            .collect())
    }

    /// Consumption per device and bucket in `[from, to)`, from rollups (no raw scan).
    #[graphql(complexity = "device_ids.len().max(1).saturating_mul(child_complexity)")]
    async fn consumption(
        &self,
        ctx: &Context<'_>,
        device_ids: Vec<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: Granularity,
    ) -> ApiResult<Vec<ConsumptionSeries>> {
        let tenant = ctx.tenant()?;
        let ids = device_ids
            .iter()
            .map(|id| parse_id(id, "device"))
            .collect::<ApiResult<Vec<_>>>()?;
        let series = readings::consumption(
            &ctx.state().db,
            tenant,
            &ids,
            from,
            to,
            DomainGranularity::from(granularity),
        )
        .await?;
        Ok(series
            .into_iter()
            .map(|s| ConsumptionSeries {
                device: Device(s.device),
                points: s
                    .points
                    .into_iter()
                    .map(|p| ConsumptionPoint {
                        bucket_start: p.bucket_start,
                        consumption: p.consumption,
                        min: p.min,
                        max: p.max,
                        avg: p.avg,
                        count: p.count,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Online/offline counts, open alerts, refused messages and top consumers.
    async fn dashboard_summary(&self, ctx: &Context<'_>) -> ApiResult<DashboardSummary> {
        let s = readings::dashboard_summary(&ctx.state().db, ctx.tenant()?, Utc::now()).await?;
        Ok(DashboardSummary {
            gateways: s.gateways as i64,
            gateways_online: s.gateways_online as i64,
            gateways_offline: (s.gateways - s.gateways_online) as i64,
            devices: s.devices as i64,
            open_alerts: s.open_alerts as i64,
            open_alerts_by_severity: s
                .open_alerts_by_severity
                .into_iter()
                .map(|(severity, count)| SeverityCount {
                    severity: severity.into(),
                    count: count as i64,
                })
                .collect(),
            dead_letters_last_day: s.dead_letters_last_day as i64,
            top_consumers: s
                .top_consumers
                .into_iter()
                .map(|(d, c)| TopConsumer {
                    device: Device(d),
                    consumption: c,
                })
                .collect(),
        })
    }

    /// Messages of this account's gateways that were refused, newest first.
    #[graphql(complexity = "crate::limits::page(first, child_complexity)")]
    async fn dead_letters(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        reason: Option<String>,
    ) -> ApiResult<DeadLetterConnection> {
        let tenant = ctx.tenant()?;
        let page = PageRequest::new(first, decode_cursor(after.as_deref())?)?;
        let db = &ctx.state().db;
        let page = readings::dead_letters(db, tenant, reason.as_deref(), page).await?;
        let wants_digest = ctx
            .look_ahead()
            .field("nodes")
            .field("payloadSha256")
            .exists();
        let mut digests = if wants_digest {
            let ids: Vec<Uuid> = page.items.iter().map(|d| d.id).collect();
            readings::dead_letter_digests(db, tenant, &ids).await?
        } else {
            Default::default()
        };
        let end_cursor = page.items.last().map(|d| encode_cursor(d.id));
        Ok(DeadLetterConnection {
            nodes: page
                .items
                .into_iter()
                .map(|summary| DeadLetter {
                    digest: digests.remove(&summary.id),
                    summary,
                    payload: None,
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: page.has_next_page,
                end_cursor,
            },
        })
    }

    /// One refused message of this account with its whole payload.
    async fn dead_letter(&self, ctx: &Context<'_>, id: ID) -> ApiResult<DeadLetter> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "dead letter")?;
        let letter = readings::dead_letter(&ctx.state().db, tenant, id).await?;
        Ok(DeadLetter::whole(letter))
    }
}

/// Live telemetry subscriptions (over WebSocket, `graphql-transport-ws`).
#[derive(Default)]
pub struct TelemetrySubscription;

#[Subscription]
impl TelemetrySubscription {
    /// Readings as they are stored: the whole account, one gateway, or one device.
    async fn readings(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
        device_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Reading, ApiError>> + use<>, ApiError> {
        let tenant = ctx.tenant()?.clone();
        let db = &ctx.state().db;
        let gateway = match gateway_id {
            Some(id) => Some(
                tds_domain::gateways::get_gateway(db, &tenant, parse_id(&id, "gateway")?)
                    .await?
                    .id,
            ),
            None => None,
        };
        let device = match device_id {
            Some(id) => Some(
                tds_domain::devices::get_device(db, &tenant, parse_id(&id, "device")?)
                    .await?
                    .id,
            ),
            None => None,
        };
        let account = tenant.account_id();
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let readings = events.flat_map(move |event| {
            let items: Vec<Reading> = match event.as_deref() {
                Ok(Event::Readings {
                    account_id,
                    readings,
                }) if *account_id == account => readings
                    .iter()
                    .filter(|r| {
                        gateway.is_none_or(|g| g == r.gateway_id)
                            && device.is_none_or(|d| d == r.device_id)
                    })
                    .map(|r| Reading {
                        device_id: r.device_id,
                        gateway_id: r.gateway_id,
                        time: r.time,
                        value: r.value,
                        unit: r.unit.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            futures::stream::iter(items)
        });
        crate::live::while_allowed(ctx, tds_entity::Role::Viewer, readings)
    }

    /// Gateways going online or offline (all of the account, or one).
    async fn gateway_status(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<GatewayStatusChange, ApiError>> + use<>, ApiError> {
        let tenant = ctx.tenant()?.clone();
        let gateway = match gateway_id {
            Some(id) => Some(
                tds_domain::gateways::get_gateway(
                    &ctx.state().db,
                    &tenant,
                    parse_id(&id, "gateway")?,
                )
                .await?
                .id,
            ),
            None => None,
        };
        let account = tenant.account_id();
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let changes = events.filter_map(move |event| {
            let change = match event.as_deref() {
                Ok(Event::GatewayStatus {
                    account_id,
                    gateway_id,
                    online,
                    at,
                }) if *account_id == account && gateway.is_none_or(|g| g == *gateway_id) => {
                    Some(GatewayStatusChange {
                        gateway_id: ID(gateway_id.to_string()),
                        online: *online,
                        at: *at,
                    })
                }
                _ => None,
            };
            futures::future::ready(change)
        });
        crate::live::while_allowed(ctx, tds_entity::Role::Viewer, changes)
    }
}

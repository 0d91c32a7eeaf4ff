//! Telemetry persistence: messages in, reading rows, rollups and dead letters out, in
//! one transaction per write, idempotent on (device, time).
//!
//! Why one transaction for everything: if a worker dies half-way, the job is handed to
//! another worker and replayed; rows already committed are skipped by the unique key and
//! rollups only count rows this transaction actually inserted, so a replay neither loses
//! nor double-counts anything.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, Func, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use tds_bus::{Event, EventBus, InboundMessage, ReadingEvent, TelemetryBatch};
use tds_domain::alerts::{BucketConsumption, LandedReading};
use tds_domain::rollups::{self, PERIODS, Point};
use tds_domain::telemetry::{self, Reason, Rejection};
use tds_entity::{
    GatewayStatus, Measurement, RollupPeriod, dead_letter, device, gateway, reading, rollup,
};
use uuid::Uuid;

use crate::alerting::Alerting;
use crate::fleet::{FleetCache, GatewayEntry};

/// Rows per INSERT statement (well under SQLite's and PostgreSQL's parameter limits).
const ROWS_PER_STATEMENT: usize = 500;

/// A reading ready to insert.
#[derive(Debug, Clone)]
struct Row {
    device_id: Uuid,
    time: DateTime<Utc>,
    account_id: Uuid,
    gateway_id: Uuid,
    value: f64,
    unit: String,
    raw: serde_json::Value,
    measurement: Measurement,
    timezone: chrono_tz::Tz,
    kind: tds_entity::DeviceKind,
}

/// Prometheus counters of a committed batch: readings stored and replayed, refusals by
/// reason, the batch's size, and how long its messages took from the gateway's timestamp
/// (publish) and from ingest (receive) to this commit.
fn record_batch(
    messages: &[&InboundMessage],
    rows: &[Row],
    new_rows: &[&Row],
    refusals: &[Refusal],
) {
    let committed = Utc::now();
    let seconds = |since: DateTime<Utc>| {
        <i64 as Ord>::max((committed - since).num_microseconds().unwrap_or(0), 0) as f64 / 1e6
    };
    metrics::counter!("tds_readings_stored_total").increment(new_rows.len() as u64);
    metrics::counter!("tds_readings_duplicate_total")
        .increment((rows.len() - new_rows.len()) as u64);
    for refusal in refusals {
        metrics::counter!("tds_messages_refused_total", "reason" => refusal.rejection.reason.code())
            .increment(1);
    }
    metrics::histogram!("tds_telemetry_batch_messages").record(messages.len() as f64);
    for message in messages {
        metrics::histogram!("tds_receive_to_commit_seconds").record(seconds(message.received_at));
    }
    // One message's readings share its gateway and timestamp: one sample per message.
    let published: std::collections::HashSet<(Uuid, DateTime<Utc>)> =
        new_rows.iter().map(|r| (r.gateway_id, r.time)).collect();
    for (_, at) in published {
        metrics::histogram!("tds_publish_to_commit_seconds").record(seconds(at));
    }
}

/// A refusal to record.
#[derive(Debug, Clone)]
struct Refusal {
    account_id: Option<Uuid>,
    mac: Option<String>,
    message: InboundMessage,
    rejection: Rejection,
}

/// What one write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Messages looked at.
    pub messages: usize,
    /// New reading rows.
    pub stored: usize,
    /// Readings already stored (a redelivery).
    pub duplicates: usize,
    /// Dead letters written.
    pub dead_letters: usize,
}

/// Turns telemetry messages into stored readings.
#[derive(Clone)]
pub struct TelemetryWriter {
    db: DatabaseConnection,
    fleet: FleetCache,
    events: EventBus,
    alerting: Option<Alerting>,
}

impl TelemetryWriter {
    /// The database this writer stores into.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A writer over `db` that announces what it stores on `events`.
    pub fn new(db: DatabaseConnection, fleet: FleetCache, events: EventBus) -> Self {
        Self {
            db,
            fleet,
            events,
            alerting: None,
        }
    }

    /// The same writer, judging each committed batch against the alert rules.
    pub fn with_alerting(mut self, alerting: Alerting) -> Self {
        self.alerting = Some(alerting);
        self
    }

    /// The gateway cache (to invalidate on fleet changes).
    pub fn fleet(&self) -> &FleetCache {
        &self.fleet
    }

    /// Stores every message of `batches` as readings or dead letters, in one transaction.
    pub async fn write(
        &self,
        batches: &[TelemetryBatch],
        now: DateTime<Utc>,
    ) -> Result<WriteReport, DbErr> {
        let messages: Vec<&InboundMessage> = batches.iter().flat_map(|b| &b.messages).collect();
        self.write_messages(&messages, now).await
    }

    /// Stores every one of `messages` as readings or dead letters, in one transaction:
    /// all of them, or (on error) none.
    pub async fn write_messages(
        &self,
        messages: &[&InboundMessage],
        now: DateTime<Utc>,
    ) -> Result<WriteReport, DbErr> {
        let fleet = self.resolve(messages).await?;
        let (rows, refusals, seen_gateways) = sort_out(messages, &fleet, now);

        let txn = self.db.begin().await?;
        let last = lock_devices(&txn, &rows).await?;
        let inserted = insert_readings(&txn, &rows).await?;
        let new_rows: Vec<&Row> = rows
            .iter()
            .filter(|r| inserted.contains(&(r.device_id, r.time)))
            .collect();
        let (rollup_rows, consumption_only) = rollup_changes(&txn, &new_rows, &last).await?;
        // Alerts on consumption need the buckets' totals after this batch: the upsert
        // returns them, which spares judging a query.
        let judging = match &self.alerting {
            Some(alerting) => alerting.watches_readings().await,
            None => false,
        };
        let mut totals = upsert_rollups(&txn, &rollup_rows, now, judging).await?;
        add_consumption(&txn, &consumption_only).await?;
        update_last_readings(&txn, &new_rows, &last).await?;
        insert_dead_letters(&txn, &refusals, now).await?;
        let came_online = mark_seen(&txn, &seen_gateways, now).await?;
        txn.commit().await?;
        record_batch(messages, &rows, &new_rows, &refusals);

        self.announce(&new_rows, &came_online, now).await;
        if let (Some(alerting), true) = (&self.alerting, judging) {
            // Every row, replays included: see `alerting` for why that raises nothing twice.
            let landed: Vec<LandedReading> = rows
                .iter()
                .map(|r| LandedReading {
                    account_id: r.account_id,
                    gateway_id: r.gateway_id,
                    device_id: r.device_id,
                    kind: r.kind,
                    time: r.time,
                    value: r.value,
                })
                .collect();
            // Buckets that took only a consumption change moved by that much.
            if let Some(totals) = totals.as_mut() {
                for (key, change) in &consumption_only {
                    if let Some(Some(total)) = totals.get_mut(key) {
                        *total += change;
                    }
                }
            }
            alerting.judge(&landed, totals.as_ref(), now).await;
        }
        Ok(WriteReport {
            messages: messages.len(),
            stored: new_rows.len(),
            duplicates: rows.len() - new_rows.len(),
            dead_letters: refusals.len(),
        })
    }

    /// Records messages as dead letters with one refusal (when they cannot be stored),
    /// each attributed to the account of the gateway its topic names.
    pub async fn refuse(
        &self,
        messages: &[&InboundMessage],
        rejection: &Rejection,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let fleet = self.resolve(messages).await?;
        let refusals: Vec<Refusal> = messages
            .iter()
            .map(|m| {
                let mac = telemetry::topic_mac(&m.topic).ok();
                Refusal {
                    account_id: mac
                        .as_ref()
                        .and_then(|mac| fleet.get(mac.as_str()))
                        .map(|g| g.account_id),
                    mac: mac.map(|m| m.as_str().to_owned()),
                    message: (*m).clone(),
                    rejection: rejection.clone(),
                }
            })
            .collect();
        let txn = self.db.begin().await?;
        insert_dead_letters(&txn, &refusals, now).await?;
        txn.commit().await?;
        metrics::counter!("tds_messages_refused_total", "reason" => rejection.reason.code())
            .increment(refusals.len() as u64);
        Ok(())
    }

    /// The gateways the topics of `messages` name.
    async fn resolve(
        &self,
        messages: &[&InboundMessage],
    ) -> Result<HashMap<String, Arc<GatewayEntry>>, DbErr> {
        let macs: Vec<String> = messages
            .iter()
            .filter_map(|m| telemetry::topic_mac(&m.topic).ok())
            .map(|m| m.as_str().to_owned())
            .collect();
        self.fleet.resolve(&self.db, &macs).await
    }

    async fn announce(&self, rows: &[&Row], came_online: &[(Uuid, Uuid)], now: DateTime<Utc>) {
        let mut by_account: BTreeMap<Uuid, Vec<ReadingEvent>> = BTreeMap::new();
        for r in rows {
            by_account
                .entry(r.account_id)
                .or_default()
                .push(ReadingEvent {
                    gateway_id: r.gateway_id,
                    device_id: r.device_id,
                    time: r.time,
                    value: r.value,
                    unit: r.unit.clone(),
                });
        }
        let status = came_online
            .iter()
            .map(|(account_id, gateway_id)| Event::GatewayStatus {
                account_id: *account_id,
                gateway_id: *gateway_id,
                online: true,
                at: now,
            });
        let readings = by_account
            .into_iter()
            .map(|(account_id, readings)| Event::Readings {
                account_id,
                readings,
            });
        for event in status.chain(readings) {
            // The rows are committed; a lost event only delays a live view.
            if let Err(e) = self.events.publish(&event).await {
                tracing::warn!(error = %e, "event not published");
            }
        }
    }
}

/// Splits messages into reading rows and refusals; also returns the gateways heard from.
fn sort_out(
    messages: &[&InboundMessage],
    fleet: &HashMap<String, Arc<GatewayEntry>>,
    now: DateTime<Utc>,
) -> (Vec<Row>, Vec<Refusal>, HashMap<Uuid, Uuid>) {
    let mut rows = Vec::new();
    let mut refusals = Vec::new();
    let mut seen = HashMap::new();
    let mut keys = HashSet::new();
    for message in messages {
        // The topic's MAC (once per message): it names the gateway and, for refusals,
        // the account whose dead letters they are.
        let topic_mac = telemetry::topic_mac(&message.topic).ok();
        let topic_gateway = topic_mac
            .as_ref()
            .and_then(|mac| fleet.get(mac.as_str()).cloned());
        let refuse = |rejection: Rejection| Refusal {
            account_id: topic_gateway.as_ref().map(|g| g.account_id),
            mac: topic_mac.as_ref().map(|m| m.as_str().to_owned()),
            message: (*message).clone(),
            rejection,
        };
        let parsed = match message.truncated_from {
            // Only the first bytes came through the transport: judged by its full size.
            Some(len) => Err(telemetry::oversized(len, message.payload.len())),
            None => telemetry::parse(&message.topic, &message.payload, now),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(rejection) => {
                refusals.push(refuse(rejection));
                continue;
            }
        };
        let Some(gateway) = &topic_gateway else {
            refusals.push(refuse(Rejection {
                reason: Reason::UnknownGateway,
                detail: format!("no gateway has MAC {}", parsed.mac),
            }));
            continue;
        };
        if gateway.status == GatewayStatus::Inactive {
            refusals.push(refuse(Rejection {
                reason: Reason::GatewayInactive,
                detail: format!("gateway {} is INACTIVE", parsed.mac),
            }));
            continue;
        }
        if !gateway.certified {
            refusals.push(refuse(Rejection {
                reason: Reason::CertificateRevoked,
                detail: format!("every certificate of gateway {} is revoked", parsed.mac),
            }));
            continue;
        }
        seen.insert(gateway.id, gateway.account_id);
        for item in parsed.items {
            let item = match item {
                Ok(item) => item,
                Err(rejection) => {
                    refusals.push(refuse(rejection));
                    continue;
                }
            };
            let Some(device) = gateway.devices.get(&item.device_code) else {
                refusals.push(refuse(Rejection {
                    reason: Reason::UnknownDevice,
                    detail: format!(
                        "gateway {} has no device '{}'",
                        parsed.mac, item.device_code
                    ),
                }));
                continue;
            };
            // A repeat inside the same write is the same reading: keep the first.
            if keys.insert((device.id, parsed.timestamp)) {
                rows.push(Row {
                    device_id: device.id,
                    time: parsed.timestamp,
                    account_id: gateway.account_id,
                    gateway_id: gateway.id,
                    value: item.value,
                    unit: item.unit.unwrap_or_else(|| device.unit.clone()),
                    raw: item.raw,
                    measurement: device.measurement,
                    timezone: gateway.timezone,
                    kind: device.kind,
                });
            }
        }
    }
    (rows, refusals, seen)
}

/// The last stored reading of each device, with the device rows locked (PostgreSQL) so
/// two workers never compute consumption steps of one device at the same time.
async fn lock_devices(
    txn: &DatabaseTransaction,
    rows: &[Row],
) -> Result<HashMap<Uuid, Option<Point>>, DbErr> {
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.device_id).collect();
    ids.sort();
    ids.dedup();
    let mut last = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut query = device::Entity::find()
            .filter(device::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(device::Column::Id);
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            query = query.lock_exclusive();
        }
        for d in query.all(txn).await? {
            let point = d
                .last_reading_at
                .zip(d.last_value)
                .map(|(time, value)| Point { time, value });
            last.insert(d.id, point);
        }
    }
    Ok(last)
}

/// A PostgreSQL array parameter.
fn array(ty: ArrayType, values: Vec<Value>) -> Value {
    Value::Array(ty, Some(Box::new(values)))
}

/// Inserts rows, skipping those already stored; returns the keys actually inserted.
///
/// On PostgreSQL the rows travel as one array per column (`unnest`): the statement text
/// is the same for every batch size, so it is prepared once per connection instead of
/// once per distinct row count, and the server parses 7 parameters instead of 7 per row.
async fn insert_readings(
    txn: &DatabaseTransaction,
    rows: &[Row],
) -> Result<HashSet<(Uuid, DateTime<Utc>)>, DbErr> {
    let mut inserted = HashSet::new();
    if rows.is_empty() {
        return Ok(inserted);
    }
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "INSERT INTO readings (device_id, time, account_id, gateway_id, value, unit, raw) \
             SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::float8[], $6::varchar[], $7::jsonb[]) \
             ON CONFLICT (device_id, time) DO NOTHING RETURNING device_id, time",
            [
                array(
                    ArrayType::Uuid,
                    rows.iter().map(|r| r.device_id.into()).collect(),
                ),
                array(
                    ArrayType::ChronoDateTimeUtc,
                    rows.iter().map(|r| r.time.into()).collect(),
                ),
                array(
                    ArrayType::Uuid,
                    rows.iter().map(|r| r.account_id.into()).collect(),
                ),
                array(
                    ArrayType::Uuid,
                    rows.iter().map(|r| r.gateway_id.into()).collect(),
                ),
                array(
                    ArrayType::Double,
                    rows.iter().map(|r| r.value.into()).collect(),
                ),
                array(
                    ArrayType::String,
                    rows.iter().map(|r| r.unit.clone().into()).collect(),
                ),
                array(
                    ArrayType::Json,
                    rows.iter().map(|r| r.raw.clone().into()).collect(),
                ),
            ],
        );
        for row in txn.query_all_raw(statement).await? {
            inserted.insert((
                row.try_get::<Uuid>("", "device_id")?,
                row.try_get::<DateTime<Utc>>("", "time")?,
            ));
        }
        return Ok(inserted);
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert
            .into_table(reading::Entity)
            .columns([
                reading::Column::DeviceId,
                reading::Column::Time,
                reading::Column::AccountId,
                reading::Column::GatewayId,
                reading::Column::Value,
                reading::Column::Unit,
                reading::Column::Raw,
            ])
            .on_conflict(
                OnConflict::columns([reading::Column::DeviceId, reading::Column::Time])
                    .do_nothing()
                    .to_owned(),
            )
            .returning(
                Query::returning().columns([reading::Column::DeviceId, reading::Column::Time]),
            );
        for r in chunk {
            insert.values_panic([
                r.device_id.into(),
                r.time.into(),
                r.account_id.into(),
                r.gateway_id.into(),
                r.value.into(),
                r.unit.clone().into(),
                r.raw.clone().into(),
            ]);
        }
        for row in txn.query_all(&insert).await? {
            inserted.insert((
                row.try_get::<Uuid>("", "device_id")?,
                row.try_get::<DateTime<Utc>>("", "time")?,
            ));
        }
    }
    Ok(inserted)
}

/// Summary of new readings in one bucket, plus its consumption change.
#[derive(Debug, Clone)]
struct BucketDelta {
    account_id: Uuid,
    count: i64,
    sum: f64,
    min: f64,
    max: f64,
    first: Point,
    last: Point,
    consumption: Option<f64>,
}

type BucketKey = (Uuid, RollupPeriod, DateTime<Utc>);

/// Stored readings of one device around `[lo, hi]`: the one before, those inside, the one after.
async fn window(
    txn: &DatabaseTransaction,
    device_id: Uuid,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
) -> Result<Vec<Point>, DbErr> {
    let base = || {
        reading::Entity::find()
            .select_only()
            .column(reading::Column::Time)
            .column(reading::Column::Value)
            .filter(reading::Column::DeviceId.eq(device_id))
    };
    let before: Vec<(DateTime<Utc>, f64)> = base()
        .filter(reading::Column::Time.lt(lo))
        .order_by_desc(reading::Column::Time)
        .limit(1)
        .into_tuple()
        .all(txn)
        .await?;
    let inside: Vec<(DateTime<Utc>, f64)> = base()
        .filter(reading::Column::Time.between(lo, hi))
        .order_by_asc(reading::Column::Time)
        .into_tuple()
        .all(txn)
        .await?;
    let after: Vec<(DateTime<Utc>, f64)> = base()
        .filter(reading::Column::Time.gt(hi))
        .order_by_asc(reading::Column::Time)
        .limit(1)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(before
        .into_iter()
        .chain(inside)
        .chain(after)
        .map(|(time, value)| Point { time, value })
        .collect())
}

/// Rollup changes of the new rows: full deltas for buckets with new readings, and
/// consumption-only changes for buckets whose steps moved (late readings).
async fn rollup_changes(
    txn: &DatabaseTransaction,
    rows: &[&Row],
    last: &HashMap<Uuid, Option<Point>>,
) -> Result<(BTreeMap<BucketKey, BucketDelta>, BTreeMap<BucketKey, f64>), DbErr> {
    let mut deltas: BTreeMap<BucketKey, BucketDelta> = BTreeMap::new();
    let mut by_device: BTreeMap<Uuid, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by_device.entry(row.device_id).or_default().push(row);
        let point = Point {
            time: row.time,
            value: row.value,
        };
        for period in PERIODS {
            let key = (
                row.device_id,
                period,
                rollups::bucket_start(period, row.time, row.timezone),
            );
            let d = deltas.entry(key).or_insert(BucketDelta {
                account_id: row.account_id,
                count: 0,
                sum: 0.0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                first: point,
                last: point,
                consumption: (row.measurement == Measurement::Cumulative).then_some(0.0),
            });
            d.count += 1;
            d.sum += row.value;
            d.min = d.min.min(row.value);
            d.max = d.max.max(row.value);
            if point.time < d.first.time {
                d.first = point;
            }
            if point.time > d.last.time {
                d.last = point;
            }
        }
    }
    let mut consumption_only: BTreeMap<BucketKey, f64> = BTreeMap::new();
    for (device_id, rows) in by_device {
        if rows[0].measurement != Measurement::Cumulative {
            continue;
        }
        let (tz, new): (chrono_tz::Tz, Vec<Point>) = (
            rows[0].timezone,
            rows.iter()
                .map(|r| Point {
                    time: r.time,
                    value: r.value,
                })
                .collect(),
        );
        let lo = new.iter().map(|p| p.time).min().unwrap_or_default();
        let hi = new.iter().map(|p| p.time).max().unwrap_or_default();
        // Streaming in order, the device row already knows the one reading before;
        // only a late reading needs to look at the stored series.
        let old = match last.get(&device_id).copied().flatten() {
            None => Vec::new(),
            Some(previous) if previous.time < lo => vec![previous],
            Some(_) => {
                let fresh: HashSet<DateTime<Utc>> = new.iter().map(|p| p.time).collect();
                window(txn, device_id, lo, hi)
                    .await?
                    .into_iter()
                    .filter(|p| !fresh.contains(&p.time))
                    .collect()
            }
        };
        for (time, change) in rollups::step_changes(&old, &new) {
            for period in PERIODS {
                let key = (device_id, period, rollups::bucket_start(period, time, tz));
                match deltas.get_mut(&key) {
                    Some(d) => *d.consumption.get_or_insert(0.0) += change,
                    None => *consumption_only.entry(key).or_insert(0.0) += change,
                }
            }
        }
    }
    Ok((deltas, consumption_only))
}

fn least(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Postgres {
        "LEAST"
    } else {
        "MIN"
    }
}

fn greatest(backend: DatabaseBackend) -> &'static str {
    if backend == DatabaseBackend::Postgres {
        "GREATEST"
    } else {
        "MAX"
    }
}

/// Adds `deltas` to the rollups. With `totals` (PostgreSQL), returns every changed
/// bucket's consumption after the change.
async fn upsert_rollups(
    txn: &DatabaseTransaction,
    deltas: &BTreeMap<BucketKey, BucketDelta>,
    now: DateTime<Utc>,
    totals: bool,
) -> Result<Option<BucketConsumption>, DbErr> {
    if deltas.is_empty() {
        return Ok(totals.then(BucketConsumption::new));
    }
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // One constant statement whatever the batch size (see `insert_readings`).
        let items: Vec<(&BucketKey, &BucketDelta)> = deltas.iter().collect();
        let column = |ty: ArrayType, f: &dyn Fn(&BucketKey, &BucketDelta) -> Value| {
            array(ty, items.iter().map(|(k, d)| f(k, d)).collect())
        };
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "INSERT INTO rollups (device_id, period, bucket_start, account_id, count, sum, min, max, \
             first_value, first_time, last_value, last_time, consumption, updated_at) \
             SELECT d, p, b, a, c, s, mn, mx, fv, ft, lv, lt, NULLIF(co, 'NaN'::float8), $14 FROM unnest($1::uuid[], $2::varchar[], \
             $3::timestamptz[], $4::uuid[], $5::int8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], \
             $10::timestamptz[], $11::float8[], $12::timestamptz[], $13::float8[]) \
             AS u(d, p, b, a, c, s, mn, mx, fv, ft, lv, lt, co) \
             ON CONFLICT (device_id, period, bucket_start) DO UPDATE SET \
             count = rollups.count + excluded.count, sum = rollups.sum + excluded.sum, \
             min = LEAST(rollups.min, excluded.min), max = GREATEST(rollups.max, excluded.max), \
             first_value = CASE WHEN excluded.first_time < rollups.first_time THEN excluded.first_value ELSE rollups.first_value END, \
             first_time = LEAST(rollups.first_time, excluded.first_time), \
             last_value = CASE WHEN excluded.last_time > rollups.last_time THEN excluded.last_value ELSE rollups.last_value END, \
             last_time = GREATEST(rollups.last_time, excluded.last_time), \
             consumption = CASE WHEN excluded.consumption IS NULL THEN rollups.consumption \
                           ELSE COALESCE(rollups.consumption, 0) + excluded.consumption END, \
             updated_at = excluded.updated_at \
             RETURNING device_id, period, bucket_start, consumption",
            [
                column(ArrayType::Uuid, &|k, _| k.0.into()),
                column(ArrayType::String, &|k, _| k.1.as_str().into()),
                column(ArrayType::ChronoDateTimeUtc, &|k, _| k.2.into()),
                column(ArrayType::Uuid, &|_, d| d.account_id.into()),
                column(ArrayType::BigInt, &|_, d| d.count.into()),
                column(ArrayType::Double, &|_, d| d.sum.into()),
                column(ArrayType::Double, &|_, d| d.min.into()),
                column(ArrayType::Double, &|_, d| d.max.into()),
                column(ArrayType::Double, &|_, d| d.first.value.into()),
                column(ArrayType::ChronoDateTimeUtc, &|_, d| d.first.time.into()),
                column(ArrayType::Double, &|_, d| d.last.value.into()),
                column(ArrayType::ChronoDateTimeUtc, &|_, d| d.last.time.into()),
                // Arrays cannot carry NULL here: NaN stands for "no consumption" (INSTANT).
                column(ArrayType::Double, &|_, d| {
                    d.consumption.unwrap_or(f64::NAN).into()
                }),
                now.into(),
            ],
        );
        let rows = txn.query_all_raw(statement).await?;
        if !totals {
            return Ok(None);
        }
        let mut returned = BucketConsumption::with_capacity(rows.len());
        for row in rows {
            let period: String = row.try_get("", "period")?;
            let Some(period) = PERIODS.into_iter().find(|p| p.as_str() == period) else {
                continue;
            };
            returned.insert(
                (
                    row.try_get("", "device_id")?,
                    period,
                    row.try_get("", "bucket_start")?,
                ),
                row.try_get("", "consumption")?,
            );
        }
        return Ok(Some(returned));
    }
    let backend = txn.get_database_backend();
    let (lo, hi) = (least(backend), greatest(backend));
    let cust = |sql: String| -> SimpleExpr { Expr::cust(sql) };
    let items: Vec<(&BucketKey, &BucketDelta)> = deltas.iter().collect();
    for chunk in items.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert.into_table(rollup::Entity).columns([
            rollup::Column::DeviceId,
            rollup::Column::Period,
            rollup::Column::BucketStart,
            rollup::Column::AccountId,
            rollup::Column::Count,
            rollup::Column::Sum,
            rollup::Column::Min,
            rollup::Column::Max,
            rollup::Column::FirstValue,
            rollup::Column::FirstTime,
            rollup::Column::LastValue,
            rollup::Column::LastTime,
            rollup::Column::Consumption,
            rollup::Column::UpdatedAt,
        ]);
        for ((device_id, period, bucket), d) in chunk {
            insert.values_panic([
                (*device_id).into(),
                period.as_str().into(),
                (*bucket).into(),
                d.account_id.into(),
                d.count.into(),
                d.sum.into(),
                d.min.into(),
                d.max.into(),
                d.first.value.into(),
                d.first.time.into(),
                d.last.value.into(),
                d.last.time.into(),
                d.consumption.into(),
                now.into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([rollup::Column::DeviceId, rollup::Column::Period, rollup::Column::BucketStart])
                .values([
                    (rollup::Column::Count, cust("rollups.count + excluded.count".into())),
                    (rollup::Column::Sum, cust("rollups.sum + excluded.sum".into())),
                    (rollup::Column::Min, cust(format!("{lo}(rollups.min, excluded.min)"))),
                    (rollup::Column::Max, cust(format!("{hi}(rollups.max, excluded.max)"))),
                    (
                        rollup::Column::FirstValue,
                        cust("CASE WHEN excluded.first_time < rollups.first_time THEN excluded.first_value ELSE rollups.first_value END".into()),
                    ),
                    (rollup::Column::FirstTime, cust(format!("{lo}(rollups.first_time, excluded.first_time)"))),
                    (
                        rollup::Column::LastValue,
                        cust("CASE WHEN excluded.last_time > rollups.last_time THEN excluded.last_value ELSE rollups.last_value END".into()),
                    ),
                    (rollup::Column::LastTime, cust(format!("{hi}(rollups.last_time, excluded.last_time)"))),
                    (
                        rollup::Column::Consumption,
                        cust("CASE WHEN excluded.consumption IS NULL THEN rollups.consumption ELSE COALESCE(rollups.consumption, 0) + excluded.consumption END".into()),
                    ),
                    (rollup::Column::UpdatedAt, cust("excluded.updated_at".into())),
                ])
                .to_owned(),
        );
        txn.execute(&insert).await?;
    }
    // SQLite: judging reads the totals itself.
    Ok(None)
}

/// Consumption moved into buckets that received no new reading (a late reading split a
/// step whose later end lies in another bucket); those buckets already exist.
async fn add_consumption(
    txn: &DatabaseTransaction,
    changes: &BTreeMap<BucketKey, f64>,
) -> Result<(), DbErr> {
    for ((device_id, period, bucket), change) in changes {
        let update = Query::update()
            .table(rollup::Entity)
            .value(
                rollup::Column::Consumption,
                Expr::expr(Func::coalesce([
                    Expr::col(rollup::Column::Consumption),
                    Expr::val(0.0),
                ]))
                .add(*change),
            )
            .and_where(Expr::col(rollup::Column::DeviceId).eq(*device_id))
            .and_where(Expr::col(rollup::Column::Period).eq(period.as_str()))
            .and_where(Expr::col(rollup::Column::BucketStart).eq(*bucket))
            .to_owned();
        txn.execute(&update).await?;
    }
    Ok(())
}

async fn update_last_readings(
    txn: &DatabaseTransaction,
    rows: &[&Row],
    last: &HashMap<Uuid, Option<Point>>,
) -> Result<(), DbErr> {
    let mut newest: BTreeMap<Uuid, Point> = BTreeMap::new();
    for r in rows {
        let p = Point {
            time: r.time,
            value: r.value,
        };
        newest
            .entry(r.device_id)
            .and_modify(|n| {
                if p.time > n.time {
                    *n = p
                }
            })
            .or_insert(p);
    }
    newest.retain(|id, p| {
        last.get(id)
            .copied()
            .flatten()
            .is_none_or(|l| l.time < p.time)
    });
    let changes: Vec<(Uuid, Point)> = newest.into_iter().collect();
    if changes.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "UPDATE devices AS d SET last_reading_at = u.t, last_value = u.v \
             FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[]) AS u(id, t, v) WHERE d.id = u.id",
            [
                array(
                    ArrayType::Uuid,
                    changes.iter().map(|(id, _)| (*id).into()).collect(),
                ),
                array(
                    ArrayType::ChronoDateTimeUtc,
                    changes.iter().map(|(_, p)| p.time.into()).collect(),
                ),
                array(
                    ArrayType::Double,
                    changes.iter().map(|(_, p)| p.value.into()).collect(),
                ),
            ],
        );
        txn.execute_raw(statement).await?;
        return Ok(());
    }
    // SQLite (the single-process demo): one CASE statement per chunk, not one per device.
    for chunk in changes.chunks(ROWS_PER_STATEMENT) {
        let mut time = sea_orm::sea_query::CaseStatement::new();
        let mut value = sea_orm::sea_query::CaseStatement::new();
        for (id, p) in chunk {
            time = time.case(Expr::col(device::Column::Id).eq(*id), Expr::val(p.time));
            value = value.case(Expr::col(device::Column::Id).eq(*id), Expr::val(p.value));
        }
        let update = Query::update()
            .table(device::Entity)
            .value(device::Column::LastReadingAt, time)
            .value(device::Column::LastValue, value)
            .and_where(Expr::col(device::Column::Id).is_in(chunk.iter().map(|(id, _)| *id)))
            .to_owned();
        txn.execute(&update).await?;
    }
    Ok(())
}

async fn insert_dead_letters(
    txn: &DatabaseTransaction,
    refusals: &[Refusal],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in refusals.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert.into_table(dead_letter::Entity).columns([
            dead_letter::Column::Id,
            dead_letter::Column::AccountId,
            dead_letter::Column::GatewayMac,
            dead_letter::Column::Topic,
            dead_letter::Column::Payload,
            dead_letter::Column::Reason,
            dead_letter::Column::Detail,
            dead_letter::Column::ReceivedAt,
            dead_letter::Column::CreatedAt,
        ]);
        for r in chunk {
            // The payload is kept byte for byte (bytea); text that quotes the message is
            // made storable, so keeping a refusal can never be refused.
            insert.values_panic([
                Uuid::now_v7().into(),
                r.account_id.into(),
                r.mac.clone().into(),
                telemetry::without_nul(&r.message.topic).into_owned().into(),
                r.message.payload.clone().into(),
                r.rejection.reason.code().into(),
                telemetry::without_nul(&r.rejection.detail)
                    .into_owned()
                    .into(),
                r.message.received_at.into(),
                now.into(),
            ]);
        }
        txn.execute(&insert).await?;
    }
    Ok(())
}

/// Records that gateways were heard from; returns (account, gateway) of those that were offline.
async fn mark_seen(
    txn: &DatabaseTransaction,
    seen: &HashMap<Uuid, Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
    if seen.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = seen.keys().copied().collect();
    let offline: Vec<Uuid> = gateway::Entity::find()
        .select_only()
        .column(gateway::Column::Id)
        .filter(gateway::Column::Id.is_in(ids.clone()))
        .filter(gateway::Column::IsOnline.eq(false))
        .into_tuple()
        .all(txn)
        .await?;
    let update = Query::update()
        .table(gateway::Entity)
        .value(gateway::Column::IsOnline, true)
        .value(gateway::Column::LastSeenAt, now)
        .and_where(Expr::col(gateway::Column::Id).is_in(ids))
        .to_owned();
    txn.execute(&update).await?;
    Ok(offline
        .into_iter()
        .filter_map(|id| seen.get(&id).map(|account| (*account, id)))
        .collect())
}

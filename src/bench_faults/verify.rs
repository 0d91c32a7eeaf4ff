//! What the database holds for the bench fleet, compared with what the broker
//! acknowledged.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use uuid::Uuid;

use super::publisher::{Message, Published};

fn statement(sql: String) -> Statement {
    Statement::from_string(DatabaseBackend::Postgres, sql)
}

/// Readings stored per (gateway MAC, payload time in microseconds).
pub async fn stored(
    db: &DatabaseConnection,
    account: Uuid,
) -> Result<HashMap<(String, i64), i64>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(statement(format!(
            "SELECT g.mac, r.time, count(*) AS n FROM readings r \
             JOIN gateways g ON g.id = r.gateway_id \
             WHERE r.account_id = '{account}' GROUP BY g.mac, r.time"
        )))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let mac: String = row.try_get("", "mac")?;
        let time: DateTime<Utc> = row.try_get("", "time")?;
        let n: i64 = row.try_get("", "n")?;
        out.insert((mac, time.timestamp_micros()), n);
    }
    Ok(out)
}

/// Rows beyond one per (device, time): the primary key forbids them, so anything but 0
/// means the schema lost its key.
pub async fn duplicate_rows(db: &DatabaseConnection, account: Uuid) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(statement(format!(
            "SELECT (count(*) - count(DISTINCT (device_id, time)))::bigint AS n \
             FROM readings WHERE account_id = '{account}'"
        )))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// Whether a reading with a payload time after `after` is stored.
pub async fn any_after(
    db: &DatabaseConnection,
    account: Uuid,
    after: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let row = db
        .query_one_raw(statement(format!(
            "SELECT 1 AS one FROM readings WHERE account_id = '{account}' AND time > '{}' LIMIT 1",
            after.to_rfc3339_opts(SecondsFormat::Micros, true)
        )))
        .await?;
    Ok(row.is_some())
}

/// Polls until a reading published after `fault` is stored; the time it took, or `None`
/// by `deadline`. Errors (the database may be the thing restarting) are retried.
pub async fn recovery(
    db: DatabaseConnection,
    account: Uuid,
    fault: DateTime<Utc>,
    fault_instant: Instant,
    deadline: Duration,
) -> Option<Duration> {
    while fault_instant.elapsed() < deadline {
        if let Ok(true) = any_after(&db, account, fault).await {
            return Some(fault_instant.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The comparison of one run.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Acknowledged messages with all their readings stored.
    pub stored: u64,
    /// Acknowledged messages with none of their readings stored.
    pub missing: u64,
    /// Acknowledged messages with some but not all readings stored.
    pub partial: u64,
    /// Messages never acknowledged but stored anyway (at-least-once at work).
    pub extra_unacked_stored: u64,
    /// A few missing or partial messages: gateway MAC, payload time, readings found.
    pub missing_examples: Vec<serde_json::Value>,
    /// Payload time of the first and last missing message.
    pub missing_span: Option<(String, String)>,
}

/// Compares what was acknowledged with what is stored (`devices` readings a message).
pub fn compare(
    published: &Published,
    macs: &[String],
    stored: &HashMap<(String, i64), i64>,
    devices: i64,
) -> Comparison {
    let mut out = Comparison::default();
    let mut missing_times: Vec<i64> = Vec::new();
    for (message, acked) in published.messages.iter().zip(&published.acked) {
        let Message { gateway, micros } = *message;
        let found = stored
            .get(&(macs[gateway].clone(), micros))
            .copied()
            .unwrap_or(0);
        match (*acked, found) {
            (true, n) if n >= devices => out.stored += 1,
            (true, n) => {
                if n == 0 {
                    out.missing += 1;
                } else {
                    out.partial += 1;
                }
                missing_times.push(micros);
                if out.missing_examples.len() < 5 {
                    out.missing_examples.push(serde_json::json!({
                        "gateway_mac": macs[gateway],
                        "timestamp": stamp(micros),
                        "readings_found": n,
                    }));
                }
            }
            (false, n) if n > 0 => out.extra_unacked_stored += 1,
            (false, _) => {}
        }
    }
    if let (Some(first), Some(last)) = (missing_times.iter().min(), missing_times.iter().max()) {
        out.missing_span = Some((stamp(*first), stamp(*last)));
    }
    out
}

fn stamp(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

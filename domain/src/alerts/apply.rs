//! Findings become alerts: at most one unresolved alert per rule and subject (a partial
//! unique index holds it, so a replay or two workers racing raise nothing twice),
//! cooldown after a resolution, automatic resolution with the reading that cleared it.
//!
//! Observations are taken in time order per rule and subject, and one no newer than the
//! last the subject's latest alert saw (the reading that opened or cleared it) is
//! ignored: a replayed or late batch changes nothing that a later reading decided.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tds_entity::{AlertState, alert};
use uuid::Uuid;

use super::evaluate::{Finding, Verdict};
use crate::error::DomainResult;

/// What applying findings changed: the caller publishes an event for each and queues the
/// notifications of each, then calls [`super::notifications_queued`]. Each change is also
/// marked due for notification in its own statement, so one the caller never queued (it
/// died) is found again by [`super::due_notifications`].
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// A new alert, OPEN.
    Opened(alert::Model),
    /// An alert resolved because its condition cleared.
    Resolved(alert::Model),
}

impl AlertChange {
    /// The alert as it is now.
    pub fn alert(&self) -> &alert::Model {
        match self {
            AlertChange::Opened(a) | AlertChange::Resolved(a) => a,
        }
    }
}

/// The last reading time an alert has seen (the one that opened it, or cleared it).
fn seen_until(alert: &alert::Model) -> Option<DateTime<Utc>> {
    alert.opened_reading_at.max(alert.cleared_reading_at)
}

/// The latest alert (any state) of a rule about a subject.
async fn latest(
    db: &impl ConnectionTrait,
    rule_id: Uuid,
    subject_id: Uuid,
) -> DomainResult<Option<alert::Model>> {
    Ok(alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule_id))
        .filter(alert::Column::SubjectId.eq(subject_id))
        .order_by_desc(alert::Column::Id)
        .one(db)
        .await?)
}

/// The unresolved alert of a rule about a subject.
async fn unresolved(
    db: &impl ConnectionTrait,
    rule_id: Uuid,
    subject_id: Uuid,
) -> DomainResult<Option<alert::Model>> {
    Ok(alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule_id))
        .filter(alert::Column::SubjectId.eq(subject_id))
        .filter(alert::Column::State.ne(AlertState::Resolved))
        .one(db)
        .await?)
}

/// Opens an alert unless one is unresolved already (then returns `None`).
async fn open(
    db: &impl ConnectionTrait,
    finding: &Finding,
    value: f64,
    detail: &str,
    now: DateTime<Utc>,
) -> DomainResult<Option<alert::Model>> {
    let rule = &finding.rule;
    let id = Uuid::now_v7();
    let row = alert::ActiveModel {
        id: Set(id),
        account_id: Set(rule.account_id),
        rule_id: Set(rule.id),
        subject_id: Set(finding.subject.id()),
        device_id: Set(finding.subject.device_id),
        gateway_id: Set(Some(finding.subject.gateway_id)),
        severity: Set(rule.severity),
        message: Set(format!("{}: {detail}", rule.name)),
        value: Set(Some(value)),
        opened_reading_at: Set(Some(finding.at)),
        state: Set(AlertState::Open),
        opened_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        acknowledge_comment: Set(None),
        resolved_at: Set(None),
        resolved_by: Set(None),
        resolve_comment: Set(None),
        cleared_value: Set(None),
        cleared_reading_at: Set(None),
        notify_due_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    // No conflict target: the partial unique index (one unresolved alert per rule and
    // subject) is what conflicts, on PostgreSQL and SQLite alike.
    let inserted = alert::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(alert::Entity::find_by_id(id).one(db).await?)
}

/// Resolves `alert` because its condition cleared; `None` if it was resolved meanwhile.
async fn clear(
    db: &impl ConnectionTrait,
    alert: &alert::Model,
    finding: &Finding,
    value: Option<f64>,
    now: DateTime<Utc>,
) -> DomainResult<Option<alert::Model>> {
    let done = alert::Entity::update_many()
        .col_expr(alert::Column::State, Expr::value(AlertState::Resolved))
        .col_expr(alert::Column::ResolvedAt, Expr::value(now))
        .col_expr(alert::Column::ClearedValue, Expr::value(value))
        .col_expr(alert::Column::ClearedReadingAt, Expr::value(finding.at))
        .col_expr(alert::Column::NotifyDueAt, Expr::value(now))
        .col_expr(alert::Column::UpdatedAt, Expr::value(now))
        .filter(alert::Column::Id.eq(alert.id))
        .filter(alert::Column::State.ne(AlertState::Resolved))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    Ok(alert::Entity::find_by_id(alert.id).one(db).await?)
}

/// Applies findings (any rules, subjects and order) at `now`; returns what changed, in
/// the order it changed. Safe to call again with the same findings, and from several
/// processes at once.
pub async fn apply_verdicts(
    db: &impl ConnectionTrait,
    findings: Vec<Finding>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<AlertChange>> {
    let mut groups: BTreeMap<(Uuid, Uuid), Vec<Finding>> = BTreeMap::new();
    for f in findings {
        if f.verdict != Verdict::NotApplicable {
            groups
                .entry((f.rule.id, f.subject.id()))
                .or_default()
                .push(f);
        }
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    // One query for every unresolved alert of the rules concerned: the usual batch (all
    // clear, or violating with its alert already open) needs nothing more.
    let mut rule_ids: Vec<Uuid> = groups.keys().map(|(r, _)| *r).collect();
    rule_ids.dedup();
    let mut open_now: HashMap<(Uuid, Uuid), alert::Model> = HashMap::new();
    for chunk in rule_ids.chunks(500) {
        let rows = alert::Entity::find()
            .filter(alert::Column::RuleId.is_in(chunk.iter().copied()))
            .filter(alert::Column::State.ne(AlertState::Resolved))
            .all(db)
            .await?;
        for row in rows {
            open_now.insert((row.rule_id, row.subject_id), row);
        }
    }
    let mut changes = Vec::new();
    for (key, mut group) in groups {
        group.sort_by_key(|f| f.at);
        let mut current = open_now.remove(&key);
        // The latest alert when none is unresolved: loaded once, when a violation needs it.
        let mut last: Option<Option<alert::Model>> = None;
        for finding in &group {
            if let Some(open_alert) = &current {
                if seen_until(open_alert).is_some_and(|seen| finding.at <= seen) {
                    continue;
                }
                if let Verdict::Clear { value } = finding.verdict {
                    if let Some(resolved) = clear(db, open_alert, finding, value, now).await? {
                        changes.push(AlertChange::Resolved(resolved.clone()));
                        last = Some(Some(resolved));
                    } else {
                        last = None;
                    }
                    current = None;
                }
                continue;
            }
            let Verdict::Violates { value, detail } = &finding.verdict else {
                continue;
            };
            if last.is_none() {
                last = Some(latest(db, key.0, key.1).await?);
            }
            if let Some(Some(previous)) = &last {
                if seen_until(previous).is_some_and(|seen| finding.at <= seen) {
                    continue;
                }
                let cooling = previous.state == AlertState::Resolved
                    && previous
                        .resolved_at
                        .is_some_and(|at| now < at + finding.rule.cooldown);
                if cooling {
                    continue;
                }
            }
            match open(db, finding, *value, detail, now).await? {
                Some(opened) => {
                    changes.push(AlertChange::Opened(opened.clone()));
                    current = Some(opened);
                }
                // Someone else opened it meanwhile: that one stands.
                None => current = unresolved(db, key.0, key.1).await?,
            }
        }
    }
    Ok(changes)
}

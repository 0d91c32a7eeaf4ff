//! Alerts raised where readings land: the telemetry writer hands every committed batch
//! here, which judges it against an in-memory index of the accounts' rules (no query per
//! reading; rules change by event) and applies the findings. Silence and completeness
//! are judged by scans on a schedule.
//!
//! Evaluation never costs a reading: the batch is committed before it runs. It is done
//! at least once: every row of a batch is judged, replays included, and applying a
//! finding no newer than the alert it would change does nothing, so a replay after a
//! crash between commit and evaluation raises what was missed and nothing twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tds_bus::{Backoff, Event, EventBus};
use tds_domain::DomainError;
use tds_domain::alerts::{
    self, AlertChange, BucketConsumption, Finding, LandedReading, OpenAlerts, RuleIndex,
};
use tds_entity::AlertState;
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::outbox::{Outbox, OutboxError};
use crate::storage::{self, Failure};

/// Longest wait between attempts while the database is away.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The rule index and what applying findings needs.
#[derive(Clone)]
pub struct Alerting {
    db: DatabaseConnection,
    /// Swapped whole on a change, so judging holds the lock only to clone the `Arc`.
    index: Arc<RwLock<Arc<RuleIndex>>>,
    /// Unresolved alerts, so a batch within its limits is judged without a query. Held
    /// only for in-memory work, never across an await.
    open: Arc<std::sync::RwLock<OpenAlerts>>,
    events: EventBus,
    outbox: Option<Outbox>,
}

impl Alerting {
    /// Loads every account's enabled rules, waiting for the database while it is away.
    pub async fn load(db: DatabaseConnection, events: EventBus) -> Self {
        let index = retrying("rule index not loaded", || RuleIndex::load(&db))
            .await
            .unwrap_or_default();
        let open = retrying("open alerts not loaded", || OpenAlerts::load(&db))
            .await
            .unwrap_or_default();
        tracing::info!(rules = index.len(), "alert rules loaded");
        Self {
            db,
            index: Arc::new(RwLock::new(Arc::new(index))),
            open: Arc::new(std::sync::RwLock::new(open)),
            events,
            outbox: None,
        }
    }

    /// Reads the unresolved alerts again: heals what a missed `AlertChanged` left stale
    /// (the rule scan calls it on every tick).
    pub async fn refresh_open(&self) {
        let db = &self.db;
        if let Some(fresh) = retrying("open alerts not reloaded", || OpenAlerts::load(db)).await {
            *self.open_mut() = fresh;
        }
    }

    /// Follows an alert changed elsewhere (another worker, a person in the api).
    pub fn note_event(&self, event: &Event) {
        if let Event::AlertChanged {
            rule_id,
            device_id,
            gateway_id,
            state,
            ..
        } = event
            && let Some(subject) = device_id.or(*gateway_id)
        {
            self.open_mut()
                .note(*rule_id, subject, state == AlertState::Resolved.as_str());
        }
    }

    fn open_mut(&self) -> std::sync::RwLockWriteGuard<'_, OpenAlerts> {
        // A panic while holding the lock cannot leave the set half-written.
        self.open.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues the notices of every change right after it commits (without an outbox,
    /// changes stay due for whoever sweeps).
    pub fn with_outbox(mut self, outbox: Option<Outbox>) -> Self {
        self.outbox = outbox;
        self
    }

    /// Reloads one account's rules (after `AlertRulesChanged`); the query runs outside
    /// the lock, so writers judging batches never wait on it.
    pub async fn reload_account(&self, account_id: Uuid) {
        let db = &self.db;
        if let Some(fresh) = retrying("alert rules not reloaded", || {
            RuleIndex::load_account(db, account_id)
        })
        .await
        {
            let mut index = self.index.write().await;
            let mut next = RuleIndex::clone(&index);
            next.replace_account(account_id, fresh);
            *index = Arc::new(next);
        }
    }

    /// Reloads every account's rules (after missed change events).
    pub async fn reload_all(&self) {
        let db = &self.db;
        if let Some(fresh) = retrying("alert rules not reloaded", || RuleIndex::load(db)).await {
            *self.index.write().await = Arc::new(fresh);
        }
    }

    /// Whether any enabled rule follows readings: without one, a batch is not judged at
    /// all (not even gathered for judging).
    pub async fn watches_readings(&self) -> bool {
        !self.index.read().await.is_empty()
    }

    /// Judges committed readings and applies what was found.
    pub async fn judge(
        &self,
        landed: &[LandedReading],
        known: Option<&BucketConsumption>,
        now: DateTime<Utc>,
    ) {
        let index = self.index.read().await.clone();
        if index.is_empty() || landed.is_empty() {
            return;
        }
        let started = std::time::Instant::now();
        self.judge_with(&index, landed, known, now).await;
        // What judging adds to the write path (`tds bench ingest` reports it per message).
        metrics::histogram!("tds_alert_judging_seconds").record(started.elapsed().as_secs_f64());
    }

    async fn judge_with(
        &self,
        index: &RuleIndex,
        landed: &[LandedReading],
        known: Option<&BucketConsumption>,
        now: DateTime<Utc>,
    ) {
        let db = &self.db;
        let Some(consumption) = retrying("readings not judged", || {
            alerts::consumption_for(db, index, landed, known)
        })
        .await
        else {
            return;
        };
        let findings = {
            let open = self.open.read().unwrap_or_else(|e| e.into_inner());
            alerts::findings_of(index, &open, landed, &consumption)
        };
        self.apply(findings, now).await;
    }

    /// Gateways and devices silent past their rules' limits (and those heard again).
    pub async fn scan_silence(&self, now: DateTime<Utc>) {
        let db = &self.db;
        if let Some(findings) =
            retrying("silence not scanned", || alerts::silent_subjects(db, now)).await
        {
            self.apply(findings, now).await;
        }
    }

    /// The completeness of each account's last finished day.
    pub async fn scan_completeness(&self, now: DateTime<Utc>) {
        let db = &self.db;
        if let Some(findings) = retrying("completeness not scanned", || {
            alerts::completeness_of_last_day(db, now)
        })
        .await
        {
            self.apply(findings, now).await;
        }
    }

    async fn apply(&self, findings: Vec<Finding>, now: DateTime<Utc>) {
        if findings.is_empty() {
            return;
        }
        let db = &self.db;
        let Some(changes) = retrying("alert findings not applied", || {
            alerts::apply_verdicts(db, findings.clone(), now)
        })
        .await
        else {
            return;
        };
        // Once the queue fails, the rest waits for the sweep rather than a timeout each.
        let mut outbox = self.outbox.as_ref();
        for change in &changes {
            let alert = change.alert();
            self.open_mut().note(
                alert.rule_id,
                alert.subject_id,
                alert.state == AlertState::Resolved,
            );
            match change {
                AlertChange::Opened(_) => {
                    tracing::info!(alert = %alert.id, rule = %alert.rule_id, severity = alert.severity.as_str(), "alert opened")
                }
                AlertChange::Resolved(_) => {
                    tracing::info!(alert = %alert.id, rule = %alert.rule_id, "alert resolved")
                }
            }
            // The change is committed; a lost event only delays a live view.
            if let Err(e) = self.events.publish(&Event::alert_changed(alert, now)).await {
                tracing::warn!(error = %e, "alert change not announced");
            }
            if let (Some(queueing), Some(due_at)) = (outbox, alert.notify_due_at)
                && let Err(e) = queueing.queue_change(alert.id, due_at).await
            {
                tracing::warn!(alert = %alert.id, error = %e, "alert notices left for the outbox sweep");
                if matches!(e, OutboxError::Queue(_)) {
                    outbox = None;
                }
            }
        }
    }
}

/// Runs `attempt` until it succeeds, waiting while the database is unreachable; another
/// failure is logged with `what` and gives `None` (nothing the caller could retry).
async fn retrying<T, F, Fut>(what: &str, mut attempt: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, DomainError>>,
{
    let mut backoff = Backoff::new(Duration::from_millis(50), MAX_BACKOFF);
    loop {
        match attempt().await {
            Ok(value) => return Some(value),
            Err(DomainError::Database(e)) if storage::classify(&e) == Failure::Unavailable => {
                tracing::debug!(error = %e, what, "database unavailable; retrying");
                backoff.wait().await;
            }
            Err(e) => {
                tracing::error!(error = %e, what);
                return None;
            }
        }
    }
}

//! Events: what happened, for live subscriptions and cache invalidation.
//!
//! With Redis every process publishes to one channel and hears every other process, so
//! several api replicas all deliver; in-process mode is a plain broadcast channel.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::health::Readiness;
use uuid::Uuid;

/// A reading as subscribers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingEvent {
    /// Gateway it came through.
    pub gateway_id: Uuid,
    /// Device it belongs to.
    pub device_id: Uuid,
    /// Measurement time.
    pub time: DateTime<Utc>,
    /// Value.
    pub value: f64,
    /// Unit.
    pub unit: String,
}

/// Something subscribers or caches care about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// Readings committed for one account (one event per account per write batch).
    Readings {
        /// Owner.
        account_id: Uuid,
        /// The new readings.
        readings: Vec<ReadingEvent>,
    },
    /// A gateway went online or offline.
    GatewayStatus {
        /// Owner.
        account_id: Uuid,
        /// Which gateway.
        gateway_id: Uuid,
        /// Now online?
        online: bool,
        /// When the change was noticed.
        at: DateTime<Utc>,
    },
    /// Gateways or devices changed: caches keyed by MAC must forget this one.
    FleetChanged {
        /// MAC of the gateway concerned.
        gateway_mac: String,
    },
    /// A certificate renewal was scheduled outside the night ("renew now"): the
    /// certificate workers publish it now instead of at their next poll.
    RenewalScheduled {
        /// The renewal.
        renewal_id: Uuid,
    },
    /// An alert was opened, acknowledged or resolved (the `alerts` subscription).
    AlertChanged {
        /// Owner.
        account_id: Uuid,
        /// The gateway the alert is about (or the gateway of its device).
        gateway_id: Option<Uuid>,
        /// The device the alert is about, if any.
        device_id: Option<Uuid>,
        /// The alert.
        alert_id: Uuid,
        /// Its rule.
        rule_id: Uuid,
        /// Its state now: `OPEN`, `ACKNOWLEDGED` or `RESOLVED`.
        state: String,
        /// Its severity: `INFO`, `WARNING` or `CRITICAL`.
        severity: String,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// A report was queued, made progress, finished or failed (the `reportStatus`
    /// subscription).
    ReportChanged {
        /// Owner.
        account_id: Uuid,
        /// The report.
        report_id: Uuid,
        /// Its state now: `QUEUED`, `RUNNING`, `DONE` or `FAILED`.
        state: String,
        /// Percent done.
        progress: i32,
        /// When it changed.
        at: DateTime<Utc>,
    },
    /// Alert rules of an account were created, changed or deleted: the telemetry workers
    /// reload that account's rules.
    AlertRulesChanged {
        /// Owner.
        account_id: Uuid,
    },
    /// Who may do what changed (a role, a removal, a licence, a user switched off): live
    /// sessions of this account and/or user re-check themselves now. `None` matches all.
    AccessChanged {
        /// The account concerned, or every account.
        account_id: Option<Uuid>,
        /// The user concerned, or every user.
        user_id: Option<Uuid>,
    },
}

impl Event {
    /// The announcement of an alert as it is now (opened, acknowledged, resolved).
    pub fn alert_changed(alert: &tds_entity::alert::Model, at: DateTime<Utc>) -> Self {
        Event::AlertChanged {
            account_id: alert.account_id,
            gateway_id: alert.gateway_id,
            device_id: alert.device_id,
            alert_id: alert.id,
            rule_id: alert.rule_id,
            state: alert.state.as_str().to_owned(),
            severity: alert.severity.as_str().to_owned(),
            at,
        }
    }

    /// The event announcing a report's state.
    pub fn report_changed(report: &tds_entity::report::Model, at: DateTime<Utc>) -> Self {
        Event::ReportChanged {
            account_id: report.account_id,
            report_id: report.id,
            state: report.state.as_str().to_owned(),
            progress: report.progress,
            at,
        }
    }

    /// The account an event belongs to, if any.
    pub fn account_id(&self) -> Option<Uuid> {
        match self {
            Event::Readings { account_id, .. }
            | Event::GatewayStatus { account_id, .. }
            | Event::AlertChanged { account_id, .. }
            | Event::ReportChanged { account_id, .. }
            | Event::AlertRulesChanged { account_id } => Some(*account_id),
            Event::AccessChanged { account_id, .. } => *account_id,
            Event::FleetChanged { .. } | Event::RenewalScheduled { .. } => None,
        }
    }
}

/// Events could not be published (or Redis could not be reached).
#[derive(Debug, thiserror::Error)]
#[error("event bus: {0}")]
pub struct BusError(String);

impl BusError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Publish and subscribe.
#[derive(Clone)]
pub struct EventBus {
    local: broadcast::Sender<Arc<Event>>,
    redis: Option<(redis::aio::ConnectionManager, String)>,
}

/// Readiness name of the event subscription.
pub const EVENTS_CHECK: &str = "events";

/// Buffer of each subscriber; a subscriber that falls further behind skips events.
const SUBSCRIBER_BUFFER: usize = 4096;

impl EventBus {
    /// Events stay in this process.
    pub fn in_process() -> Self {
        Self {
            local: broadcast::channel(SUBSCRIBER_BUFFER).0,
            redis: None,
        }
    }

    /// Events go through the Redis channel `channel`; returns once subscribed, so nothing
    /// published afterwards is missed. The listener reconnects by itself.
    pub async fn redis(url: &str, channel: &str) -> Result<Self, BusError> {
        Self::redis_reporting(url, channel, &Readiness::default()).await
    }

    /// As [`EventBus::redis`], reporting the subscription's state to `readiness` (as
    /// [`EVENTS_CHECK`], not required: without events the api still answers, only live
    /// updates pause).
    pub async fn redis_reporting(
        url: &str,
        channel: &str,
        readiness: &Readiness,
    ) -> Result<Self, BusError> {
        let client = redis::Client::open(url).map_err(|e| BusError(e.to_string()))?;
        let publisher = crate::queue::redis_connection(url)
            .await
            .map_err(|e| BusError(format!("cannot reach Redis at {url}: {e}")))?;
        let local = broadcast::channel(SUBSCRIBER_BUFFER).0;
        let mut pubsub = client
            .get_async_pubsub()
            .await
            .map_err(|e| BusError(e.to_string()))?;
        pubsub
            .subscribe(channel)
            .await
            .map_err(|e| BusError(e.to_string()))?;
        readiness.expect(EVENTS_CHECK, false);
        readiness.up(EVENTS_CHECK);
        tokio::spawn(listen(
            client,
            channel.to_owned(),
            pubsub,
            local.clone(),
            readiness.clone(),
        ));
        Ok(Self {
            local,
            redis: Some((publisher, channel.to_owned())),
        })
    }

    /// Publishes an event to every subscriber of every process.
    pub async fn publish(&self, event: &Event) -> Result<(), BusError> {
        match &self.redis {
            None => {
                // No subscriber is not an error.
                let _ = self.local.send(Arc::new(event.clone()));
                Ok(())
            }
            Some((conn, channel)) => {
                let payload = serde_json::to_vec(event).map_err(|e| BusError(e.to_string()))?;
                let mut conn = conn.clone();
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<i64>(&mut conn)
                    .await
                    .map(|_| ())
                    .map_err(|e| BusError(e.to_string()))
            }
        }
    }

    /// A stream of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    mut pubsub: redis::aio::PubSub,
    local: broadcast::Sender<Arc<Event>>,
    readiness: Readiness,
) {
    let mut backoff = crate::Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        {
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                match serde_json::from_slice::<Event>(message.get_payload_bytes()) {
                    Ok(event) => {
                        let _ = local.send(Arc::new(event));
                    }
                    Err(e) => tracing::warn!(error = %e, "ignoring an unreadable event"),
                }
            }
        }
        // Events published meanwhile are missed: caches expire by themselves, live
        // subscriptions resume with the next event.
        readiness.down(EVENTS_CHECK, "event subscription lost");
        loop {
            backoff.wait().await;
            match client.get_async_pubsub().await {
                Ok(mut fresh) => {
                    if fresh.subscribe(&channel).await.is_ok() {
                        pubsub = fresh;
                        backoff.reset();
                        readiness.up(EVENTS_CHECK);
                        break;
                    }
                }
                Err(e) => readiness.down(EVENTS_CHECK, &e.to_string()),
            }
        }
    }
}

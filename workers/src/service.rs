//! The workers deployable: telemetry consumer, offline scan, cache invalidation, and the
//! certificate worker (nightly renewal).

use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tds_bus::{Event, EventBus, Readiness, TelemetryQueue};

use crate::alerting::Alerting;
use crate::consumer::Consumer;
use crate::fleet::FleetCache;
use crate::pipeline::{DATABASE_CHECK, TelemetryPipeline};
use crate::telemetry::TelemetryWriter;

/// Knobs of the workers service.
#[derive(Debug, Clone)]
pub struct WorkersConfig {
    /// Worker name in the queue (stable per replica, so a restarted replica reclaims its jobs).
    pub name: String,
    /// Jobs handled at once (they are combined into shared transactions).
    pub concurrency: usize,
    /// Transactions written in parallel (each on its own database connection).
    pub writers: usize,
    /// How often silent gateways are looked for.
    pub offline_scan_every: Duration,
    /// Multiple of a gateway's reporting interval it may stay silent.
    pub offline_grace: f64,
    /// The certificate worker (nightly renewal, acks, CSRs); none without a broker.
    pub renewals: Option<crate::renewals::RenewalConfig>,
    /// How often silent gateways and devices are judged against their alert rules.
    pub alert_scan_every: Duration,
    /// Where the workers report their queue and database (for `/readyz`).
    pub readiness: Readiness,
}

impl WorkersConfig {
    /// Defaults for replica `instance`.
    pub fn new(instance: &str) -> Self {
        Self {
            name: format!("telemetry-{instance}"),
            concurrency: 64,
            writers: 2,
            offline_scan_every: Duration::from_secs(15),
            offline_grace: 2.5,
            renewals: None,
            alert_scan_every: Duration::from_secs(30),
            readiness: Readiness::default(),
        }
    }
}

/// Runs the workers until `shutdown` resolves, reporting their dependencies to the
/// config's `readiness`. Each loop outlives its dependency's outages.
pub async fn run(
    config: WorkersConfig,
    db: DatabaseConnection,
    queue: TelemetryQueue,
    events: EventBus,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let fleet = FleetCache::default();
    let mut changes = events.subscribe();
    let cache = fleet.clone();
    let renewal_requests = std::sync::Arc::new(tokio::sync::Notify::new());
    let requested = renewal_requests.clone();
    let invalidation = tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(event) => match event.as_ref() {
                    Event::FleetChanged { gateway_mac } => cache.invalidate(gateway_mac).await,
                    Event::RenewalScheduled { .. } => requested.notify_one(),
                    _ => {}
                },
                // Missed events: entries still expire by themselves.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
    });
    let (scan_db, scan_events, scan_readiness) =
        (db.clone(), events.clone(), config.readiness.clone());
    let scan = tokio::spawn(async move {
        let mut every = tokio::time::interval(config.offline_scan_every);
        loop {
            every.tick().await;
            // Also keeps the database's readiness true while no telemetry is written.
            match tds_domain::db::ping(&scan_db).await {
                Ok(()) => scan_readiness.up(DATABASE_CHECK),
                Err(e) => {
                    scan_readiness.down(DATABASE_CHECK, &e.to_string());
                    continue;
                }
            }
            if let Err(e) = crate::offline::mark_silent_gateways(
                &scan_db,
                &scan_events,
                config.offline_grace,
                Utc::now(),
            )
            .await
            {
                tracing::warn!(error = %e, "offline scan failed");
            }
        }
    });
    let mut vacuum_queue = queue.clone();
    let vacuum = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(30));
        loop {
            every.tick().await;
            match vacuum_queue.vacuum().await {
                Ok(removed) => tracing::debug!(removed, "finished jobs vacuumed"),
                Err(e) => tracing::warn!(error = %e, "queue vacuum failed"),
            }
        }
    });
    let (stop_renewals, renewals_stopped) = tokio::sync::oneshot::channel::<()>();
    let renewals = config.renewals.clone().map(|mut renewals| {
        renewals.link.readiness = config.readiness.clone();
        let db = db.clone();
        tokio::spawn(async move {
            let stopped = async {
                let _ = renewals_stopped.await;
            };
            if let Err(e) = crate::renewals::run(renewals, db, renewal_requests, stopped).await {
                tracing::error!(error = %e, "certificate worker stopped");
            }
        })
    });
    let alerting = Alerting::load(db.clone(), events.clone()).await;
    let reload = alerting.clone();
    let mut rule_changes = events.subscribe();
    let rules_watch = tokio::spawn(async move {
        loop {
            match rule_changes.recv().await {
                Ok(event) => {
                    if let Event::AlertRulesChanged { account_id } = event.as_ref() {
                        reload.reload_account(*account_id).await;
                    }
                }
                // Missed changes: reload everything the next time one arrives is not
                // enough, so reload every account now.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    reload.reload_all().await;
                }
                Err(_) => return,
            }
        }
    });
    let silence = alerting.clone();
    let silence_every = config.alert_scan_every;
    let silence_scan = tokio::spawn(async move {
        let mut every = tokio::time::interval(silence_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            silence.scan_silence(Utc::now()).await;
        }
    });
    let pipeline = TelemetryPipeline::start(
        TelemetryWriter::new(db, fleet, events).with_alerting(alerting),
        config.writers,
        config.readiness.clone(),
    );
    let consumer = Consumer {
        name: config.name.clone(),
        queue,
        pipeline,
        concurrency: config.concurrency,
        readiness: config.readiness.clone(),
    };
    consumer.run(shutdown).await;
    invalidation.abort();
    rules_watch.abort();
    silence_scan.abort();
    scan.abort();
    vacuum.abort();
    let _ = stop_renewals.send(());
    if let Some(renewals) = renewals {
        let _ = renewals.await;
    }
}

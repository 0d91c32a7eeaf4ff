//! The workers deployable: the telemetry consumer, the notification and report workers
//! on their queues, and one apalis monitor running the job kinds of the registry
//! (`tds_bus::JobKind`) on a clock: rule scans, the alert outbox sweep, the offline scan,
//! the queue vacuum and report schedules, with graceful shutdown.
//!
//! The queue workers stay outside the monitor, next to it: apalis's monitor restarts a
//! worker that failed, but not one whose poll loop ended cleanly nor one that stopped
//! polling without ending. Each runs under a loop of its own that notices both, says so
//! at WARN and starts a new one (`crate::supervise`). The telemetry consumer's loop
//! (`crate::consumer`) also hands back the jobs an ended worker held and notices a Redis
//! restart that lost acknowledgements, which would otherwise leave telemetry jobs stuck
//! "in flight"; for notifications and reports a job whose attempt was lost is done again.
//! The certificate worker keeps its own loop too: it lives on an MQTT connection, not on
//! a queue.

use std::time::Duration;

use apalis::prelude::*;
use apalis_core::backend::ext::BackendExt;
use apalis_cron::Tick;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tds_bus::JobBackend;
use tds_bus::{Event, EventBus, JobKind, NotificationQueue, PollEvery, Readiness, TelemetryQueue};

use crate::alerting::Alerting;
use crate::consumer::Consumer;
use crate::fleet::FleetCache;
use crate::notifications::NotificationsConfig;
use crate::outbox::Outbox;
use crate::pipeline::{DATABASE_CHECK, TelemetryPipeline};
use crate::reports::{ReportContext, ReportsConfig};
use crate::schedule::Every;
use crate::supervise::{Lifeline, stall_after, supervise};
use crate::telemetry::TelemetryWriter;
use futures::FutureExt;

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
    /// How often silence and completeness are judged against the alert rules.
    pub alert_scan_every: Duration,
    /// How often alert changes whose notices are not queued yet are looked for.
    pub outbox_sweep_every: Duration,
    /// How often finished jobs are removed from the queues.
    pub vacuum_every: Duration,
    /// The notification worker; none without a notification queue.
    pub notifications: Option<NotificationsConfig>,
    /// The report worker and report schedules; none without a report queue.
    pub reports: Option<ReportsConfig>,
    /// How often report schedules are looked at.
    pub report_schedule_every: Duration,
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
            outbox_sweep_every: Duration::from_secs(5),
            vacuum_every: Duration::from_secs(30),
            notifications: None,
            reports: None,
            report_schedule_every: Duration::from_secs(30),
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
    let outbox = config
        .notifications
        .as_ref()
        .map(|n| Outbox::new(db.clone(), n.queue.clone()));
    let alerting = Alerting::load(db.clone(), events.clone())
        .await
        .with_outbox(outbox.clone());
    let (stop_monitor, monitor_stopped) = tokio::sync::watch::channel(false);
    let scheduled = Scheduled {
        alerting: alerting.clone(),
        outbox,
        db: db.clone(),
        events: events.clone(),
    };
    let queue_workers = queue_workers(&config, &scheduled, monitor_stopped.clone());
    let monitor = tokio::spawn(
        jobs_monitor(
            &config,
            db.clone(),
            queue.clone(),
            events.clone(),
            scheduled,
        )
        .run_with_signal(async move {
            let mut stopped = monitor_stopped;
            let _ = stopped.wait_for(|s| *s).await;
            Ok(())
        }),
    );
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
    let reload = alerting.clone();
    let mut rule_changes = events.subscribe();
    let rules_watch = tokio::spawn(async move {
        loop {
            match rule_changes.recv().await {
                Ok(event) => match event.as_ref() {
                    Event::AlertRulesChanged { account_id } => {
                        reload.reload_account(*account_id).await
                    }
                    alert @ Event::AlertChanged { .. } => reload.note_event(alert),
                    _ => {}
                },
                // Missed changes: reload everything the next time one arrives is not
                // enough, so reload every account now.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    reload.reload_all().await;
                    reload.refresh_open().await;
                }
                Err(_) => return,
            }
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
    let _ = stop_monitor.send(true);
    match monitor.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "job monitor stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "job monitor panicked"),
    }
    for worker in queue_workers {
        if let Err(e) = worker.await
            && e.is_panic()
        {
            tracing::warn!(error = %e, "job worker panicked");
        }
    }
    let _ = stop_renewals.send(());
    if let Some(renewals) = renewals {
        let _ = renewals.await;
    }
}

/// What the periodic maintenance jobs need.
#[derive(Clone)]
struct Maintenance {
    db: DatabaseConnection,
    events: EventBus,
    readiness: Readiness,
    grace: f64,
    telemetry: TelemetryQueue,
    notifications: Option<NotificationQueue>,
    reports: Option<tds_bus::ReportQueue>,
}

/// [`JobKind::OfflineScan`]: marks silent gateways offline.
async fn offline_scan(_: Tick, m: Data<Maintenance>) -> Result<(), BoxDynError> {
    // Also keeps the database's readiness true while no telemetry is written.
    match tds_domain::db::ping(&m.db).await {
        Ok(()) => m.readiness.up(DATABASE_CHECK),
        Err(e) => {
            m.readiness.down(DATABASE_CHECK, &e.to_string());
            return Ok(());
        }
    }
    if let Err(e) =
        crate::offline::mark_silent_gateways(&m.db, &m.events, m.grace, Utc::now()).await
    {
        tracing::warn!(error = %e, "offline scan failed");
    }
    // Jobs waiting or held (what an autoscaler watches).
    if let Ok(depth) = m.telemetry.clone().backlog().await {
        metrics::gauge!("tds_queue_depth", "queue" => JobKind::TelemetryBatch.name())
            .set(depth as f64);
    }
    crate::job_ran(JobKind::OfflineScan, "ok");
    Ok(())
}

/// What the alert jobs on a clock need.
#[derive(Clone)]
struct Scheduled {
    alerting: Alerting,
    outbox: Option<Outbox>,
    db: DatabaseConnection,
    events: EventBus,
}

/// [`JobKind::RuleScan`]: silence, and each account's last finished day's completeness.
async fn rule_scan(_: Tick, s: Data<Scheduled>) -> Result<(), BoxDynError> {
    let now = Utc::now();
    s.alerting.refresh_open().await;
    s.alerting.scan_silence(now).await;
    s.alerting.scan_completeness(now).await;
    crate::job_ran(JobKind::RuleScan, "ok");
    Ok(())
}

/// [`JobKind::AlertOutbox`]: queues the notices of alert changes nobody queued (the
/// queue was away, the process that made the change stopped, a person resolved it).
async fn alert_outbox(_: Tick, s: Data<Scheduled>) -> Result<(), BoxDynError> {
    let Some(outbox) = &s.outbox else {
        return Ok(());
    };
    // Changes of the last seconds are left to the process queueing them right now.
    let until = Utc::now() - chrono::Duration::seconds(2);
    match outbox.sweep(until, 500).await {
        Ok(0) => {}
        Ok(queued) => tracing::info!(queued, "alert notices queued by the outbox sweep"),
        Err(e) => tracing::warn!(error = %e, "alert outbox sweep failed"),
    }
    crate::job_ran(JobKind::AlertOutbox, "ok");
    Ok(())
}

/// [`JobKind::QueueVacuum`]: removes finished jobs from the queues, and stored files
/// (reports, bundles) past their expiry.
async fn queue_vacuum(_: Tick, m: Data<Maintenance>) -> Result<(), BoxDynError> {
    match tds_domain::files::delete_expired_files(&m.db, Utc::now()).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "expired files deleted"),
        Err(e) => tracing::warn!(error = %e, "expired files not deleted"),
    }
    match m.telemetry.clone().vacuum().await {
        Ok(removed) => tracing::debug!(removed, "finished telemetry jobs vacuumed"),
        Err(e) => tracing::warn!(error = %e, "telemetry queue vacuum failed"),
    }
    if let Some(queue) = &m.notifications {
        match queue.clone().vacuum().await {
            Ok(removed) => tracing::debug!(removed, "finished notifications vacuumed"),
            Err(e) => tracing::warn!(error = %e, "notification queue vacuum failed"),
        }
    }
    // Finished report jobs are acknowledged (their results kept) until vacuumed here.
    if let Some(queue) = &m.reports {
        match queue.clone().vacuum().await {
            Ok(removed) => tracing::debug!(removed, "finished report jobs vacuumed"),
            Err(e) => tracing::warn!(error = %e, "report queue vacuum failed"),
        }
    }
    crate::job_ran(JobKind::QueueVacuum, "ok");
    Ok(())
}

/// The notification and report workers, each on its queue under its own supervision
/// (see the module comment), until `stopping` turns true.
fn queue_workers(
    config: &WorkersConfig,
    scheduled: &Scheduled,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    // The builder chain is the same for every queue and storage, but their types differ.
    macro_rules! supervised {
        ($storage:expr, $name:expr, $heartbeat:expr, $data:expr, $concurrency:expr, $handler:path) => {{
            let (storage, name, data, concurrency) = ($storage, $name, $data, $concurrency);
            let stopped = stopping.clone();
            let worker = name.clone();
            tokio::spawn(supervise(
                name,
                stall_after($heartbeat),
                stopping.clone(),
                move |_, lifeline: &Lifeline| {
                    WorkerBuilder::new(worker.as_str())
                        .backend(
                            storage
                                .clone()
                                .poll_with_strategy(PollEvery::new(QUEUE_POLL)),
                        )
                        .data(data.clone())
                        .concurrency(concurrency)
                        .on_event(lifeline.listener())
                        .build($handler)
                        .run_with_ctx(lifeline.until(stopped.clone()))
                        .boxed()
                },
            ))
        }};
    }
    let mut workers = Vec::new();
    if let Some(notifications) = config.notifications.clone() {
        let name = notifications.name.clone();
        let heartbeat = notifications.queue.heartbeat();
        let concurrency = notifications.concurrency.max(1);
        workers.push(match notifications.queue.backend().clone() {
            JobBackend::Redis(storage) => supervised!(
                storage,
                name,
                heartbeat,
                notifications,
                concurrency,
                crate::notifications::handle
            ),
            JobBackend::Sqlite(storage) => supervised!(
                storage,
                name,
                heartbeat,
                notifications,
                concurrency,
                crate::notifications::handle
            ),
        });
    }
    if let Some(reports) = config.reports.clone() {
        let context = report_context(scheduled, &reports);
        let heartbeat = reports.queue.heartbeat();
        let concurrency = reports.concurrency.max(1);
        workers.push(match reports.queue.backend().clone() {
            JobBackend::Redis(storage) => supervised!(
                storage,
                reports.name.clone(),
                heartbeat,
                context,
                concurrency,
                crate::reports::handle
            ),
            JobBackend::Sqlite(storage) => supervised!(
                storage,
                reports.name.clone(),
                heartbeat,
                context,
                concurrency,
                crate::reports::handle
            ),
        });
    }
    workers
}

/// What the report worker and the report schedules need.
fn report_context(scheduled: &Scheduled, reports: &ReportsConfig) -> ReportContext {
    ReportContext {
        db: scheduled.db.clone(),
        events: scheduled.events.clone(),
        mail: reports.mail.clone(),
    }
}

/// One monitor for the job kinds run here on a clock. A worker that fails is started
/// again.
fn jobs_monitor(
    config: &WorkersConfig,
    db: DatabaseConnection,
    telemetry: TelemetryQueue,
    events: EventBus,
    scheduled: Scheduled,
) -> Monitor {
    let scheduled = &scheduled;
    let maintenance = Maintenance {
        db,
        events,
        readiness: config.readiness.clone(),
        grace: config.offline_grace,
        telemetry,
        notifications: config.notifications.as_ref().map(|n| n.queue.clone()),
        reports: config.reports.as_ref().map(|r| r.queue.clone()),
    };
    let mut monitor = Monitor::new().should_restart(|worker, error| {
        tracing::warn!(worker = %worker.name(), %error, "job worker failed; starting it again");
        true
    });
    let (scan, every) = (maintenance.clone(), config.offline_scan_every);
    monitor = monitor.register(move |_| {
        WorkerBuilder::new(JobKind::OfflineScan.name())
            .backend(Every::scheduler(every))
            .data(scan.clone())
            .build(offline_scan)
    });
    let (scan, every) = (scheduled.clone(), config.alert_scan_every);
    monitor = monitor.register(move |_| {
        WorkerBuilder::new(JobKind::RuleScan.name())
            .backend(Every::scheduler(every))
            .data(scan.clone())
            .build(rule_scan)
    });
    if scheduled.outbox.is_some() {
        let (sweep, every) = (scheduled.clone(), config.outbox_sweep_every);
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(JobKind::AlertOutbox.name())
                .backend(Every::scheduler(every))
                .data(sweep.clone())
                .build(alert_outbox)
        });
    }
    let (vacuum, every) = (maintenance, config.vacuum_every);
    monitor = monitor.register(move |_| {
        WorkerBuilder::new(JobKind::QueueVacuum.name())
            .backend(Every::scheduler(every))
            .data(vacuum.clone())
            .build(queue_vacuum)
    });
    if let Some(reports) = config.reports.clone() {
        let context = report_context(scheduled, &reports);
        let (due, every) = (
            crate::report_runs::ReportScheduling {
                db: scheduled.db.clone(),
                queue: reports.queue.clone(),
                context: context.clone(),
            },
            config.report_schedule_every,
        );
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(JobKind::ReportSchedule.name())
                .backend(Every::scheduler(every))
                .data(due.clone())
                .build(crate::report_runs::report_schedule)
        });
    }
    monitor
}

/// How often a queue worker looks for due jobs (retries become due without a push to
/// wake it).
const QUEUE_POLL: Duration = Duration::from_millis(250);

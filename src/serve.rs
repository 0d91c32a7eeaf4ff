//! `tds serve`: api, ingest and workers from settings, in one process or each alone.
//! With a SQLite queue file (`TDS_QUEUE_URL=sqlite://…`, what `tds demo` uses) the queues
//! and events stay inside the process and no Redis is needed.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use tds_bus::{EventBus, QueueConfig, TelemetryQueue};
use tds_domain::auth::TokenKeys;
use tds_domain::config::Settings;
use tds_graphql::ApiState;
use tds_ingest::IngestConfig;
use tds_workers::service::WorkersConfig;

/// The token keys of `tds serve`: only from `TDS_JWT_SECRET` (32 bytes or more), so
/// tokens work on every replica and across restarts. (A single-machine mode may instead
/// pass keys from a secret it keeps in its data directory, `auth::generate_secret`.)
pub fn serve_token_keys(settings: &Settings) -> anyhow::Result<TokenKeys> {
    let ttl = chrono::Duration::hours(settings.api.token_ttl_hours);
    Ok(TokenKeys::from_secret(
        settings.api.jwt_secret.as_deref(),
        ttl,
    )?)
}

/// Builds what the api needs from settings, with token keys, sign-in counters and the
/// e-mail queue (none: invitations are not e-mailed) chosen by the caller.
pub fn api_state(
    settings: &Settings,
    db: sea_orm::DatabaseConnection,
    events: EventBus,
    keys: TokenKeys,
    counters: tds_bus::WindowCounters,
    notifications: Option<tds_bus::NotificationQueue>,
) -> anyhow::Result<ApiState> {
    let auth = tds_graphql::AuthState {
        login_limits: settings.auth.login_limits(),
        counters,
        session_recheck: settings
            .auth
            .session_recheck()
            .map_err(anyhow::Error::msg)?,
        trusted_proxies: settings
            .auth
            .trusted_proxies()
            .map_err(anyhow::Error::msg)?,
        expensive: settings.expensive.limits(),
    };
    // The CA is optional: without one, certificate mutations explain how to create it.
    let pki = tds_certs::load_ca(&settings.platform.data_dir)
        .ok()
        .map(std::sync::Arc::new);
    let crl_paths = crl_paths(settings);
    Ok(ApiState {
        db,
        keys,
        events,
        pki,
        crl_paths,
        renewal_policy: tds_domain::renewals::RenewalPolicy::from_settings(settings)
            .unwrap_or_default(),
        introspection: settings.api.graphql_introspection,
        auth,
        notifications,
        reports: None,
        persisted_queries: usize::try_from(settings.api.persisted_queries).unwrap_or(usize::MAX),
    })
}

/// CORS and GET caching of the api, from the settings.
pub fn http_options(settings: &Settings) -> anyhow::Result<tds_api::HttpOptions> {
    let origins = settings.api.cors_origins().map_err(anyhow::Error::msg)?;
    let max_age = std::time::Duration::from_secs(settings.api.cors_max_age_s);
    Ok(tds_api::HttpOptions {
        cors: tds_api::CorsPolicy::new(&origins, max_age)?,
        get_max_age: std::time::Duration::from_secs(settings.api.graphql_get_max_age_s),
    })
}

/// The platform's client identity for `mqtts://`, when all three files are set.
fn mqtt_identity(settings: &Settings) -> Option<tds_ingest::TlsFiles> {
    match (
        &settings.broker.ca_file,
        &settings.broker.cert_file,
        &settings.broker.key_file,
    ) {
        (Some(ca), Some(cert), Some(key)) => Some(tds_ingest::TlsFiles {
            ca: ca.clone(),
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    }
}

/// Where the CRL is kept current: the CA directory and, if set, the broker's.
fn crl_paths(settings: &Settings) -> Vec<std::path::PathBuf> {
    let mut paths = vec![settings.platform.data_dir.join("pki").join("crl.pem")];
    paths.extend(settings.broker.dir.as_ref().map(|d| d.join("crl.pem")));
    paths
}

/// The certificate worker's configuration from the settings.
fn renewal_config(settings: &Settings) -> anyhow::Result<tds_workers::renewals::RenewalConfig> {
    let policy =
        tds_domain::renewals::RenewalPolicy::from_settings(settings).map_err(anyhow::Error::msg)?;
    let mut link = tds_workers::renewals::LinkConfig::new(
        &settings.broker.mqtt_url,
        &settings.platform.instance,
    );
    link.tls = mqtt_identity(settings);
    link.share_group = settings.renewals_share_group();
    Ok(tds_workers::renewals::RenewalConfig {
        policy,
        link,
        data_dir: settings.platform.data_dir.clone(),
        crl_paths: crl_paths(settings),
        poll: std::time::Duration::from_secs(settings.renewal.poll_s.max(1)),
        name: format!("renewal-night-{}", settings.platform.instance),
    })
}

/// The notification worker's configuration from the settings: e-mail only when
/// `SMTP_URL` is set (e-mail notifications then fail for good, and say why).
async fn notifications_config(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<tds_workers::notifications::NotificationsConfig> {
    let mailer = settings
        .notify
        .smtp_url
        .as_deref()
        .map(|url| tds_notify::Mailer::from_url(url, &settings.notify.mail_from))
        .transpose()?;
    let queue = tds_bus::NotificationQueue::connect(&QueueConfig::new(
        &settings.queue_url(),
        &settings.queue.notifications,
    ))
    .await?;
    Ok(tds_workers::notifications::NotificationsConfig {
        name: format!("notifications-{}", settings.platform.instance),
        queue,
        notifier: std::sync::Arc::new(tds_notify::Notifier {
            mailer,
            webhooks: tds_notify::WebhookSender::new(settings.notify.webhook_allow_private)?,
            links: tds_notify::Links::new(&settings.notify.public_url),
            retry: tds_notify::RetryPolicy::default(),
        }),
        log: std::sync::Arc::new(tds_workers::notifications::DeliveryRecords::new(db.clone())),
        concurrency: 8,
        report_files: Some(db.clone()),
    })
}

/// The queue of report jobs (the api pushes, the workers build).
async fn report_queue(settings: &Settings) -> anyhow::Result<tds_bus::ReportQueue> {
    Ok(tds_bus::ReportQueue::connect(&QueueConfig::new(
        &settings.queue_url(),
        &settings.queue.reports,
    ))
    .await?)
}

/// The services `tds serve` can run.
pub const SERVICES: [&str; 3] = ["api", "ingest", "workers"];

/// Runs the `only` services (all when empty) until `shutdown` resolves or one of them
/// fails; then stops the rest, giving them 20 s.
pub async fn serve(
    settings: Settings,
    only: Vec<String>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let wanted: Vec<String> = if only.is_empty() {
        SERVICES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        only
    };
    if let Some(unknown) = wanted.iter().find(|s| !SERVICES.contains(&s.as_str())) {
        bail!("--only: unknown service '{unknown}' (expected api, ingest, workers)");
    }
    let runs = |name: &str| wanted.iter().any(|s| s == name);
    let single = settings.single_process();
    if single && wanted.len() != SERVICES.len() {
        bail!(
            "TDS_QUEUE_URL={} keeps queues and events in one process: run api, ingest and \
             workers together (no --only), or use Redis",
            settings.queue_url()
        );
    }
    // Before anything connects: an api that cannot sign tokens durably must not start.
    let keys = if runs("api") {
        Some(serve_token_keys(&settings)?)
    } else {
        None
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);

    let metrics = install_metrics();
    // Every dependency of this process, as its users last found it: `/readyz`. The
    // listener comes first, so a process waiting for Redis or the database says so.
    let readiness = tds_bus::Readiness::default();
    let api_router = Arc::new(OnceLock::new());
    let http_addr = if runs("api") {
        Some(settings.api.http_addr.clone())
    } else {
        settings.api.health_addr.clone()
    };
    if runs("api") {
        // Ready only once the api answers GraphQL, not merely its dependencies.
        readiness.expect(API_CHECK, true);
    }
    // Every service's checks are declared before any can read ready, so `/readyz` never
    // answers 200 between the api's start and a later service's first declaration.
    if runs("ingest") {
        readiness.expect(tds_ingest::BROKER_CHECK, true);
        readiness.expect(tds_ingest::QUEUE_CHECK, true);
    }
    if runs("workers") {
        readiness.expect(tds_workers::consumer::QUEUE_CHECK, true);
        readiness.expect(tds_workers::pipeline::DATABASE_CHECK, true);
    }
    // HTTPS when both files are set; one of them alone is a mistake worth stopping for.
    let tls = match (&settings.api.tls_cert_file, &settings.api.tls_key_file) {
        (Some(cert), Some(key)) if runs("api") => Some(tds_api::tls::acceptor(cert, key)?),
        (None, None) => None,
        (Some(_), Some(_)) => None,
        _ => bail!("TDS_TLS_CERT_FILE and TDS_TLS_KEY_FILE go together: set both, or neither"),
    };
    if let Some(addr) = http_addr {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(addr = %listener.local_addr()?, scheme, api = runs("api"), "listening");
        let stop = signal();
        let router =
            tds_api::starting_router(readiness.clone(), api_router.clone(), metrics.clone());
        tasks.spawn(async move {
            match tls {
                Some(acceptor) => tds_api::serve_router_tls(listener, acceptor, router, stop).await,
                None => tds_api::serve_router(listener, router, stop).await,
            }
            .context("http")
        });
    }

    let connected = tokio::select! {
        _ = &mut shutdown => None,
        deps = connect(&settings, &readiness, &runs, single) => Some(deps?),
    };
    let Some(Dependencies { db, events, queue }) = connected else {
        tracing::info!("stopped while waiting for dependencies");
        let _ = stop.send(true);
        while tasks.join_next().await.is_some() {}
        return Ok(());
    };

    if let (Some(keys), Some(db), Some(events)) = (keys, db.clone(), events.clone()) {
        let redis = &settings.queue.redis_url;
        let counters = if single {
            tds_bus::WindowCounters::in_process()
        } else {
            until_reachable(&readiness, REDIS_CHECK, || {
                tds_bus::WindowCounters::redis(redis, &settings.auth.limits_prefix)
            })
            .await
        };
        // Invitations are e-mailed (through the notification queue) when SMTP is set.
        let notifications = match settings.notify.smtp_url {
            Some(_) => Some({
                let config = QueueConfig::new(&settings.queue_url(), &settings.queue.notifications);
                until_reachable(&readiness, REDIS_CHECK, || {
                    tds_bus::NotificationQueue::connect(&config)
                })
                .await
            }),
            None => None,
        };
        let reports = until_reachable(&readiness, REDIS_CHECK, || report_queue(&settings)).await;
        let state = ApiState {
            reports: Some(reports),
            ..api_state(&settings, db, events, keys, counters, notifications)?
        };
        let mut router = tds_api::router_with(state, readiness.clone(), http_options(&settings)?);
        let web = &settings.api.web_dir;
        if tds_api::web::is_built(web) {
            router = router.fallback_service(tds_api::web::app(web));
            tracing::info!(dir = %web.display(), "serving the web app at /");
        } else {
            tracing::warn!(dir = %web.display(), "no web app at TDS_WEB_DIR (run `npm ci && npm run build` in web/); serving the API only");
        }
        let _ = api_router.set(router);
        readiness.up(API_CHECK);
        tracing::info!("api ready");
    }
    if let (true, Some(queue)) = (runs("ingest"), queue.clone()) {
        let mut config = IngestConfig::new(&settings.broker.mqtt_url, &settings.platform.instance);
        config.share_group = settings.ingest_share_group();
        config.tls = mqtt_identity(&settings);
        config.readiness = readiness.clone();
        tracing::info!(client_id = %config.client_id, filter = %config.topic_filter(), "ingest starting");
        let stop = signal();
        tasks.spawn(async move { tds_ingest::run(config, queue, stop).await.context("ingest") });
    }
    if let (true, Some(db), Some(queue), Some(events)) = (runs("workers"), db, queue, events) {
        let mut config = WorkersConfig::new(&settings.platform.instance);
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            // SQLite has one writer at a time: a second batch writer only collides with the
            // first (a deferred transaction cannot wait for the lock it upgrades to).
            config.writers = 1;
        }
        config.renewals = Some(renewal_config(&settings)?);
        let notifications = notifications_config(&settings, &db).await?;
        let notifications_queue = notifications.queue.clone();
        config.notifications = Some(notifications);
        config.reports = Some(tds_workers::reports::ReportsConfig {
            name: format!("reports-{}", settings.platform.instance),
            queue: report_queue(&settings).await?,
            // Reports are CPU work beside the telemetry: one at a time per replica.
            concurrency: 1,
            mail: settings
                .notify
                .smtp_url
                .as_ref()
                .map(|_| tds_workers::reports::ReportMail {
                    queue: notifications_queue.clone(),
                    keys: serve_token_keys(&settings).ok(),
                    attach_max_bytes: settings.report.attach_max_bytes,
                }),
        });
        config.alert_scan_every = std::time::Duration::from_secs(settings.alert.scan_s.max(1));
        config.report_schedule_every =
            std::time::Duration::from_secs(settings.report.schedule_s.max(1));
        config.readiness = readiness.clone();
        tracing::info!(worker = %config.name, "workers starting");
        let stop = signal();
        tasks.spawn(async move {
            tds_workers::service::run(config, db, queue, events, stop).await;
            Ok(())
        });
    }

    tokio::select! {
        _ = &mut shutdown => tracing::info!("shutting down"),
        Some(done) = tasks.join_next() => {
            // A service ended on its own: that is a failure of the whole process.
            let _ = stop.send(true);
            return match done {
                Ok(Ok(())) => Err(anyhow::anyhow!("a service stopped unexpectedly")),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(anyhow::anyhow!("a service panicked: {e}")),
            };
        }
    }
    let _ = stop.send(true);
    let drain = async {
        while let Some(done) = tasks.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "service stopped with an error");
            }
        }
    };
    if tokio::time::timeout(std::time::Duration::from_secs(20), drain)
        .await
        .is_err()
    {
        tracing::warn!("services did not stop within 20 s");
    }
    Ok(())
}

/// Installs the Prometheus recorder every crate records through (once per process; a
/// second `serve` in the same process shares the first one's) and keeps it trimmed.
fn install_metrics() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    const SECONDS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    ];
    const SIZES: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
    let built = PrometheusBuilder::new()
        .set_buckets(SECONDS)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_messages".into()), SIZES))
        .and_then(|b| b.install_recorder());
    match built {
        Ok(handle) => {
            let upkeep = handle.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
                loop {
                    every.tick().await;
                    upkeep.run_upkeep();
                }
            });
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics not recorded (/metrics answers 404)");
            None
        }
    }
}

/// The `/readyz` name of the api itself, down until it serves GraphQL.
const API_CHECK: &str = "api";
/// The `/readyz` name of the Redis connections made at start.
const REDIS_CHECK: &str = "redis";
/// The `/readyz` name of the database connection made at start.
const DATABASE_CHECK: &str = "database";

/// What the services share, connected at start.
struct Dependencies {
    db: Option<sea_orm::DatabaseConnection>,
    events: Option<EventBus>,
    queue: Option<TelemetryQueue>,
}

/// Connects what the wanted services need, waiting for each dependency that does not
/// answer yet (see [`until_reachable`]).
async fn connect(
    settings: &Settings,
    readiness: &tds_bus::Readiness,
    runs: &impl Fn(&str) -> bool,
    single: bool,
) -> anyhow::Result<Dependencies> {
    let db = if runs("api") || runs("workers") {
        let db = until_reachable(readiness, DATABASE_CHECK, || crate::cli::connect(settings)).await;
        // Reachable but not at this build's schema: waiting would not help.
        tds_domain::db::check_migrated(&db).await?;
        Some(db)
    } else {
        None
    };
    let events = if single {
        Some(EventBus::in_process())
    } else if runs("api") || runs("workers") {
        Some(
            until_reachable(readiness, REDIS_CHECK, || {
                EventBus::redis_reporting(
                    &settings.queue.redis_url,
                    &settings.queue.event_channel,
                    readiness,
                )
            })
            .await,
        )
    } else {
        None
    };
    let queue = if runs("ingest") || runs("workers") {
        let config = QueueConfig::new(&settings.queue_url(), &settings.queue.telemetry);
        Some(until_reachable(readiness, REDIS_CHECK, || TelemetryQueue::connect(&config)).await)
    } else {
        None
    };
    Ok(Dependencies { db, events, queue })
}

/// Calls `connect` until it succeeds. The first failure is one warning naming the
/// dependency; retries follow with a backoff up to 5 s, and `/readyz` shows `check` down
/// with the last error until then.
async fn until_reachable<T, E, F, Fut>(
    readiness: &tds_bus::Readiness,
    check: &str,
    mut connect: F,
) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut backoff = tds_bus::Backoff::new(
        std::time::Duration::from_millis(250),
        std::time::Duration::from_secs(5),
    );
    let mut failures = 0u64;
    loop {
        match connect().await {
            Ok(value) => {
                if failures > 0 {
                    tracing::info!(
                        dependency = check,
                        failures,
                        "dependency reachable; starting"
                    );
                }
                readiness.expect(check, true);
                readiness.up(check);
                return value;
            }
            Err(e) => {
                let error = tds_domain::config::redact_urls(&format!("{e:#}")).into_owned();
                if failures == 0 {
                    tracing::warn!(dependency = check, %error, "dependency unreachable; retrying with backoff (see /readyz)");
                } else {
                    tracing::debug!(dependency = check, %error, failures, "still unreachable");
                }
                readiness.expect(check, true);
                readiness.down(check, &error);
                failures += 1;
                backoff.wait().await;
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and supervisors send).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

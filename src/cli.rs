//! Commands of the operator contract (SPEC §7).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use tds_bus::{EventBus, QueueConfig, TelemetryQueue};
use tds_domain::Operator;
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::auth::TokenKeys;
use tds_domain::config::{Settings, mask_url};
use tds_domain::values::Email;
use tds_graphql::ApiState;
use tds_ingest::IngestConfig;
use tds_workers::service::WorkersConfig;

/// TDS: multi-tenant IoT telemetry for water, energy and gas meters.
#[derive(Parser)]
#[command(name = "tds", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (and create reading partitions ahead), then exit.
    Migrate,
    /// Run the services from settings.
    Serve {
        /// Comma-separated subset of: api, ingest, workers.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage accounts (tenants).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// The platform's PKI: CA, certificates, CRL.
    Certs {
        #[command(subcommand)]
        command: crate::certs_cmd::CertsCommand,
    },
    /// Publish simulated gateway telemetry over MQTT (the fleet is created if missing).
    Simulate {
        /// Gateways.
        #[arg(long, default_value_t = 10)]
        gateways: u32,
        /// Devices per gateway.
        #[arg(long, default_value_t = 8)]
        devices: u32,
        /// Seconds between two messages of one gateway.
        #[arg(long, default_value_t = 5.0)]
        interval: f64,
        /// Seconds to run (until Ctrl-C when absent).
        #[arg(long)]
        duration: Option<u64>,
        /// Account holding the simulated fleet.
        #[arg(long, default_value = "Simulated fleet")]
        account: String,
        /// Run each gateway as its firmware does: its own mTLS connection with the
        /// certificate in DIR/<mac>/ (issued from the CA of TDS_DATA_DIR when missing), and
        /// over-the-air renewal. Needs an mqtts:// MQTT_URL.
        #[arg(long, value_name = "DIR")]
        certs: Option<std::path::PathBuf>,
        /// Make every renewal fail after the switch, so the firmware rolls back.
        #[arg(long, requires = "certs")]
        renewal_fault: Option<crate::firmware::RenewalFault>,
    },
    /// Measure the platform and print one JSON object of figures.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user who can sign in.
    Create {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// Password (at least 8 characters).
        #[arg(long)]
        password: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Platform operator (may create accounts and manage licences).
        #[arg(long)]
        superuser: bool,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create an account with an existing user as its first ADMIN.
    Create {
        /// Account name.
        #[arg(long)]
        name: String,
        /// E-mail of the user who becomes ADMIN.
        #[arg(long)]
        admin: String,
        /// IANA time zone of daily and monthly buckets.
        #[arg(long, default_value = accounts::DEFAULT_TIMEZONE)]
        timezone: String,
        /// CNPJ.
        #[arg(long)]
        tax_id: Option<String>,
        /// pt-BR or en.
        #[arg(long, default_value = "pt-BR")]
        locale: String,
    },
}

/// Settings from the environment, printed (secrets masked) as the operator contract asks.
fn settings() -> anyhow::Result<Settings> {
    let settings = Settings::load()?;
    tracing::info!(%settings, "settings");
    Ok(settings)
}

/// Opens the database, as it is (for `tds migrate`).
async fn connect(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = settings.database_url();
    tds_domain::db::connect(&url)
        .await
        .with_context(|| format!("cannot open the database ({})", mask_url(&url)))
}

/// Opens a database that is at this build's schema (every command but `tds migrate`).
pub(crate) async fn database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = connect(settings).await?;
    tds_domain::db::check_migrated(&db).await?;
    Ok(db)
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    crate::logging::init();
    match cli.command {
        Command::Migrate => {
            let settings = settings()?;
            let db = connect(&settings).await?;
            tds_migration::migrate(&db, Utc::now())
                .await
                .context("migration failed")?;
            let layout = tds_migration::readings_layout(&db).await?;
            println!("migrations applied (readings: {layout:?})");
        }
        Command::Serve { only } => serve(only).await?,
        Command::Users {
            command:
                UsersCommand::Create {
                    email,
                    password,
                    name,
                    superuser,
                },
        } => {
            let settings = settings()?;
            let db = database(&settings).await?;
            let user = accounts::create_user(
                &db,
                &Operator::command_line(),
                NewUser {
                    email,
                    password,
                    name,
                    is_superuser: superuser,
                },
                Utc::now(),
            )
            .await?;
            println!("{}", user.id);
        }
        Command::Accounts {
            command:
                AccountsCommand::Create {
                    name,
                    admin,
                    timezone,
                    tax_id,
                    locale,
                },
        } => {
            let settings = settings()?;
            let db = database(&settings).await?;
            let email = Email::parse(&admin).map_err(|m| anyhow::anyhow!("--admin: {m}"))?;
            let Some(admin) = accounts::find_user_by_email(&db, &email).await? else {
                bail!(
                    "--admin: no user with e-mail {} (create it with `tds users create`)",
                    email.as_str()
                );
            };
            let input = NewAccount {
                name,
                tax_id,
                timezone: Some(timezone),
                locale: Some(locale),
                plan: None,
            };
            let account = accounts::create_account(
                &db,
                &Operator::command_line(),
                input,
                admin.id,
                Utc::now(),
            )
            .await?;
            println!("{}", account.id);
        }
        Command::Bench { command } => crate::bench::run(command, settings()?).await?,
        Command::Certs { command } => {
            let settings = settings()?;
            let for_db = settings.clone();
            crate::certs_cmd::run(command, &settings, move || {
                Box::pin(async move { database(&for_db).await })
            })
            .await?
        }
        Command::Simulate {
            gateways,
            devices,
            interval,
            duration,
            account,
            certs,
            renewal_fault,
        } => {
            if !(interval.is_finite() && interval >= 0.01) {
                bail!("--interval must be at least 0.01 seconds");
            }
            let settings = settings()?;
            let db = database(&settings).await?;
            let fleet = crate::simulate::ensure_fleet(&db, &account, 0, gateways, devices).await?;
            println!(
                "simulating {} gateways of account {} ({})",
                fleet.gateways.len(),
                account,
                fleet.account_id
            );
            let run_for = std::time::Duration::from_secs(duration.unwrap_or(u64::MAX / 4));
            if let Some(root) = certs {
                let firmware = crate::simulate::provision(
                    &db,
                    &settings,
                    &fleet,
                    &root,
                    std::time::Duration::from_secs_f64(interval),
                    renewal_fault,
                )
                .await?;
                let counters = std::sync::Arc::new(crate::firmware::FirmwareCounters::default());
                let mut tasks = tokio::task::JoinSet::new();
                for gateway in firmware {
                    tasks.spawn(gateway.run(run_for, counters.clone()));
                }
                tokio::select! {
                    _ = async { while tasks.join_next().await.is_some() {} } => {}
                    _ = shutdown_signal() => {}
                }
                let load =
                    |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
                println!(
                    "published {} messages; renewals applied {}, rolled back {}",
                    load(&counters.published),
                    load(&counters.applied),
                    load(&counters.rolled_back)
                );
                return Ok(());
            }
            let counters = std::sync::Arc::new(crate::simulate::PublishCounters::default());
            let publishing = crate::simulate::publish(
                &settings.mqtt_url,
                &fleet,
                std::time::Duration::from_secs_f64(interval),
                run_for,
                4,
                counters.clone(),
            );
            tokio::select! {
                result = publishing => result?,
                _ = shutdown_signal() => {}
            }
            let sent = counters
                .acknowledged
                .load(std::sync::atomic::Ordering::Relaxed);
            println!("published {sent} messages (acknowledged by the broker)");
        }
    }
    Ok(())
}

/// The token keys of `tds serve`: only from `TDS_JWT_SECRET` (32 bytes or more), so
/// tokens work on every replica and across restarts. (A single-machine mode may instead
/// pass keys from a secret it keeps in its data directory, `auth::generate_secret`.)
fn serve_token_keys(settings: &Settings) -> anyhow::Result<TokenKeys> {
    let ttl = chrono::Duration::hours(settings.token_ttl_hours);
    Ok(TokenKeys::from_secret(settings.jwt_secret.as_deref(), ttl)?)
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
    };
    // The CA is optional: without one, certificate mutations explain how to create it.
    let pki = tds_certs::load_ca(&settings.data_dir)
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
        introspection: settings.graphql_introspection,
        auth,
        notifications,
        reports: None,
    })
}

/// The platform's client identity for `mqtts://`, when all three files are set.
fn mqtt_identity(settings: &Settings) -> Option<tds_ingest::TlsFiles> {
    match (
        &settings.mqtt_ca_file,
        &settings.mqtt_cert_file,
        &settings.mqtt_key_file,
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
    let mut paths = vec![settings.data_dir.join("pki").join("crl.pem")];
    paths.extend(settings.broker_dir.as_ref().map(|d| d.join("crl.pem")));
    paths
}

/// The certificate worker's configuration from the settings.
fn renewal_config(settings: &Settings) -> anyhow::Result<tds_workers::renewals::RenewalConfig> {
    let policy =
        tds_domain::renewals::RenewalPolicy::from_settings(settings).map_err(anyhow::Error::msg)?;
    let mut link = tds_workers::renewals::LinkConfig::new(&settings.mqtt_url, &settings.instance);
    link.tls = mqtt_identity(settings);
    link.share_group = settings.renewals_share_group();
    Ok(tds_workers::renewals::RenewalConfig {
        policy,
        link,
        data_dir: settings.data_dir.clone(),
        crl_paths: crl_paths(settings),
        poll: std::time::Duration::from_secs(settings.renewal_poll_s.max(1)),
        name: format!("renewal-night-{}", settings.instance),
    })
}

/// The notification worker's configuration from the settings: e-mail only when
/// `SMTP_URL` is set (e-mail notifications then fail for good, and say why).
async fn notifications_config(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<tds_workers::notifications::NotificationsConfig> {
    let mailer = settings
        .smtp_url
        .as_deref()
        .map(|url| tds_notify::Mailer::from_url(url, &settings.notify.mail_from))
        .transpose()?;
    let queue = tds_bus::NotificationQueue::connect(&QueueConfig::new(
        &settings.redis_url,
        &settings.notification_queue,
    ))
    .await?;
    Ok(tds_workers::notifications::NotificationsConfig {
        name: format!("notifications-{}", settings.instance),
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
        &settings.redis_url,
        &settings.report_queue,
    ))
    .await?)
}

/// The services `tds serve` can run.
const SERVICES: [&str; 3] = ["api", "ingest", "workers"];

async fn serve(only: Vec<String>) -> anyhow::Result<()> {
    let wanted: Vec<String> = if only.is_empty() {
        SERVICES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        only
    };
    if let Some(unknown) = wanted.iter().find(|s| !SERVICES.contains(&s.as_str())) {
        bail!("--only: unknown service '{unknown}' (expected api, ingest, workers)");
    }
    let runs = |name: &str| wanted.iter().any(|s| s == name);
    let settings = settings()?;
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

    let needs_db = runs("api") || runs("workers");
    let db = if needs_db {
        Some(database(&settings).await?)
    } else {
        None
    };
    // Every dependency of this process, as its users last found it: `/readyz`.
    let readiness = tds_bus::Readiness::default();
    let events = if runs("api") || runs("workers") {
        Some(
            EventBus::redis_reporting(&settings.redis_url, &settings.event_channel, &readiness)
                .await?,
        )
    } else {
        None
    };
    let queue = if runs("ingest") || runs("workers") {
        Some(
            TelemetryQueue::connect(&QueueConfig::new(&settings.redis_url, &settings.queue_name))
                .await?,
        )
    } else {
        None
    };

    if let (Some(keys), Some(db), Some(events)) = (keys, db.clone(), events.clone()) {
        let counters =
            tds_bus::WindowCounters::redis(&settings.redis_url, &settings.auth.limits_prefix)
                .await?;
        // Invitations are e-mailed (through the notification queue) when SMTP is set.
        let notifications = match settings.smtp_url {
            Some(_) => Some(
                tds_bus::NotificationQueue::connect(&QueueConfig::new(
                    &settings.redis_url,
                    &settings.notification_queue,
                ))
                .await?,
            ),
            None => None,
        };
        let state = ApiState {
            reports: Some(report_queue(&settings).await?),
            ..api_state(&settings, db, events, keys, counters, notifications)?
        };
        let listener = tokio::net::TcpListener::bind(&settings.http_addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
        tracing::info!(addr = %listener.local_addr()?, "api listening");
        let stop = signal();
        let router = tds_api::router_reporting(state, readiness.clone());
        tasks.spawn(async move {
            tds_api::serve_router(listener, router, stop)
                .await
                .context("api")
        });
    } else if let Some(addr) = &settings.health_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (TDS_HEALTH_ADDR)"))?;
        tracing::info!(addr = %listener.local_addr()?, "health and readiness listening");
        let stop = signal();
        let router = tds_api::health_router(readiness.clone());
        tasks.spawn(async move {
            tds_api::serve_router(listener, router, stop)
                .await
                .context("health")
        });
    }
    if let (true, Some(queue)) = (runs("ingest"), queue.clone()) {
        let mut config = IngestConfig::new(&settings.mqtt_url, &settings.instance);
        config.share_group = settings.ingest_share_group();
        config.tls = mqtt_identity(&settings);
        config.readiness = readiness.clone();
        tracing::info!(client_id = %config.client_id, filter = %config.topic_filter(), "ingest starting");
        let stop = signal();
        tasks.spawn(async move { tds_ingest::run(config, queue, stop).await.context("ingest") });
    }
    if let (true, Some(db), Some(queue), Some(events)) = (runs("workers"), db, queue, events) {
        let mut config = WorkersConfig::new(&settings.instance);
        config.renewals = Some(renewal_config(&settings)?);
        let notifications = notifications_config(&settings, &db).await?;
        let notifications_queue = notifications.queue.clone();
        config.notifications = Some(notifications);
        config.reports = Some(tds_workers::reports::ReportsConfig {
            name: format!("reports-{}", settings.instance),
            queue: report_queue(&settings).await?,
            // Reports are CPU work beside the telemetry: one at a time per replica.
            concurrency: 1,
            mail: settings
                .smtp_url
                .as_ref()
                .map(|_| tds_workers::reports::ReportMail {
                    queue: notifications_queue.clone(),
                    keys: serve_token_keys(&settings).ok(),
                    attach_max_bytes: settings.notify.report_attach_max_bytes,
                }),
        });
        config.alert_scan_every = std::time::Duration::from_secs(settings.alert_scan_s.max(1));
        config.report_schedule_every =
            std::time::Duration::from_secs(settings.report_schedule_s.max(1));
        config.readiness = readiness.clone();
        tracing::info!(worker = %config.name, "workers starting");
        let stop = signal();
        tasks.spawn(async move {
            tds_workers::service::run(config, db, queue, events, stop).await;
            Ok(())
        });
    }

    tokio::select! {
        _ = shutdown_signal() => tracing::info!("shutting down"),
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

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` and supervisors send).
async fn shutdown_signal() {
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

//! Commands of the operator contract (SPEC §7).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use tds_domain::Operator;
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::config::{Settings, mask_url};
use tds_domain::values::Email;

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
    /// Everything in one process with nothing to install: SQLite, an embedded broker
    /// with mutual TLS, a demo account with a user of each role and a simulated fleet.
    Demo {
        /// Port of the embedded MQTT broker (mutual TLS) on 127.0.0.1.
        #[arg(long, default_value_t = 18883)]
        mqtt_port: u16,
        /// Seconds between two messages of a simulated gateway.
        #[arg(long, default_value_t = 10.0)]
        interval: f64,
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
    /// Write a consistent copy of the database and the CA into DIR.
    ///
    /// DIR must be new or empty; it is created 0700 and every file in it is 0600 (the
    /// tables hold password hashes, and the CA key is there).
    Backup {
        /// Directory receiving the backup.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
    /// Restore a backup into an empty database and TDS_DATA_DIR/pki.
    ///
    /// Checksums and migrations are checked first; a database never migrated is migrated;
    /// the rows go in in one transaction, then the CA, and the CRL is rewritten.
    Restore {
        /// Directory of the backup.
        #[arg(long, value_name = "DIR")]
        from: std::path::PathBuf,
        /// Replace the rows of a database that has some, and a different CA.
        #[arg(long)]
        force: bool,
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
    for variable in Settings::unknown_variables() {
        tracing::warn!(%variable, "unknown setting ignored (a typo?)");
    }
    Ok(settings)
}

/// Opens the database, as it is (for `tds migrate`).
pub(crate) async fn connect(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
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
        Command::Demo {
            mqtt_port,
            interval,
        } => {
            if !(interval.is_finite() && (1.0..=3600.0).contains(&interval)) {
                bail!("--interval must be between 1 and 3600 seconds");
            }
            let options = crate::demo::DemoOptions {
                mqtt_port,
                interval: std::time::Duration::from_secs_f64(interval),
            };
            crate::demo::run(settings()?, options).await?
        }
        Command::Serve { only } => {
            crate::serve::serve(settings()?, only, crate::serve::shutdown_signal()).await?
        }
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
        Command::Backup { out } => {
            println!("{}", crate::backup::backup(&settings()?, &out).await?);
        }
        Command::Restore { from, force } => {
            println!(
                "{}",
                crate::backup::restore(&settings()?, &from, force).await?
            );
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
                    _ = crate::serve::shutdown_signal() => {}
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
                &settings.broker.mqtt_url,
                &fleet,
                std::time::Duration::from_secs_f64(interval),
                run_for,
                4,
                counters.clone(),
            );
            tokio::select! {
                result = publishing => result?,
                _ = crate::serve::shutdown_signal() => {}
            }
            let sent = counters
                .acknowledged
                .load(std::sync::atomic::Ordering::Relaxed);
            println!("published {sent} messages (acknowledged by the broker)");
        }
    }
    Ok(())
}

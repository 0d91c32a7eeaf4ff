//! Commands of the operator contract (SPEC §7).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Parser, Subcommand};
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::auth::TokenKeys;
use tds_domain::config::Settings;
use tds_domain::values::Email;
use tds_graphql::ApiState;

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

async fn database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let url = settings.database_url();
    tds_domain::db::connect(&url).await.with_context(|| {
        format!(
            "cannot open the database ({})",
            url.split('@').next_back().unwrap_or("")
        )
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TDS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing();
    match cli.command {
        Command::Migrate => {
            let settings = settings()?;
            let db = database(&settings).await?;
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
                NewUser {
                    email,
                    password,
                    name,
                    is_superuser: superuser,
                },
                None,
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
            let account = accounts::create_account(&db, input, admin.id, None, Utc::now()).await?;
            println!("{}", account.id);
        }
        Command::Bench { command } => crate::bench::run(command, settings()?).await?,
    }
    Ok(())
}

/// Builds what the api needs from settings.
pub fn api_state(settings: &Settings, db: sea_orm::DatabaseConnection) -> ApiState {
    let ttl = chrono::Duration::hours(settings.token_ttl_hours);
    let keys = match &settings.jwt_secret {
        Some(secret) => TokenKeys::new(secret.as_bytes(), ttl),
        None => {
            tracing::warn!("TDS_JWT_SECRET is not set: tokens will not survive a restart");
            TokenKeys::ephemeral(ttl)
        }
    };
    ApiState { db, keys }
}

async fn serve(only: Vec<String>) -> anyhow::Result<()> {
    let wanted: Vec<&str> = if only.is_empty() {
        vec!["api"]
    } else {
        only.iter().map(String::as_str).collect()
    };
    for service in &wanted {
        match *service {
            "api" => {}
            "ingest" | "workers" => {
                bail!("--only {service}: this service is not part of this build yet")
            }
            other => bail!("--only: unknown service '{other}' (expected api, ingest, workers)"),
        }
    }
    let settings = settings()?;
    let db = database(&settings).await?;
    let listener = tokio::net::TcpListener::bind(&settings.http_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.http_addr))?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
    };
    tds_api::serve(listener, api_state(&settings, db), shutdown).await?;
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

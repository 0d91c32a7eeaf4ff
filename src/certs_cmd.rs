//! `tds certs …`: the operator's PKI commands.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Subcommand;
use tds_certs::{Algorithm, files};
use tds_domain::config::Settings;
use tds_domain::{Operator, certificates};
use tds_entity::CertificatePurpose;

/// PKI commands.
#[derive(Subcommand)]
pub enum CertsCommand {
    /// Create the platform CA in TDS_DATA_DIR/pki (refuses to overwrite one).
    InitCa,
    /// Issue a gateway certificate (the gateway must be registered) into DIR.
    Issue {
        /// The gateway's MAC.
        #[arg(long)]
        mac: String,
        /// rsa2048 (default, the firmware's) or p256.
        #[arg(long, default_value = "rsa2048")]
        algorithm: String,
        /// Directory receiving `<mac>.pem`, `<mac>.key` and `ca.pem`.
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue one bundle per MAC of a CSV (column `mac`, optional `algorithm`) into a zip.
    /// All or nothing: a bad row stops the batch before anything is issued.
    Batch {
        /// CSV file with a header row.
        #[arg(long)]
        csv: PathBuf,
        /// Zip to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke a certificate and rewrite the CRL.
    Revoke {
        /// Serial number (hex).
        #[arg(long)]
        serial: String,
        /// RFC 5280 reason (key-compromise, superseded, cessation-of-operation …).
        #[arg(long, default_value = "unspecified")]
        reason: String,
    },
    /// Renew a gateway's certificate over the air now (as `renewCertificateNow`): the
    /// workers publish the update at once (told through the event bus) or at their next poll.
    Renew {
        /// The gateway's MAC.
        #[arg(long)]
        mac: String,
    },
    /// Write the current CRL.
    Crl {
        /// Destination file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a Mosquitto configuration: mTLS listener only, CA, broker certificate, CRL, ACL.
    Mosquitto {
        /// Directory receiving mosquitto.conf, acl, ca.pem, crl.pem, broker.pem, broker.key.
        #[arg(long)]
        out: PathBuf,
        /// TLS listener port.
        #[arg(long, default_value_t = 8883)]
        port: u16,
        /// Host names (or IPs) of the broker certificate (repeatable).
        #[arg(long = "host", default_values_t = ["localhost".to_owned(), "127.0.0.1".to_owned()])]
        hosts: Vec<String>,
        /// Where the broker will see `--out` (e.g. a container mount); `--out` itself by default.
        #[arg(long)]
        broker_path: Option<PathBuf>,
        /// Common name of the platform's client identity (gets the service ACL).
        #[arg(long, default_value = "tds-platform")]
        platform_cn: String,
        /// The user Mosquitto runs as (a name, `uid` or `uid:gid`): it gets broker.key and
        /// the persistence directory. By default, when run as root, `mosquitto` if that
        /// user exists (as Debian's package creates it); otherwise the files stay yours.
        #[arg(long)]
        broker_user: Option<String>,
    },
    /// Issue a service identity: the broker's server certificate or a platform client.
    Service {
        /// Common name (`broker`, `tds-platform` …).
        #[arg(long)]
        cn: String,
        /// Host names of a server certificate (repeatable); none makes a client identity.
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Directory receiving `<cn>.pem`, `<cn>.key` and `ca.pem`.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Whom the broker's key and persistence directory go to: the user named, or by default,
/// when we run as root (we own the key just written), `mosquitto` if it exists. `None`
/// leaves them to whoever runs this, who is then who runs the broker.
#[allow(clippy::type_complexity)]
fn broker_owner(
    named: Option<&str>,
    written_key: &Path,
) -> anyhow::Result<Option<(Option<String>, (u32, u32))>> {
    use std::os::unix::fs::MetadataExt;
    let name_of = |user: &str| {
        (!user.chars().next().is_some_and(|c| c.is_ascii_digit())).then(|| user.to_owned())
    };
    if let Some(user) = named {
        let ids = files::user_ids(user).map_err(|m| anyhow::anyhow!("--broker-user: {m}"))?;
        return Ok(Some((name_of(user), ids)));
    }
    let as_root = std::fs::metadata(written_key)
        .with_context(|| format!("{}", written_key.display()))?
        .uid()
        == 0;
    if !as_root {
        return Ok(None);
    }
    match files::user_ids(DEFAULT_BROKER_USER) {
        Ok(ids) => Ok(Some((name_of(DEFAULT_BROKER_USER), ids))),
        Err(_) => {
            eprintln!(
                "warning: no user '{DEFAULT_BROKER_USER}' here: broker.key stays root's. A broker started as root drops to its service user and must be able to read it: pass --broker-user (a name or uid:gid)."
            );
            Ok(None)
        }
    }
}

/// The user Debian's (and the official image's) Mosquitto runs as.
const DEFAULT_BROKER_USER: &str = "mosquitto";

fn file_name(mac: &str) -> String {
    mac.replace(':', "")
}

/// Runs a PKI command.
pub async fn run(
    command: CertsCommand,
    settings: &Settings,
    db: impl FnOnce() -> DbFuture,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let operator = Operator::command_line();
    match command {
        CertsCommand::InitCa => {
            tds_certs::init_ca(&settings.platform.data_dir, now)?;
            let (cert, _) = tds_certs::ca_paths(&settings.platform.data_dir);
            println!("{}", cert.display());
        }
        CertsCommand::Issue {
            mac,
            algorithm,
            out,
        } => {
            let algorithm =
                Algorithm::parse(&algorithm).map_err(|m| anyhow::anyhow!("--algorithm: {m}"))?;
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let db = db().await?;
            let (record, issued) =
                certificates::issue_for_gateway(&db, &operator, &ca, &mac, algorithm, now).await?;
            let (cert, _) = tds_certs::write_pair(&out, &file_name(&record.common_name), &issued)?;
            tds_certs::write_file(&out.join("ca.pem"), ca.cert_pem())?;
            println!(
                "{} serial={} not_after={}",
                cert.display(),
                record.serial,
                record.not_after.to_rfc3339()
            );
        }
        CertsCommand::Batch { csv, out } => {
            let text = std::fs::read_to_string(&csv)
                .with_context(|| format!("cannot read {}", csv.display()))?;
            let rows = parse_csv(&text)?;
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let db = db().await?;
            let issued = certificates::issue_batch(&db, &operator, &ca, &rows, now).await?;
            let entries: Vec<tds_certs::bundle::BundleEntry<'_>> = issued
                .iter()
                .map(|(record, cert)| tds_certs::bundle::BundleEntry {
                    name: file_name(&record.common_name),
                    issued: cert,
                })
                .collect();
            let zip = tds_certs::bundle::zip(&entries, ca.cert_pem())?;
            tds_certs::write_private(&out, &zip)?;
            println!("{} ({} gateways)", out.display(), issued.len());
        }
        CertsCommand::Revoke { serial, reason } => {
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let db = db().await?;
            let record = certificates::revoke(&db, &operator, &serial, &reason, now).await?;
            let listed = write_crls(&db, &ca, settings, None, now).await?;
            println!(
                "revoked {} ({}); CRL lists {listed}",
                record.serial, record.common_name
            );
        }
        CertsCommand::Renew { mac } => {
            let db = db().await?;
            let renewal = tds_domain::renewals::renew_by_mac(&db, &operator, &mac, now).await?;
            // Best effort: without Redis the workers' poll finds it.
            let told = match tds_bus::EventBus::redis(
                &settings.queue.redis_url,
                &settings.queue.event_channel,
            )
            .await
            {
                Ok(events) => events
                    .publish(&tds_bus::Event::RenewalScheduled {
                        renewal_id: renewal.id,
                    })
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            println!(
                "renewal {} {} (attempt {}, mode {}); workers {}",
                renewal.id,
                renewal.state,
                renewal.attempts,
                renewal.mode,
                if told {
                    "told"
                } else {
                    "will find it at their next poll"
                }
            );
        }
        CertsCommand::Crl { out } => {
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let db = db().await?;
            let listed = write_crls(&db, &ca, settings, Some(&out), now).await?;
            println!("{} ({listed} revoked)", out.display());
        }
        CertsCommand::Mosquitto {
            out,
            port,
            hosts,
            broker_path,
            platform_cn,
            broker_user,
        } => {
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let db = db().await?;
            // The broker (its own user) must be able to enter the directory.
            files::create_dir(&out, 0o755)?;
            let out = out
                .canonicalize()
                .with_context(|| format!("{}", out.display()))?;
            let broker = ca.issue_service("broker", &hosts, true, now)?;
            certificates::record_service(
                &db,
                &operator,
                &broker,
                CertificatePurpose::Broker,
                "broker",
                now,
            )
            .await?;
            let (_, key) = tds_certs::write_pair(&out, "broker", &broker)?;
            let persistence = out.join(tds_certs::broker::PERSISTENCE_DIR);
            files::create_dir(&persistence, 0o700)?;
            let user = broker_owner(broker_user.as_deref(), &key)?;
            if let Some((_, ids)) = &user {
                files::give_to(&key, *ids)?;
                files::give_to(&persistence, *ids)?;
            }
            tds_certs::write_file(&out.join("ca.pem"), ca.cert_pem())?;
            write_crls(&db, &ca, settings, Some(&out.join("crl.pem")), now).await?;
            let seen_as = broker_path.unwrap_or_else(|| out.clone());
            tds_certs::write_file(&out.join("acl"), &tds_certs::broker::acl(&platform_cn))?;
            let name = user.as_ref().and_then(|(name, _)| name.as_deref());
            tds_certs::write_file(
                &out.join("mosquitto.conf"),
                &tds_certs::broker::config(
                    &seen_as,
                    port,
                    name,
                    tds_domain::telemetry::MAX_PAYLOAD_BYTES,
                ),
            )?;
            println!("{}", out.join("mosquitto.conf").display());
        }
        CertsCommand::Service { cn, hosts, out } => {
            if cn.trim().is_empty() {
                bail!("--cn must not be empty");
            }
            let ca = tds_certs::load_ca(&settings.platform.data_dir)?;
            let issued = ca.issue_service(&cn, &hosts, !hosts.is_empty(), now)?;
            let db = db().await?;
            certificates::record_service(
                &db,
                &operator,
                &issued,
                if hosts.is_empty() {
                    CertificatePurpose::Service
                } else {
                    CertificatePurpose::Broker
                },
                &cn,
                now,
            )
            .await?;
            let (cert, _) = tds_certs::write_pair(&out, &cn, &issued)?;
            tds_certs::write_file(&out.join("ca.pem"), ca.cert_pem())?;
            println!("{} serial={}", cert.display(), issued.serial);
        }
    }
    Ok(())
}

/// A pending database connection (opened only by the commands that need it).
pub type DbFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = anyhow::Result<sea_orm::DatabaseConnection>> + Send>,
>;

/// Rewrites the CRL in the CA directory, the broker directory (if configured) and `extra`.
pub(crate) async fn write_crls(
    db: &sea_orm::DatabaseConnection,
    ca: &tds_certs::CertificateAuthority,
    settings: &Settings,
    extra: Option<&Path>,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<usize> {
    let own = settings.platform.data_dir.join("pki").join("crl.pem");
    let broker = settings.broker.dir.as_ref().map(|d| d.join("crl.pem"));
    let mut paths: Vec<&Path> = vec![&own];
    paths.extend(broker.as_deref());
    paths.extend(extra);
    certificates::write_crl(db, ca, &paths, now)
        .await
        .context("writing the CRL")
}

/// Reads `mac[,algorithm]` rows after a header naming the columns.
fn parse_csv(text: &str) -> anyhow::Result<Vec<(usize, String, Algorithm)>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let Some(mac_column) = header.iter().position(|h| h == "mac") else {
        bail!("the CSV needs a header with a `mac` column (and optionally `algorithm`)");
    };
    let algorithm_column = header.iter().position(|h| h == "algorithm");
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let row = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let mac = cells.get(mac_column).copied().unwrap_or_default();
        if mac.is_empty() {
            bail!("row {row}: no MAC");
        }
        let algorithm = match algorithm_column
            .and_then(|c| cells.get(c))
            .filter(|a| !a.is_empty())
        {
            Some(a) => Algorithm::parse(a).map_err(|m| anyhow::anyhow!("row {row}: {m}"))?,
            None => Algorithm::Rsa2048,
        };
        rows.push((row, mac.to_owned(), algorithm));
    }
    if rows.is_empty() {
        bail!("the CSV has no rows");
    }
    Ok(rows)
}

//! `tds demo`: the whole platform in one process with nothing to install. SQLite for the
//! database and the job queues, events in process, the embedded broker with mutual TLS
//! from a demo CA, a demo account with one user of each role and a simulated fleet
//! publishing through the broker as real gateways do. A second run reuses the data.

mod seed;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use tds_domain::auth::TokenKeys;
use tds_domain::config::Settings;

/// The platform's MQTT identity in the demo (the CN the broker's ACL knows).
const PLATFORM_CN: &str = "tds-platform";

/// Options of `tds demo`.
pub struct DemoOptions {
    /// Port of the embedded broker (mutual TLS), on 127.0.0.1.
    pub mqtt_port: u16,
    /// Seconds between two messages of a simulated gateway.
    pub interval: Duration,
}

/// Runs the demo until Ctrl-C or SIGTERM.
pub async fn run(mut settings: Settings, options: DemoOptions) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let data = settings.platform.data_dir.clone();
    tds_certs::files::create_dir(&data, 0o700)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let demo = data.join("demo");
    tds_certs::files::create_dir(&demo, 0o700)?;

    if settings.api.jwt_secret.is_none() {
        settings.api.jwt_secret = Some(kept_secret(&demo.join("jwt-secret"))?);
    }
    if settings.queue.url.is_none() {
        settings.queue.url = Some(format!(
            "sqlite://{}?mode=rwc",
            data.join("queue.db").display()
        ));
    }
    let pki = DemoPki::ensure(&data, &demo)?;
    settings.broker.mqtt_url = format!("mqtts://localhost:{}", options.mqtt_port);
    settings.broker.ca_file = Some(pki.ca.clone());
    settings.broker.cert_file = Some(pki.platform_cert.clone());
    settings.broker.key_file = Some(pki.platform_key.clone());

    let db = tds_domain::db::connect(&settings.database_url())
        .await
        .context("cannot open the demo database")?;
    tds_migration::migrate(&db, Utc::now())
        .await
        .context("migration failed")?;
    let keys = TokenKeys::from_secret(
        settings.api.jwt_secret.as_deref(),
        chrono::Duration::hours(settings.api.token_ttl_hours),
    )?;
    // Gateways declare at least 10 s (the API's floor); a faster demo reports more often.
    let interval_s = options.interval.as_secs().clamp(10, 86_400) as i32;
    let seeded = seed::ensure(&db, &keys, &demo.join("users.json"), interval_s, Utc::now()).await?;

    let broker = tds_broker::start(tds_broker::BrokerConfig {
        listen: ([127, 0, 0, 1], options.mqtt_port).into(),
        ca_file: pki.ca.clone(),
        cert_file: pki.broker_cert.clone(),
        key_file: pki.broker_key.clone(),
        crl_file: data.join("pki").join("crl.pem"),
        platform_cn: PLATFORM_CN.into(),
        max_payload: tds_domain::telemetry::MAX_PAYLOAD_BYTES,
    })
    .await
    .context("embedded broker")?;
    tracing::info!(addr = %broker.addr, "embedded broker listening (mutual TLS)");

    // The fleet: every gateway with its own certificate, as its firmware does.
    let fleet = crate::simulate::SimFleet {
        account_id: uuid::Uuid::nil(),
        gateways: seeded
            .gateways
            .iter()
            .map(|g| crate::simulate::SimGateway {
                mac: g.mac.clone(),
                codes: g.codes.clone(),
            })
            .collect(),
    };
    let firmware = crate::simulate::provision(
        &db,
        &settings,
        &fleet,
        &demo.join("gateways"),
        options.interval,
        None,
    )
    .await?;
    let counters = std::sync::Arc::new(crate::firmware::FirmwareCounters::default());
    let fleet: Vec<crate::firmware::Firmware> = firmware
        .into_iter()
        .zip(&seeded.gateways)
        .map(|(mut gw, profile)| {
            gw.meters = crate::firmware::Meters::Profiles(profile.meters.clone());
            gw
        })
        .collect();

    // The gateways start once everything is ready: the embedded broker keeps no session
    // across runs, so a reading published before ingest subscribes would reach nobody.
    let http = settings.api.http_addr.clone();
    let web = tds_api::web::is_built(&settings.api.web_dir);
    let users = seeded.users.clone();
    let gateways = std::sync::Arc::new(tokio::sync::Mutex::new(tokio::task::JoinSet::new()));
    let running = gateways.clone();
    let banner = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while !ready(&http).await {
            if tokio::time::Instant::now() > deadline {
                tracing::warn!(%http, "the api is not ready after 2 minutes: see /readyz");
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut running = running.lock().await;
        for gw in fleet {
            running.spawn(gw.run(Duration::from_secs(u64::MAX / 4), counters.clone()));
        }
        print_banner(&http, web, &users, started.elapsed());
    });

    // Ctrl-C stops the gateways first, then the services drain what they sent.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
        gateways.lock().await.abort_all();
        let _ = stop.send(true);
    });
    let shutdown = async move {
        let mut stopped = stopped;
        let _ = stopped.wait_for(|s| *s).await;
    };
    let result = crate::serve::serve(settings, Vec::new(), shutdown).await;
    banner.abort();
    drop(broker);
    result
}

/// Whether `GET /readyz` on `addr` answers 200.
async fn ready(addr: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok() && head.ends_with(b" 200")
}

fn print_banner(http: &str, web: bool, users: &[seed::DemoUser], after: Duration) {
    let url = format!("http://{http}");
    println!();
    println!(
        "TDS demo is running ({:.1} s to start).",
        after.as_secs_f64()
    );
    if web {
        println!("  Web app:          {url}/");
    } else {
        println!("  Web app:          not built (npm ci --prefix web && npm run build --prefix web)");
    }
    println!("  GraphQL:          {url}/graphql  (GraphiQL in a browser)");
    println!("  Account:          {}", seed::ACCOUNT);
    for u in users {
        println!("  {:<7} {:<28} password {}", u.role, u.email, u.password);
    }
    println!("  Sign in:  mutation {{ login(email: \"…\", password: \"…\") {{ token }} }}");
    println!("Ctrl-C stops it; the next `tds demo` carries on with the same data.");
    println!();
}

/// The JWT secret kept in `path` (made at the first run), so sessions survive a restart.
fn kept_secret(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => Ok(s.trim().to_owned()),
        _ => {
            let secret = tds_domain::auth::generate_secret();
            tds_certs::write_private(path, secret.as_bytes())?;
            Ok(secret)
        }
    }
}

/// The demo's certificates: the CA (in `pki/`, as `tds certs init-ca` makes it), the
/// broker's server identity and the platform's client identity.
struct DemoPki {
    ca: PathBuf,
    broker_cert: PathBuf,
    broker_key: PathBuf,
    platform_cert: PathBuf,
    platform_key: PathBuf,
}

impl DemoPki {
    fn ensure(data: &Path, demo: &Path) -> anyhow::Result<Self> {
        let now = Utc::now();
        let (ca_file, _) = tds_certs::ca_paths(data);
        let ca = if ca_file.exists() {
            tds_certs::load_ca(data)?
        } else {
            tds_certs::init_ca(data, now)?
        };
        let pair =
            |name: &str, hosts: &[&str], server: bool| -> anyhow::Result<(PathBuf, PathBuf)> {
                let cert = demo.join(format!("{name}.pem"));
                let key = demo.join(format!("{name}.key"));
                if cert.exists() && key.exists() {
                    return Ok((cert, key));
                }
                let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
                let issued = ca.issue_service(name, &hosts, server, now)?;
                Ok(tds_certs::write_pair(demo, name, &issued)?)
            };
        let (broker_cert, broker_key) = pair("tds-broker", &["localhost", "127.0.0.1"], true)?;
        let (platform_cert, platform_key) = pair(PLATFORM_CN, &[], false)?;
        Ok(Self {
            ca: ca_file,
            broker_cert,
            broker_key,
            platform_cert,
            platform_key,
        })
    }
}

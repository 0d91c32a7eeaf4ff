//! `tds bench …`: measurements printed as one JSON object.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use sea_orm::EntityTrait;
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::config::Settings;
use tds_domain::devices::{self, DeviceDraft};
use tds_domain::gateways::{self, GatewayDraft};
use tds_domain::{Credentials, Operator};
use tds_graphql::RequestScope;

/// What to measure.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// GraphQL read path: a page of gateways with their devices nested.
    Query {
        /// Print JSON (the only output format; accepted for the operator contract).
        #[arg(long)]
        json: bool,
        /// Gateways in the scratch account.
        #[arg(long, default_value_t = 100)]
        gateways: u32,
        /// Devices per gateway.
        #[arg(long, default_value_t = 8)]
        devices: u32,
        /// Timed requests (after 10 warm-up requests).
        #[arg(long, default_value_t = 300)]
        iterations: u32,
    },
    /// MQTT ingest: sustained throughput, publish→committed latency, loss.
    Ingest {
        /// Print JSON (the only output format; accepted for the operator contract).
        #[arg(long)]
        json: bool,
        /// Messages per second to publish.
        #[arg(long, default_value_t = 1_000)]
        rate: u32,
        /// Seconds to publish for.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Simulated gateways (each message is one gateway's payload).
        #[arg(long, default_value_t = 500)]
        gateways: u32,
        /// Devices per gateway (readings per message).
        #[arg(long, default_value_t = 8)]
        devices: u32,
        /// MQTT connections publishing.
        #[arg(long, default_value_t = 4)]
        publishers: usize,
        /// Measure already-running ingest and workers (configured queue and event channel)
        /// instead of starting them in this process.
        #[arg(long)]
        external: bool,
        /// Enabled alert rules on the bench account (a mix of limits and daily
        /// consumption; none is crossed), to measure what judging costs.
        #[arg(long, default_value_t = 0)]
        rules: u32,
    },
    /// Certificate issuance: N gateway certificates from a fresh in-memory CA.
    Certs {
        /// Print JSON (the only output format; accepted for the operator contract).
        #[arg(long)]
        json: bool,
        /// Certificates to issue.
        #[arg(long, default_value_t = 1_000)]
        count: usize,
        /// rsa2048 or p256.
        #[arg(long, default_value = "p256")]
        algorithm: String,
    },
    /// Fault suite: publish under load while a dependency or platform process fails, on
    /// private Mosquitto, Redis and PostgreSQL; every acknowledged message must be stored
    /// exactly once with no manual restart. Exits non-zero when a run fails.
    Faults {
        /// Print JSON (the only output format; accepted for the operator contract).
        #[arg(long)]
        json: bool,
        /// Which failure.
        #[arg(long, value_enum, default_value = "all")]
        scenario: crate::bench_faults::Scenario,
        /// Messages per second.
        #[arg(long, default_value_t = 400)]
        rate: u32,
        /// Seconds to publish for.
        #[arg(long, default_value_t = 40)]
        seconds: u64,
        /// Seconds after the first publish when the fault is injected.
        #[arg(long, default_value_t = 15)]
        fault_at: u64,
        /// Runs of each scenario (each on a fresh private stack).
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// Gateways publishing, 8 readings a message (default: rate / 4, each publishing
        /// four times a second).
        #[arg(long)]
        gateways: Option<u32>,
    },
    /// Report generation: last month's report for a seeded bench account, as a PDF and
    /// as an XLSX with every raw reading (time, CPU and peak resident memory).
    Report {
        /// Print JSON (the only output format; accepted for the operator contract).
        #[arg(long)]
        json: bool,
        /// Devices in the report.
        #[arg(long, default_value_t = 100)]
        devices: u32,
        /// Raw readings over the month (rows of the Readings sheet).
        #[arg(long, default_value_t = 1_000_000)]
        readings: u64,
    },
}

const GATEWAY_QUERY: &str = "query($first: Int!) { gateways(first: $first) { edges { cursor node { \
    id code mac name status isOnline lastSeenAt capacity \
    devices { id code name kind unit measurement slaveId register } } } pageInfo { hasNextPage endCursor } } }";

/// Runs a benchmark.
pub async fn run(command: BenchCommand, settings: Settings) -> anyhow::Result<()> {
    match command {
        BenchCommand::Query {
            json: _,
            gateways,
            devices,
            iterations,
        } => query(settings, gateways, devices, iterations).await,
        BenchCommand::Ingest {
            json: _,
            rate,
            duration,
            gateways,
            devices,
            publishers,
            external,
            rules,
        } => {
            let scenario = crate::bench_ingest::Scenario {
                rate,
                duration,
                gateways,
                devices,
                publishers,
                external,
                rules,
            };
            let figures = crate::bench_ingest::run(settings, scenario).await?;
            println!("{figures}");
            Ok(())
        }
        BenchCommand::Certs {
            json: _,
            count,
            algorithm,
        } => {
            let algorithm = tds_certs::Algorithm::parse(&algorithm)
                .map_err(|m| anyhow::anyhow!("--algorithm: {m}"))?;
            println!("{}", certs(count, algorithm)?);
            Ok(())
        }
        BenchCommand::Faults {
            json: _,
            scenario,
            rate,
            seconds,
            fault_at,
            runs,
            gateways,
        } => {
            // The suite starts its own services: the settings' ones are never touched.
            let _ = settings;
            crate::bench_faults::run(crate::bench_faults::Options {
                scenario,
                rate,
                seconds,
                fault_at,
                runs,
                gateways,
            })
            .await
        }
        BenchCommand::Report {
            json: _,
            devices,
            readings,
        } => {
            let scenario = crate::bench_report::Scenario { devices, readings };
            println!("{}", crate::bench_report::run(settings, scenario).await?);
            Ok(())
        }
    }
}

/// The `p`-th percentile (nearest rank) of sorted samples.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn query(
    settings: Settings,
    n_gateways: u32,
    n_devices: u32,
    iterations: u32,
) -> anyhow::Result<()> {
    if n_gateways == 0 || n_gateways > 100 || n_devices > 247 {
        bail!("--gateways must be 1..=100 (one page) and --devices at most 247");
    }
    let mut db = crate::cli::database(&settings).await?;
    let statements = Arc::new(AtomicU64::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    tds_migration::migrate(&db, Utc::now()).await?;
    let backend = format!("{:?}", db.get_database_backend()).to_lowercase();

    // A scratch tenant, removed afterwards (accounts cascade to their fleet).
    let operator = Operator::command_line();
    let now = Utc::now();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let user = accounts::create_user(
        &db,
        &operator,
        NewUser {
            email: format!("bench-{tag}@bench.invalid"),
            password: tag.clone(),
            name: "bench".into(),
            is_superuser: false,
        },
        now,
    )
    .await?;
    let account = accounts::create_account(
        &db,
        &operator,
        NewAccount {
            name: format!("bench {tag}"),
            ..Default::default()
        },
        user.id,
        now,
    )
    .await?;
    let outcome = measure(
        &db,
        &settings,
        &statements,
        &user,
        &account,
        n_gateways,
        n_devices,
        iterations,
    )
    .await;
    tds_entity::account::Entity::delete_by_id(account.id)
        .exec(&db)
        .await?;
    tds_entity::user::Entity::delete_by_id(user.id)
        .exec(&db)
        .await?;
    let mut figures = outcome?;
    figures["backend"] = backend.into();
    println!("{figures}");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    db: &sea_orm::DatabaseConnection,
    settings: &Settings,
    statements: &AtomicU64,
    user: &tds_entity::user::Model,
    account: &tds_entity::account::Model,
    n_gateways: u32,
    n_devices: u32,
    iterations: u32,
) -> anyhow::Result<serde_json::Value> {
    let now = Utc::now();
    let tenant = Operator::command_line()
        .act_as(db, user.id, account.id)
        .await?;
    let seed: u32 = rand::random();
    for g in 0..n_gateways {
        let mac_tail = seed.wrapping_add(g).to_be_bytes();
        let mac = format!(
            "02:00:{:02x}:{:02x}:{:02x}:{:02x}",
            mac_tail[0], mac_tail[1], mac_tail[2], mac_tail[3]
        );
        let draft = GatewayDraft {
            code: format!("GW{g:03}"),
            mac,
            name: format!("Gateway {g}"),
            latitude: None,
            longitude: None,
            capacity: n_devices.max(1) as i32,
            reporting_interval_s: 300,
            status: tds_entity::GatewayStatus::Active,
        };
        let gateway = gateways::create_gateway(db, &tenant, draft, now).await?;
        for d in 0..n_devices {
            let draft = DeviceDraft {
                code: format!("D{:02}", d + 1),
                name: format!("Meter {d}"),
                kind: tds_entity::DeviceKind::Energy,
                unit: None,
                measurement: None,
                slave_id: d as i32 + 1,
                register: 0,
                conversion_factor: 1.0,
            };
            devices::create_device(db, &tenant, gateway.id, draft, now).await?;
        }
    }

    // A scratch api in this process: its tokens need to live only as long as the bench.
    let keys = tds_domain::auth::TokenKeys::new(
        tds_domain::auth::generate_secret().as_bytes(),
        chrono::Duration::hours(1),
    );
    let counters = tds_bus::WindowCounters::in_process();
    let state = crate::serve::api_state(
        settings,
        db.clone(),
        tds_bus::EventBus::in_process(),
        keys,
        counters,
        None,
    )?;
    let schema = tds_graphql::build_schema(state.clone());
    let (token, _) = state.keys.issue(user.id, now)?;
    let credentials = Credentials {
        bearer: Some(token),
        account_id: Some(account.id.to_string()),
    };
    let mut latencies = Vec::with_capacity(iterations as usize);
    let (mut per_request, mut per_query) = (0, 0);
    for i in 0..iterations + 10 {
        let before = statements.load(Ordering::Relaxed);
        let started = Instant::now();
        let scope = RequestScope::resolve(&state, &credentials).await?;
        let after_session = statements.load(Ordering::Relaxed);
        let request = async_graphql::Request::new(GATEWAY_QUERY).variables(
            async_graphql::Variables::from_json(serde_json::json!({"first": n_gateways})),
        );
        let response = schema.execute(scope.attach(request)).await;
        let elapsed = started.elapsed();
        if !response.errors.is_empty() {
            bail!("query failed: {:?}", response.errors);
        }
        if i == 0 {
            let json = response.data.into_json()?;
            let edges = json["gateways"]["edges"].as_array().map_or(0, Vec::len);
            let devices: usize = json["gateways"]["edges"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .map(|e| e["node"]["devices"].as_array().map_or(0, Vec::len))
                        .sum()
                })
                .unwrap_or(0);
            if edges != n_gateways as usize || devices != (n_gateways * n_devices) as usize {
                bail!("query returned {edges} gateways and {devices} devices");
            }
        }
        if i >= 10 {
            latencies.push(elapsed.as_secs_f64() * 1000.0);
            // The fewest seen: the loader's batch window can split one batch in two when
            // the box is busy, which is load, not a change in the plan.
            let (request, query) = (
                statements.load(Ordering::Relaxed) - before,
                statements.load(Ordering::Relaxed) - after_session,
            );
            if i == 10 || query < per_query {
                (per_request, per_query) = (request, query);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let mean = latencies.iter().sum::<f64>() / latencies.len().max(1) as f64;
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    Ok(serde_json::json!({
        "scenario": "gateway_list_nested_devices",
        "gateways": n_gateways,
        "devices_per_gateway": n_devices,
        "iterations": iterations,
        "p50_ms": round(percentile(&latencies, 50.0)),
        "p95_ms": round(percentile(&latencies, 95.0)),
        "p99_ms": round(percentile(&latencies, 99.0)),
        "mean_ms": round(mean),
        "sql_statements_per_request": per_request,
        "sql_statements_in_query": per_query,
    }))
}

/// Issues `count` gateway certificates on every core and reports the wall time.
fn certs(count: usize, algorithm: tds_certs::Algorithm) -> anyhow::Result<serde_json::Value> {
    let now = Utc::now();
    let ca = tds_certs::CertificateAuthority::create("bench CA", now)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count.max(1));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let ca = &ca;
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> anyhow::Result<()> {
                    for i in (t..count).step_by(threads) {
                        let mac = format!(
                            "02:be:{:02x}:{:02x}:{:02x}:{:02x}",
                            (i >> 24) & 0xff,
                            (i >> 16) & 0xff,
                            (i >> 8) & 0xff,
                            i & 0xff
                        );
                        ca.issue_gateway(&mac, algorithm, now)?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .map_err(|_| anyhow::anyhow!("issuing thread panicked"))?
        })
    })?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "scenario": "certificate_issuance",
        "algorithm": format!("{algorithm:?}"),
        "count": count,
        "threads": threads,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "per_second": ((count as f64 / seconds) * 10.0).round() / 10.0,
    }))
}

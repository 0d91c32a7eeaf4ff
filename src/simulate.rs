//! Simulated gateways: a fleet in the database and real MQTT publishers sending the
//! firmware's payloads (SPEC §3). `tds simulate` runs them; `tds bench ingest` measures
//! the platform under them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tds_domain::Operator;
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::devices::{self, DeviceDraft};
use tds_domain::gateways::{self, GatewayDraft};
use tds_domain::values::Email;
use tds_entity::{account, gateway, membership};
use uuid::Uuid;

/// A simulated gateway: its MAC and device codes.
#[derive(Debug, Clone)]
pub struct SimGateway {
    /// Normalised MAC.
    pub mac: String,
    /// Device codes (`D01` …).
    pub codes: Vec<String>,
}

/// The simulated fleet.
#[derive(Debug, Clone)]
pub struct SimFleet {
    /// Account owning it.
    pub account_id: Uuid,
    /// Its gateways.
    pub gateways: Vec<SimGateway>,
}

/// Finds or creates the account `name` (owned by a simulator user) with `gateways`
/// gateways of `devices` energy meters each. MACs are `02:5e:<tag>:<n>`: locally
/// administered, so they never collide with real hardware.
pub async fn ensure_fleet(
    db: &DatabaseConnection,
    name: &str,
    tag: u8,
    gateways: u32,
    devices: u32,
) -> anyhow::Result<SimFleet> {
    anyhow::ensure!(
        (1..=65_535).contains(&gateways),
        "--gateways must be 1..=65535"
    );
    anyhow::ensure!((1..=247).contains(&devices), "--devices must be 1..=247");
    // The simulator is an operator tool: it sets up its own user, account and fleet.
    let operator = Operator::command_line();
    let now = Utc::now();
    let email = Email::parse("simulator@tds.invalid").map_err(anyhow::Error::msg)?;
    let user = match accounts::find_user_by_email(db, &email).await? {
        Some(user) => user,
        None => {
            let password = Uuid::new_v4().simple().to_string();
            let new = NewUser {
                email: email.as_str().into(),
                password,
                name: "Simulator".into(),
                is_superuser: false,
            };
            accounts::create_user(db, &operator, new, now).await?
        }
    };
    let owned: Vec<Uuid> = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.account_id)
        .collect();
    let existing = account::Entity::find()
        .filter(account::Column::Id.is_in(owned))
        .filter(account::Column::Name.eq(name))
        .one(db)
        .await?;
    let account = match existing {
        Some(a) => a,
        None => {
            accounts::create_account(
                db,
                &operator,
                NewAccount {
                    name: name.into(),
                    ..Default::default()
                },
                user.id,
                now,
            )
            .await?
        }
    };
    let tenant = operator.act_as(db, user.id, account.id).await?;
    let mut fleet = Vec::new();
    for g in 0..gateways {
        let mac = format!("02:5e:{tag:02x}:00:{:02x}:{:02x}", g >> 8, g & 0xff);
        let gateway = match gateway::Entity::find()
            .filter(gateway::Column::Mac.eq(mac.clone()))
            .one(db)
            .await?
        {
            Some(existing) if existing.account_id == account.id => existing,
            Some(_) => anyhow::bail!("MAC {mac} belongs to another account"),
            None => {
                let draft = GatewayDraft {
                    code: format!("SIM{tag:02x}{g:05}"),
                    mac: mac.clone(),
                    name: format!("Simulated gateway {g}"),
                    latitude: None,
                    longitude: None,
                    capacity: devices as i32,
                    reporting_interval_s: 300,
                    status: tds_entity::GatewayStatus::Active,
                };
                gateways::create_gateway(db, &tenant, draft, now).await?
            }
        };
        let have: Vec<String> = tds_entity::device::Entity::find()
            .filter(tds_entity::device::Column::GatewayId.eq(gateway.id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.code)
            .collect();
        let mut codes = Vec::new();
        for d in 1..=devices {
            let code = format!("D{d:02}");
            if !have.contains(&code) {
                let draft = DeviceDraft {
                    code: code.clone(),
                    name: format!("Meter {d}"),
                    kind: tds_entity::DeviceKind::Energy,
                    unit: None,
                    measurement: None,
                    slave_id: d as i32,
                    register: 40_000 + d as i32,
                    conversion_factor: 1.0,
                };
                devices::create_device(db, &tenant, gateway.id, draft, now).await?;
            }
            codes.push(code);
        }
        fleet.push(SimGateway { mac, codes });
    }
    Ok(SimFleet {
        account_id: account.id,
        gateways: fleet,
    })
}

/// Counters of a publishing run.
#[derive(Debug, Default)]
pub struct PublishCounters {
    /// Messages handed to the client.
    pub sent: AtomicU64,
    /// Messages the broker acknowledged (QoS 1).
    pub acknowledged: AtomicU64,
}

/// Publishes every gateway's readings every `interval` for `duration`, spreading the
/// gateways evenly over the interval, from `clients` MQTT connections.
pub async fn publish(
    mqtt_url: &str,
    fleet: &SimFleet,
    interval: Duration,
    duration: Duration,
    clients: usize,
    counters: Arc<PublishCounters>,
) -> anyhow::Result<()> {
    let (host, port) = tds_ingest::parse_mqtt_url(mqtt_url)?;
    let clients = clients.clamp(1, fleet.gateways.len());
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let mine: Vec<(usize, SimGateway)> = fleet
            .gateways
            .iter()
            .cloned()
            .enumerate()
            .filter(|(i, _)| i % clients == c)
            .collect();
        let total = fleet.gateways.len();
        let mut options = MqttOptions::new(
            format!("tds-sim-{}-{c}", Uuid::new_v4().simple()),
            host.clone(),
            port,
        );
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_inflight(1_000)
            .set_request_channel_capacity(10_000);
        let (client, mut eventloop) = AsyncClient::new(options, 10_000);
        let counters = counters.clone();
        let acks = counters.clone();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = finished.clone();
        tasks.spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acks.acknowledged.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) if done.load(Ordering::Relaxed) => return Ok(()),
                    Err(e) => {
                        tracing::warn!(error = %e, "publisher connection; reconnecting");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        tasks.spawn(async move {
            let started = tokio::time::Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            // Next due time of each of my gateways.
            let mut due: Vec<Duration> = mine.iter().map(|(i, _)| interval.mul_f64(*i as f64 / total as f64)).collect();
            while started.elapsed() < duration {
                tick.tick().await;
                let elapsed = started.elapsed();
                for (k, (_, g)) in mine.iter().enumerate() {
                    while due[k] <= elapsed && due[k] < duration {
                        let stamp = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
                        let step = (due[k].as_secs_f64() / interval.as_secs_f64()).round();
                        let items: Vec<serde_json::Value> = g
                            .codes
                            .iter()
                            .enumerate()
                            .map(|(d, code)| serde_json::json!({"dispositivo_codigo": code, "valor": 1000.0 * d as f64 + 0.25 * step, "unidade": "kWh"}))
                            .collect();
                        let body = serde_json::json!({"gateway_mac": g.mac, "timestamp": stamp, "leituras": items});
                        let topic = format!("tds_new/devices/{}/telemetry", g.mac);
                        client.publish(topic, QoS::AtLeastOnce, false, serde_json::to_vec(&body)?).await?;
                        counters.sent.fetch_add(1, Ordering::Relaxed);
                        due[k] += interval;
                    }
                }
            }
            // Let the broker acknowledge what is in flight before leaving.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while counters.acknowledged.load(Ordering::Relaxed) < counters.sent.load(Ordering::Relaxed)
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            finished.store(true, Ordering::Relaxed);
            client.disconnect().await?;
            Ok::<(), anyhow::Error>(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("publisher task")??;
    }
    Ok(())
}

/// Prepares `tds simulate --certs ROOT`: every gateway of the fleet gets its files in
/// `ROOT/<mac>/` (a P-256 certificate issued from the CA in the data directory when it has
/// none yet: quick to make, and the renewal keeps the algorithm) and a firmware to run.
pub async fn provision(
    db: &DatabaseConnection,
    settings: &tds_domain::config::Settings,
    fleet: &SimFleet,
    root: &std::path::Path,
    interval: Duration,
    fault: Option<crate::firmware::RenewalFault>,
) -> anyhow::Result<Vec<crate::firmware::Firmware>> {
    anyhow::ensure!(
        settings.broker.mqtt_url.starts_with("mqtts://"),
        "--certs needs MQTT_URL=mqtts://host:port (gateways connect with mutual TLS)"
    );
    let (host, port) = tds_ingest::parse_mqtt_url(&settings.broker.mqtt_url)?;
    let mut ca = None;
    let mut out = Vec::new();
    for g in &fleet.gateways {
        let dir = crate::firmware::gateway_dir(root, &g.mac);
        if !dir.join("cert.pem").exists() {
            if ca.is_none() {
                ca = Some(tds_certs::load_ca(&settings.platform.data_dir)?);
            }
            let ca = ca.as_ref().context("CA")?;
            let (_, issued) = tds_domain::certificates::issue_for_gateway(
                db,
                &Operator::command_line(),
                ca,
                &g.mac,
                tds_certs::Algorithm::P256,
                Utc::now(),
            )
            .await?;
            tds_certs::write_file(&dir.join("cert.pem"), &issued.cert_pem)?;
            tds_certs::write_file(&dir.join("ca.pem"), ca.cert_pem())?;
            let key = issued.key_pem.as_deref().context("a fresh key")?;
            tds_certs::write_key_file(&dir.join("key.pem"), key)?;
        }
        out.push(crate::firmware::Firmware {
            mac: g.mac.clone(),
            codes: g.codes.clone(),
            dir,
            host: host.clone(),
            port,
            interval,
            fault,
            meters: crate::firmware::Meters::Ramp,
        });
    }
    Ok(out)
}

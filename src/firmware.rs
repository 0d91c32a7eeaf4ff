//! A gateway's firmware as the seeds describe it (ADR-002/004), for `tds simulate
//! --certs`: one mTLS connection with its own certificate, telemetry at its interval, and
//! the over-the-air renewal — receive the update on the retained `cert_update` topic,
//! check it against the CA it trusts, back up, reconnect with the new certificate, ack
//! `applied`; or restore the backup and ack `rolled_back`.
//!
//! Files of one gateway, in `<dir>/<mac without colons>/` (the layout of a bundle):
//! `cert.pem`, `key.pem`, `ca.pem`; from a switch on, `cert.pem.bak` / `key.pem.bak` (the
//! way back while the broker refuses the new certificate and accepts the old one);
//! `ack.pending.json` (sent first thing on every connection until the broker has it); in
//! CSR mode the key waiting for its certificate, `key.next.pem`, and its renewal id.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{SecondsFormat, Utc};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use tds_domain::renewals::{CertificateUpdate, CsrRequest};

/// What makes a renewal fail on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RenewalFault {
    /// The new certificate "fails its self-test": restore the backup, ack `rolled_back`.
    Rollback,
}

/// What the simulated fleet did, for the operator and the tests.
#[derive(Debug, Default)]
pub struct FirmwareCounters {
    /// Telemetry messages published.
    pub published: AtomicU64,
    /// Renewals applied (switched to a successor).
    pub applied: AtomicU64,
    /// Renewals rolled back.
    pub rolled_back: AtomicU64,
}

/// One simulated gateway.
#[derive(Debug, Clone)]
pub struct Firmware {
    /// Normalised MAC (the certificate's CN).
    pub mac: String,
    /// Device codes it reads.
    pub codes: Vec<String>,
    /// Its files.
    pub dir: PathBuf,
    /// Broker host.
    pub host: String,
    /// Broker TLS port.
    pub port: u16,
    /// Seconds between telemetry messages.
    pub interval: Duration,
    /// Fault to inject into renewals.
    pub fault: Option<RenewalFault>,
    /// What its meters read.
    pub meters: Meters,
}

/// What a simulated gateway's meters read.
#[derive(Debug, Clone)]
pub enum Meters {
    /// Device `d` (from 0) reads `1000 d + 0.25 × message number` kWh: easy to check.
    Ramp,
    /// Each device its own profile, in the order of `codes`.
    Profiles(Vec<MeterProfile>),
}

/// One simulated meter of the demo fleet.
#[derive(Debug, Clone)]
pub struct MeterProfile {
    /// Unit sent with each value.
    pub unit: &'static str,
    /// How its value moves.
    pub shape: Shape,
}

/// How a simulated meter's value moves.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A register growing `per_hour` (with a daily swing) from `base`, by the wall clock,
    /// so a restarted demo carries on rather than winding meters back.
    Register {
        /// Value at 2026-01-01T00:00Z.
        base: f64,
        /// Mean growth per hour.
        per_hour: f64,
    },
    /// A momentary value swinging around `mid` by `swing` every `period_s` seconds,
    /// starting at its peak when the gateway starts.
    Wave {
        /// Middle value.
        mid: f64,
        /// Half the swing.
        swing: f64,
        /// Seconds of a full swing.
        period_s: f64,
    },
}

impl Shape {
    /// The value `since_start` after the gateway started, at wall-clock `now`.
    pub fn value(self, now: chrono::DateTime<Utc>, since_start: Duration) -> f64 {
        match self {
            Shape::Register { base, per_hour } => {
                let origin = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_default();
                let hours = (now - origin).num_milliseconds().max(0) as f64 / 3_600_000.0;
                // Growth slows at night and peaks at noon: the integral of 1 - 0.5 cos(2πh/24).
                let tau = std::f64::consts::TAU;
                let grown = hours - 0.5 * 24.0 / tau * (tau * hours / 24.0).sin();
                ((base + per_hour * grown) * 1000.0).round() / 1000.0
            }
            Shape::Wave {
                mid,
                swing,
                period_s,
            } => {
                let phase = std::f64::consts::TAU * since_start.as_secs_f64() / period_s;
                ((mid + swing * phase.cos()) * 100.0).round() / 100.0
            }
        }
    }
}

/// The directory of one gateway's files under `root`.
pub fn gateway_dir(root: &Path, mac: &str) -> PathBuf {
    root.join(mac.replace(':', ""))
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// What the firmware does with one message on its `cert_update` topic.
enum Decision {
    /// Nothing (cleared retained message, an update already applied or refused).
    Ignore,
    /// CSR mode: send this CSR.
    SendCsr(Vec<u8>),
    /// Refuse without switching: ack `rolled_back` for (serial, renewal id) with this detail.
    Refuse(String, Option<uuid::Uuid>, String),
    /// Switch to this certificate and key.
    Switch {
        serial: String,
        cert: String,
        key: String,
    },
}

impl Firmware {
    fn topic(&self, suffix: &str) -> String {
        format!("tds_new/devices/{}/{suffix}", self.mac)
    }

    fn current_serial(&self) -> Option<String> {
        let ca = std::fs::read_to_string(file(&self.dir, "ca.pem")).ok()?;
        let cert = std::fs::read_to_string(file(&self.dir, "cert.pem")).ok()?;
        tds_certs::check_issued_by(&ca, &cert, &self.mac, Utc::now()).ok()
    }

    async fn connect(&self) -> anyhow::Result<(AsyncClient, EventLoop)> {
        self.connect_as("cert.pem", "key.pem").await
    }

    /// Connects with the certificate and key in these files of the gateway's directory.
    async fn connect_as(&self, cert: &str, key: &str) -> anyhow::Result<(AsyncClient, EventLoop)> {
        let (host, port) = (self.host.clone(), self.port);
        let mut options = MqttOptions::new(self.mac.clone(), host, port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true);
        let files = tds_ingest::TlsFiles {
            ca: file(&self.dir, "ca.pem"),
            cert: file(&self.dir, cert),
            key: file(&self.dir, key),
        };
        options.set_transport(tds_ingest::tls_transport(Some(&files))?);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let connected = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(anyhow::anyhow!("{e}")),
                }
            }
        })
        .await
        .map_err(|_| anyhow::anyhow!("no CONNACK within 10 s"))?;
        connected?;
        Ok((client, eventloop))
    }

    /// CSR mode: a fresh key per renewal, kept until its certificate arrives; a request
    /// delivered again (after a reconnect) gets a CSR for the same key.
    fn csr_for(&self, renewal_id: uuid::Uuid) -> anyhow::Result<String> {
        let key_file = file(&self.dir, "key.next.pem");
        let for_file = file(&self.dir, "key.next.renewal");
        let same = std::fs::read_to_string(&for_file).ok() == Some(renewal_id.to_string());
        if same && let Ok(key) = std::fs::read_to_string(&key_file) {
            return Ok(tds_certs::gateway_csr_with_key(&self.mac, &key)?);
        }
        let (csr, key) = tds_certs::gateway_csr(&self.mac, tds_certs::Algorithm::P256)?;
        tds_certs::write_key_file(&key_file, &key)?;
        std::fs::write(&for_file, renewal_id.to_string())?;
        Ok(csr)
    }

    fn decide(&self, payload: &[u8], refused: &HashSet<String>) -> Decision {
        if payload.is_empty() {
            return Decision::Ignore;
        }
        if let Ok(request) = serde_json::from_slice::<CsrRequest>(payload)
            && request.action == "csr_request"
        {
            if refused.contains(&request.renewal_id.to_string()) {
                return Decision::Ignore;
            }
            let csr = match self.csr_for(request.renewal_id) {
                Ok(csr) => csr,
                Err(e) => {
                    return Decision::Refuse(
                        request.serial,
                        Some(request.renewal_id),
                        format!("cannot make a CSR: {e}"),
                    );
                }
            };
            let body = serde_json::json!({"renewal_id": request.renewal_id, "csr": csr});
            return Decision::SendCsr(body.to_string().into_bytes());
        }
        let update: CertificateUpdate = match serde_json::from_slice(payload) {
            Ok(update) => update,
            Err(e) => {
                tracing::warn!(mac = %self.mac, error = %e, "unreadable cert_update ignored");
                return Decision::Ignore;
            }
        };
        if refused.contains(&update.serial)
            || self.current_serial().as_deref() == Some(&update.serial)
        {
            return Decision::Ignore;
        }
        // Trust only the CA the gateway already has, never the one in the message.
        let ca = match std::fs::read_to_string(file(&self.dir, "ca.pem")) {
            Ok(ca) => ca,
            Err(e) => {
                return Decision::Refuse(update.serial, None, format!("no CA on the device: {e}"));
            }
        };
        match tds_certs::check_issued_by(&ca, &update.certificate, &self.mac, Utc::now()) {
            Ok(serial) if serial == update.serial => {}
            Ok(serial) => {
                return Decision::Refuse(
                    update.serial,
                    None,
                    format!("the certificate's serial is {serial}"),
                );
            }
            Err(e) => return Decision::Refuse(update.serial, None, e.to_string()),
        }
        let key = match update.private_key.clone() {
            Some(key) => key,
            None => match std::fs::read_to_string(file(&self.dir, "key.next.pem")) {
                Ok(key) => key,
                Err(_) => {
                    return Decision::Refuse(
                        update.serial,
                        None,
                        "no key for this certificate".into(),
                    );
                }
            },
        };
        match tds_certs::key_matches(&update.certificate, &key) {
            Ok(true) => Decision::Switch {
                serial: update.serial,
                cert: update.certificate,
                key,
            },
            _ => Decision::Refuse(
                update.serial,
                None,
                "the key does not match the certificate".into(),
            ),
        }
    }

    /// Backs up, installs the successor and tries it; writes the ack to send. The backup
    /// stays until the broker has the ack, so the gateway can still fall back to it.
    /// Returns whether the successor was applied.
    async fn switch(&self, serial: &str, cert: &str, key: &str) -> bool {
        let (cert_path, key_path) = (file(&self.dir, "cert.pem"), file(&self.dir, "key.pem"));
        let (cert_bak, key_bak) = (
            file(&self.dir, "cert.pem.bak"),
            file(&self.dir, "key.pem.bak"),
        );
        let backed_up = std::fs::copy(&cert_path, &cert_bak)
            .and_then(|_| std::fs::copy(&key_path, &key_bak))
            .is_ok();
        if !backed_up {
            self.keep_ack(
                serial,
                None,
                "rolled_back",
                "could not back up the current certificate",
            );
            return false;
        }
        let installed = tds_certs::write_file(&cert_path, cert).is_ok()
            && tds_certs::write_key_file(&key_path, key).is_ok();
        let outcome = if !installed {
            Err("could not install the new certificate".to_owned())
        } else {
            match self.connect().await {
                Ok((client, mut eventloop)) => {
                    let _ = client.disconnect().await;
                    let _ = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await;
                    match self.fault {
                        Some(RenewalFault::Rollback) => {
                            Err("fault injected: the new certificate failed its self-test".into())
                        }
                        None => Ok(()),
                    }
                }
                Err(e) => Err(format!("the broker refused the new certificate: {e}")),
            }
        };
        match outcome {
            Ok(()) => {
                let _ = std::fs::remove_file(file(&self.dir, "key.next.pem"));
                let _ = std::fs::remove_file(file(&self.dir, "key.next.renewal"));
                tracing::info!(mac = %self.mac, serial, "renewal applied");
                self.keep_ack(
                    serial,
                    None,
                    "applied",
                    &format!("connected with serial {serial}"),
                );
                true
            }
            Err(detail) => {
                self.restore_backup();
                tracing::warn!(mac = %self.mac, serial, %detail, "renewal rolled back");
                self.keep_ack(serial, None, "rolled_back", &detail);
                false
            }
        }
    }

    /// Writes the ack to send at the next connection (kept until the broker has it).
    fn keep_ack(&self, serial: &str, renewal_id: Option<uuid::Uuid>, status: &str, detail: &str) {
        let mut ack = serde_json::json!({"serial": serial, "status": status, "detail": detail});
        if let Some(id) = renewal_id {
            ack["renewal_id"] = serde_json::json!(id);
        }
        if let Err(e) = std::fs::write(file(&self.dir, "ack.pending.json"), ack.to_string()) {
            tracing::error!(mac = %self.mac, error = %e, "ack not kept");
        }
    }

    /// Puts the backed-up certificate back; false when there is no backup.
    fn restore_backup(&self) -> bool {
        let (cert_bak, key_bak) = (
            file(&self.dir, "cert.pem.bak"),
            file(&self.dir, "key.pem.bak"),
        );
        if !cert_bak.exists() || !key_bak.exists() {
            return false;
        }
        std::fs::rename(&cert_bak, file(&self.dir, "cert.pem")).is_ok()
            && std::fs::rename(&key_bak, file(&self.dir, "key.pem")).is_ok()
    }

    /// The current certificate does not connect: if the backed-up one does (the broker
    /// refuses the new one, e.g. revoked after a renewal that timed out), go back to it and
    /// report the new one rolled back. A broker that refuses both (down, restarting) changes
    /// nothing. Returns the serial given up.
    async fn fall_back(&self, why: &str) -> Option<String> {
        if !file(&self.dir, "cert.pem.bak").exists() {
            return None;
        }
        let (client, mut eventloop) = self.connect_as("cert.pem.bak", "key.pem.bak").await.ok()?;
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await;
        let serial = self.current_serial().unwrap_or_default();
        if !self.restore_backup() {
            return None;
        }
        tracing::warn!(mac = %self.mac, serial, why, "fell back to the previous certificate");
        self.keep_ack(
            &serial,
            None,
            "rolled_back",
            &format!("the new certificate no longer connects: {why}"),
        );
        Some(serial)
    }

    /// Sends the kept ack first thing on a fresh connection and waits for the broker to
    /// take it; then the ack file goes.
    async fn deliver_kept_ack(
        &self,
        client: &AsyncClient,
        eventloop: &mut EventLoop,
    ) -> anyhow::Result<()> {
        let path = file(&self.dir, "ack.pending.json");
        let Ok(ack) = std::fs::read(&path) else {
            return Ok(());
        };
        client
            .publish(self.topic("cert_update/ack"), QoS::AtLeastOnce, false, ack)
            .await
            .context("ack")?;
        let delivered = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => return true,
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
        })
        .await
        .unwrap_or(false);
        anyhow::ensure!(delivered, "the broker did not take the ack");
        // The backup stays until the next switch replaces it: the way back, should this
        // certificate be refused later (say, revoked after a late ack).
        let _ = std::fs::remove_file(&path);
        Ok(())
    }

    fn reading(&self, step: u64, since_start: Duration) -> Vec<u8> {
        let now = Utc::now();
        let stamp = now.to_rfc3339_opts(SecondsFormat::Micros, true);
        let items: Vec<serde_json::Value> = self
            .codes
            .iter()
            .enumerate()
            .map(|(d, code)| {
                let (value, unit) = match &self.meters {
                    Meters::Ramp => (1000.0 * d as f64 + 0.25 * step as f64, "kWh"),
                    Meters::Profiles(profiles) => match profiles.get(d) {
                        Some(p) => (p.shape.value(now, since_start), p.unit),
                        None => (0.0, "kWh"),
                    },
                };
                serde_json::json!({"dispositivo_codigo": code, "valor": value, "unidade": unit})
            })
            .collect();
        serde_json::json!({"gateway_mac": self.mac, "timestamp": stamp, "leituras": items})
            .to_string()
            .into_bytes()
    }

    /// Runs until `duration` has passed: connects (again after every loss or switch),
    /// publishes telemetry, and renews when told to.
    pub async fn run(
        self,
        duration: Duration,
        counters: Arc<FirmwareCounters>,
    ) -> anyhow::Result<()> {
        let started = tokio::time::Instant::now();
        let until = started + duration;
        let mut refused: HashSet<String> = HashSet::new();
        let mut step = 0u64;
        while tokio::time::Instant::now() < until {
            let (client, mut eventloop) = match self.connect().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(mac = %self.mac, error = %e, "cannot connect; retrying");
                    if let Some(serial) = self.fall_back(&e.to_string()).await {
                        refused.insert(serial);
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = self.deliver_kept_ack(&client, &mut eventloop).await {
                tracing::warn!(mac = %self.mac, error = %e, "ack not delivered; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            client
                .subscribe(self.topic("cert_update"), QoS::AtLeastOnce)
                .await
                .context("subscribe")?;
            let mut tick = tokio::time::interval(self.interval);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {
                        let _ = client.disconnect().await;
                        let _ = tokio::time::timeout(Duration::from_secs(2), async {
                            while eventloop.poll().await.is_ok() {}
                        }).await;
                        return Ok(());
                    }
                    _ = tick.tick() => {
                        step += 1;
                        if client.try_publish(self.topic("telemetry"), QoS::AtLeastOnce, false, self.reading(step, started.elapsed())).is_ok() {
                            counters.published.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    event = eventloop.poll() => match event {
                        Ok(Event::Incoming(Packet::Publish(p))) if p.topic == self.topic("cert_update") => {
                            match self.decide(&p.payload, &refused) {
                                Decision::Ignore => {}
                                Decision::SendCsr(body) => {
                                    let _ = client.try_publish(self.topic("cert_update/csr"), QoS::AtLeastOnce, false, body);
                                }
                                Decision::Refuse(serial, renewal_id, detail) => {
                                    tracing::warn!(mac = %self.mac, serial, %detail, "update refused");
                                    refused.insert(serial.clone());
                                    refused.extend(renewal_id.map(|id| id.to_string()));
                                    counters.rolled_back.fetch_add(1, Ordering::Relaxed);
                                    self.keep_ack(&serial, renewal_id, "rolled_back", &detail);
                                    // Reconnecting delivers the kept ack before anything else.
                                    let _ = client.disconnect().await;
                                    tokio::time::sleep(Duration::from_millis(500)).await;
                                    break;
                                }
                                Decision::Switch { serial, cert, key } => {
                                    // Leave with the current certificate, then try the new one.
                                    let _ = client.disconnect().await;
                                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                                        while eventloop.poll().await.is_ok() {}
                                    }).await;
                                    if self.switch(&serial, &cert, &key).await {
                                        counters.applied.fetch_add(1, Ordering::Relaxed);
                                    } else {
                                        refused.insert(serial.clone());
                                        counters.rolled_back.fetch_add(1, Ordering::Relaxed);
                                    }
                                    break;
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(mac = %self.mac, error = %e, "connection lost");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            break;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

//! The certificate worker: the nightly over-the-air renewal (ADR-004) on an apalis cron
//! schedule, the publication of successors on the retained `cert_update` topics, and the
//! handling of what gateways answer on `cert_update/ack` and `cert_update/csr`.
//!
//! It holds its own MQTT session as the platform identity (persistent, manual acks,
//! shared subscription across replicas): a gateway's message is acknowledged to the
//! broker only after its outcome is committed, so a crash makes the broker deliver it
//! again, and every handler in `tds_domain::renewals` is idempotent for that reason.
//! Decisions live in `tds_domain::renewals`; this module only moves messages.
//!
//! No message holds up the others: one that fails waits for its next attempt in a
//! backlog (behind it only the later messages of the same gateway) while the loop goes on
//! with other gateways, the poll and the CRL. After [`MESSAGE_ATTEMPTS`] failures that
//! are the message's own (not a database or broker that cannot be reached) it is kept as a
//! `HANDLING_FAILED` dead letter and acknowledged.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, WorkerBuilder};
use apalis_cron::{CronScheduler, Schedule, Tick};
use chrono::{DateTime, Utc};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use sea_orm::DatabaseConnection;
use tds_certs::CertificateAuthority;
use tds_domain::renewals::{self, Effects, Outbound, RenewalPolicy};
use tds_domain::telemetry::{MAX_PAYLOAD_BYTES, oversized};
use tds_domain::values::Mac;
use tds_domain::{DomainError, DomainResult};
use tds_entity::RenewalTrigger;
use tds_ingest::{MQTT_MAX_PACKET, TlsFiles};
use tokio::sync::{Mutex, mpsc};

use crate::backlog::{Backlog, Waiting};
use crate::storage::{self, Failure};

/// Failed attempts, through the message's own fault, before a gateway's message is kept
/// as a dead letter and acknowledged.
pub const MESSAGE_ATTEMPTS: u32 = 3;
/// First wait before a failed message is tried again (it doubles each time).
const RETRY_FIRST: Duration = Duration::from_millis(200);
/// Longest wait between attempts (a database or broker that stays away).
const RETRY_MOST: Duration = Duration::from_secs(10);

/// How the certificate worker reaches the broker.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub mqtt_url: String,
    /// The platform identity, required for `mqtts://`.
    pub tls: Option<TlsFiles>,
    /// Stable client id (persistent session).
    pub client_id: String,
    /// Shared-subscription group of the worker replicas; `None` (the default) subscribes
    /// plainly, so the broker keeps what arrives while the worker is away.
    pub share_group: Option<String>,
    /// Where the link reports the broker ([`BROKER_CHECK`]; not required: telemetry is
    /// written without it).
    pub readiness: tds_bus::Readiness,
}

/// Readiness name of the certificate worker's broker connection.
pub const BROKER_CHECK: &str = "workers.broker";

impl LinkConfig {
    /// Defaults for replica `instance`.
    pub fn new(mqtt_url: &str, instance: &str) -> Self {
        Self {
            mqtt_url: mqtt_url.to_owned(),
            tls: None,
            client_id: format!("tds-renewals-{instance}"),
            share_group: None,
            readiness: tds_bus::Readiness::default(),
        }
    }

    /// The subscriptions: every gateway's acks and CSRs.
    pub fn filters(&self) -> [String; 2] {
        let group = self.share_group.as_deref();
        [
            tds_ingest::subscription(group, "tds_new/devices/+/cert_update/ack"),
            tds_ingest::subscription(group, "tds_new/devices/+/cert_update/csr"),
        ]
    }
}

/// Everything the certificate worker needs.
#[derive(Debug, Clone)]
pub struct RenewalConfig {
    /// When and how much to renew.
    pub policy: RenewalPolicy,
    /// The broker.
    pub link: LinkConfig,
    /// Where the CA lives (`<data_dir>/pki`).
    pub data_dir: PathBuf,
    /// Where the CRL is rewritten (CA directory, broker directory).
    pub crl_paths: Vec<PathBuf>,
    /// How often scheduled renewals are published and overdue ones ended.
    pub poll: Duration,
    /// Name of this replica's cron worker.
    pub name: String,
}

/// The certificate worker could not start or lost its broker.
#[derive(Debug, thiserror::Error)]
pub enum RenewalError {
    /// The MQTT settings are unusable.
    #[error(transparent)]
    Link(#[from] tds_ingest::IngestError),
    /// The broker did not confirm a publication in time.
    #[error("the broker did not confirm the publication on {0}")]
    Unconfirmed(String),
    /// The MQTT client refused the request (its queue is closed).
    #[error("MQTT client: {0}")]
    Client(String),
}

/// Why a gateway's message was not handled this time.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Storage failed or a rule refused.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The broker did not confirm what had to be published (a CSR's certificate).
    #[error("{0}")]
    Broker(String),
}

impl HandleError {
    /// Whether the infrastructure failed (database or broker out of reach), not the
    /// message: such attempts do not count toward giving up on it.
    pub fn is_unavailable(&self) -> bool {
        match self {
            HandleError::Broker(_) => true,
            HandleError::Domain(DomainError::Database(e)) => {
                storage::classify(e) == Failure::Unavailable
            }
            HandleError::Domain(_) => false,
        }
    }

    /// What a dead letter says: never the database's own text (it may quote data).
    fn describe(&self) -> String {
        match self {
            HandleError::Domain(DomainError::Database(e)) => storage::classify(e).describe(),
            other => other.to_string(),
        }
    }
}

/// How long the broker may take to accept one publication.
const CONFIRM_WITHIN: Duration = Duration::from_secs(10);

/// The platform's MQTT sessions for certificate traffic: a persistent one receiving the
/// gateways' acks and CSRs, and a short one per publication, so that a confirmation
/// (PUBACK) can only ever be the confirmation of that publication.
pub struct DeviceLink {
    client: AsyncClient,
    poller: tokio::task::JoinHandle<()>,
    publisher: MqttOptions,
    // One publication at a time: one publisher client id.
    publishing: Mutex<()>,
}

impl DeviceLink {
    /// Connects (in the background, reconnecting forever) and subscribes to acks and
    /// CSRs; returns the link and the stream of gateways' messages.
    pub fn connect(
        config: &LinkConfig,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Publish>), RenewalError> {
        let (host, port) = tds_ingest::parse_mqtt_url(&config.mqtt_url)?;
        let transport = if config.mqtt_url.starts_with("mqtts://") {
            Some(tds_ingest::tls_transport(config.tls.as_ref())?)
        } else {
            None
        };
        let mut options = MqttOptions::new(config.client_id.clone(), host.clone(), port);
        options
            .set_clean_session(false)
            .set_manual_acks(true)
            .set_keep_alive(Duration::from_secs(30))
            // Any packet MQTT can carry: a larger one would break the session, and the
            // broker would deliver it again, forever. An oversized one is dead-lettered.
            .set_max_packet_size(MQTT_MAX_PACKET, 1024 * 1024);
        let mut publisher = MqttOptions::new(format!("{}-pub", config.client_id), host, port);
        publisher
            .set_clean_session(true)
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(1024 * 1024, 1024 * 1024);
        if let Some(transport) = transport {
            options.set_transport(transport.clone());
            publisher.set_transport(transport);
        }
        let (client, eventloop) = AsyncClient::new(options, 1_000);
        let (tx, rx) = mpsc::unbounded_channel();
        config.readiness.expect(BROKER_CHECK, false);
        let poller = tokio::spawn(poll(
            eventloop,
            client.clone(),
            config.filters(),
            tx,
            config.readiness.clone(),
        ));
        Ok((
            Self {
                client,
                poller,
                publisher,
                publishing: Mutex::new(()),
            },
            rx,
        ))
    }

    /// Publishes QoS 1 on a connection of its own and returns once the broker
    /// acknowledged it.
    pub async fn publish_confirmed(
        &self,
        topic: &str,
        payload: Vec<u8>,
        retain: bool,
    ) -> Result<(), RenewalError> {
        let _turn = self.publishing.lock().await;
        let (client, mut eventloop) = AsyncClient::new(self.publisher.clone(), 10);
        client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|e| RenewalError::Client(e.to_string()))?;
        let confirmed = tokio::time::timeout(CONFIRM_WITHIN, async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => return true,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, topic, "publication failed");
                        return false;
                    }
                }
            }
        })
        .await
        .unwrap_or(false);
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
        if confirmed {
            Ok(())
        } else {
            Err(RenewalError::Unconfirmed(topic.to_owned()))
        }
    }

    /// Tells the broker a gateway's message is handled (it will not come again).
    pub async fn ack(&self, publish: &Publish) {
        if let Err(e) = self.client.ack(publish).await {
            tracing::warn!(error = %e, "ack not sent; the message will come again (handled idempotently)");
        }
    }

    /// Leaves the broker.
    pub async fn close(&self) {
        let _ = self.client.disconnect().await;
        self.poller.abort();
    }
}

async fn poll(
    mut eventloop: EventLoop,
    client: AsyncClient,
    filters: [String; 2],
    tx: mpsc::UnboundedSender<Publish>,
    readiness: tds_bus::Readiness,
) {
    let mut backoff = tds_bus::Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                if tx.send(publish).is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff.reset();
                readiness.up(BROKER_CHECK);
                tracing::info!(
                    session_present = ack.session_present,
                    "certificate worker connected to the broker"
                );
                for filter in &filters {
                    if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                        tracing::error!(error = %e, "subscribe failed");
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                readiness.down(BROKER_CHECK, &e.to_string());
                let retry_in = backoff.next_delay();
                tracing::debug!(error = %e, ?retry_in, "certificate worker: broker unreachable");
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

/// The certificate worker's state: database, CA, policy, broker link.
pub struct RenewalWorker {
    db: DatabaseConnection,
    ca: Arc<CertificateAuthority>,
    policy: RenewalPolicy,
    link: DeviceLink,
    crl_paths: Vec<PathBuf>,
    // What the CRL on disk reflects (revoked certificates, latest revocation) and when
    // it was written.
    crl_written: Mutex<Option<CrlWritten>>,
}

/// The CRL last written: what it reflects and when.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CrlWritten {
    state: (u64, Option<DateTime<Utc>>),
    at: DateTime<Utc>,
}

/// A CRL is rewritten at least this often: it is valid for
/// [`tds_certs::CRL_VALIDITY_DAYS`], and past its next update OpenSSL (so Mosquitto)
/// refuses every client.
const CRL_REFRESH: chrono::Duration = chrono::Duration::hours(24);

/// What a gateway sent about a renewal.
enum Incoming {
    Ack(Mac),
    Csr(Mac),
}

fn classify(topic: &str) -> Option<Incoming> {
    let rest = topic.strip_prefix("tds_new/devices/")?;
    let (mac, kind) = rest.split_once('/')?;
    let mac = Mac::parse(mac).ok()?;
    match kind {
        "cert_update/ack" => Some(Incoming::Ack(mac)),
        "cert_update/csr" => Some(Incoming::Csr(mac)),
        _ => None,
    }
}

impl RenewalWorker {
    /// A worker over an open link.
    pub fn new(
        db: DatabaseConnection,
        ca: Arc<CertificateAuthority>,
        policy: RenewalPolicy,
        link: DeviceLink,
        crl_paths: Vec<PathBuf>,
    ) -> Self {
        Self {
            db,
            ca,
            policy,
            link,
            crl_paths,
            crl_written: Mutex::new(None),
        }
    }

    /// Runs the night due at `now` (if it has not run) and publishes what it scheduled.
    pub async fn run_night(
        &self,
        now: DateTime<Utc>,
        trigger: RenewalTrigger,
    ) -> DomainResult<renewals::NightOutcome> {
        let outcome = renewals::run_night(&self.db, &self.policy, now, trigger).await?;
        if outcome.started {
            tracing::info!(night = %outcome.run.night, scheduled = outcome.renewals.len(), "renewal night");
        }
        self.publish_scheduled(Utc::now()).await;
        Ok(outcome)
    }

    /// Publishes every scheduled renewal not yet handed to the broker; one that fails is
    /// logged and does not hold up the others.
    pub async fn publish_scheduled(&self, now: DateTime<Utc>) -> usize {
        let pending = match renewals::awaiting_publication(&self.db, 100).await {
            Ok(pending) => pending,
            Err(e) => {
                tracing::warn!(error = %e, "scheduled renewals not read");
                return 0;
            }
        };
        let mut published = 0;
        for renewal in pending {
            match renewals::prepare(&self.db, &self.ca, &self.policy, renewal.id, now).await {
                Ok(Some(outbound)) => match self.send(&outbound).await {
                    Ok(true) => published += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, renewal = %renewal.id, "publication not recorded")
                    }
                },
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, renewal = %renewal.id, "renewal not prepared"),
            }
        }
        published
    }

    /// Publishes one update retained and records it; a publication the broker does not
    /// confirm is left to the deadline (the gateway may have it).
    async fn send(&self, outbound: &Outbound) -> DomainResult<bool> {
        match self
            .link
            .publish_confirmed(&outbound.topic, outbound.payload.clone(), true)
            .await
        {
            Ok(()) => {
                renewals::mark_sent(&self.db, &self.policy, outbound, Utc::now()).await?;
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(error = %e, renewal = %outbound.renewal.id, "update not confirmed; the renewal ends at its deadline unless acknowledged");
                Ok(false)
            }
        }
    }

    /// The upkeep of every poll: end overdue renewals, clear retained updates of ended
    /// ones (until the broker confirmed), rewrite the CRL if a revocation is not in it.
    pub async fn upkeep(&self, now: DateTime<Utc>) {
        match renewals::expire_overdue(&self.db, now).await {
            Ok(ended) => {
                for effects in ended {
                    if let Err(e) = self.carry_out(effects, now).await {
                        tracing::warn!(error = %e, "after a timeout; retried at the next poll");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "expiring overdue renewals failed"),
        }
        match renewals::awaiting_clear(&self.db, 100).await {
            Ok(ended) => {
                for (renewal, topic) in ended {
                    if let Err(e) = self.clear(&renewal, &topic, now).await {
                        tracing::warn!(error = %e, %topic, "retained update not cleared; retried at the next poll");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "ended renewals not read"),
        }
        if let Err(e) = self.write_crl_if_stale(now).await {
            tracing::warn!(error = %e, "CRL not rewritten; retried at the next poll");
        }
    }

    async fn write_crl_if_stale(&self, now: DateTime<Utc>) -> DomainResult<()> {
        let state = tds_domain::certificates::revocation_state(&self.db).await?;
        let mut written = self.crl_written.lock().await;
        let fresh = written.is_some_and(|w| w.state == state && now - w.at < CRL_REFRESH);
        if !fresh {
            self.write_crl(now).await?;
            *written = Some(CrlWritten { state, at: now });
        }
        Ok(())
    }

    async fn write_crl(&self, now: DateTime<Utc>) -> DomainResult<()> {
        let paths: Vec<&std::path::Path> = self.crl_paths.iter().map(PathBuf::as_path).collect();
        tds_domain::certificates::write_crl(&self.db, &self.ca, &paths, now).await?;
        Ok(())
    }

    async fn clear(
        &self,
        renewal: &tds_entity::certificate_renewal::Model,
        topic: &str,
        now: DateTime<Utc>,
    ) -> DomainResult<()> {
        // A newer renewal of the gateway owns the topic now: leave its update alone.
        if !renewals::may_clear(&self.db, renewal.gateway_id).await? {
            return Ok(());
        }
        self.link
            .publish_confirmed(topic, Vec::new(), true)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        renewals::mark_cleared(&self.db, renewal, topic, now).await
    }

    /// Handles one gateway message; `Err` when it must be tried again (storage or broker
    /// down, or a failure of this message). Every handler is idempotent, so a retry
    /// repeats nothing that matters.
    pub async fn handle(
        &self,
        topic: &str,
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), HandleError> {
        let incoming = classify(topic);
        let effects = match &incoming {
            // Acks and CSRs are small; the broker's limit is the platform's cap.
            _ if payload.len() > MAX_PAYLOAD_BYTES => Effects {
                refusal: Some(renewals::Refusal {
                    reason: "OVERSIZED",
                    detail: oversized(payload.len(), MAX_PAYLOAD_BYTES).detail,
                }),
                ..Effects::default()
            },
            Some(Incoming::Ack(mac)) => {
                renewals::apply_ack(&self.db, mac.as_str(), payload, now).await?
            }
            Some(Incoming::Csr(mac)) => {
                renewals::accept_csr(&self.db, &self.ca, mac.as_str(), payload, now).await?
            }
            None => Effects {
                refusal: Some(renewals::Refusal {
                    reason: "BAD_TOPIC",
                    detail: "expected tds_new/devices/{mac}/cert_update/ack or …/csr".into(),
                }),
                ..Effects::default()
            },
        };
        if let Some(refusal) = &effects.refusal {
            let mac = incoming.map(|i| match i {
                Incoming::Ack(m) | Incoming::Csr(m) => m,
            });
            tds_domain::readings::keep_dead_letter(
                &self.db,
                mac.as_ref().map(Mac::as_str),
                topic,
                &payload[..payload.len().min(MAX_PAYLOAD_BYTES)],
                refusal.reason,
                &refusal.detail,
                now,
            )
            .await?;
            tracing::warn!(topic, reason = refusal.reason, detail = %refusal.detail, "renewal message refused");
        }
        self.carry_out(effects, now).await
    }

    /// Tries a waiting message once: acknowledged when handled; kept as a dead letter and
    /// acknowledged after [`MESSAGE_ATTEMPTS`] failures of its own; else back in the
    /// backlog for a later attempt.
    async fn attempt(
        &self,
        backlog: &mut Backlog<Publish>,
        key: String,
        mut waiting: Waiting<Publish>,
    ) {
        let message = &waiting.item;
        let error = match self
            .handle(&message.topic, &message.payload, Utc::now())
            .await
        {
            Ok(()) => {
                self.link.ack(message).await;
                return;
            }
            Err(e) => e,
        };
        waiting.failed(!error.is_unavailable(), RETRY_FIRST, RETRY_MOST);
        let message = &waiting.item;
        tracing::warn!(error = %error, topic = %message.topic, attempts = waiting.attempts, "renewal message not handled");
        if waiting.attempts >= MESSAGE_ATTEMPTS {
            match self.give_up(message, &error).await {
                Ok(()) => {
                    self.link.ack(message).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "dead letter not kept; the message is tried again")
                }
            }
        }
        backlog.retry(key, waiting);
    }

    /// Keeps a message that could not be handled as a `HANDLING_FAILED` dead letter.
    async fn give_up(&self, message: &Publish, error: &HandleError) -> DomainResult<()> {
        let mac = classify(&message.topic).map(|i| match i {
            Incoming::Ack(m) | Incoming::Csr(m) => m,
        });
        let payload = &message.payload[..message.payload.len().min(MAX_PAYLOAD_BYTES)];
        tds_domain::readings::keep_dead_letter(
            &self.db,
            mac.as_ref().map(Mac::as_str),
            &message.topic,
            payload,
            "HANDLING_FAILED",
            &format!(
                "not handled after {MESSAGE_ATTEMPTS} attempts: {}",
                error.describe()
            ),
            Utc::now(),
        )
        .await?;
        tracing::error!(topic = %message.topic, error = %error, "renewal message kept as a dead letter after repeated failures");
        Ok(())
    }

    async fn carry_out(&self, effects: Effects, now: DateTime<Utc>) -> Result<(), HandleError> {
        if let Some(renewal) = &effects.renewal {
            use tds_entity::RenewalState as S;
            if matches!(
                renewal.state,
                S::Applied | S::Failed | S::RolledBack | S::TimedOut
            ) {
                // A replayed ack counts again: the figure is a rate, not a ledger.
                metrics::counter!("tds_renewals_total", "outcome" => renewal.state.as_str())
                    .increment(1);
            }
        }
        if effects.crl_changed {
            self.write_crl(now).await?;
        }
        if let Some(outbound) = &effects.publish
            && !self.send(outbound).await?
        {
            // Not confirmed: fail, so the gateway's CSR comes again and gets the same
            // successor again.
            return Err(HandleError::Broker(format!(
                "the successor for {} was not confirmed by the broker",
                outbound.topic
            )));
        }
        if let (Some(topic), Some(renewal)) = (&effects.clear_retained, &effects.renewal) {
            // On failure the poll's upkeep clears it later (the renewal stays uncleared).
            if let Err(e) = self.clear(renewal, topic, now).await {
                tracing::warn!(error = %e, %topic, "retained update not cleared yet");
            }
        }
        Ok(())
    }
}

/// The nightly schedule as apalis-cron sees it: the next run of the policy (02:00 local,
/// daylight-saving jumps handled as the domain defines them).
#[derive(Debug, Clone)]
pub struct NightSchedule(pub RenewalPolicy);

impl Schedule<chrono_tz::Tz> for NightSchedule {
    fn next_tick(&mut self, _: &chrono_tz::Tz) -> Option<Tick<chrono_tz::Tz>> {
        let next = self.0.next_run_after(Utc::now());
        Some(Tick::new(next.timestamp().max(0) as u64))
    }
}

async fn night_tick(
    tick: Tick<chrono_tz::Tz>,
    worker: Data<Arc<RenewalWorker>>,
) -> Result<(), BoxDynError> {
    // The tick's own instant decides the night, so a late or early wake-up still runs
    // the night it was scheduled for.
    let at = DateTime::from_timestamp(tick.get_timestamp() as i64, 0).unwrap_or_else(Utc::now);
    worker.run_night(at, RenewalTrigger::Schedule).await?;
    Ok(())
}

/// Starts the apalis cron worker that runs each night at the policy's local time.
pub fn schedule_nights(
    worker: Arc<RenewalWorker>,
    policy: &RenewalPolicy,
    name: &str,
) -> tokio::task::JoinHandle<Result<(), apalis::prelude::WorkerError>> {
    let schedule = CronScheduler::new(NightSchedule(policy.clone())).with_timezone(policy.timezone);
    let name = name.to_owned();
    tokio::spawn(async move {
        WorkerBuilder::new(name)
            .backend(schedule)
            .data(worker)
            .build(night_tick)
            .run()
            .await
    })
}

/// Runs the certificate worker until `shutdown` resolves; `requests` wakes it when a
/// renewal was scheduled elsewhere. Without a CA (no PKI in use) it only waits.
pub async fn run(
    config: RenewalConfig,
    db: DatabaseConnection,
    requests: Arc<tokio::sync::Notify>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RenewalError> {
    let ca = match tds_certs::load_ca(&config.data_dir) {
        Ok(ca) => Arc::new(ca),
        Err(e) => {
            tracing::warn!(error = %e, "certificate renewal disabled");
            shutdown.await;
            return Ok(());
        }
    };
    let (link, mut incoming) = DeviceLink::connect(&config.link)?;
    let worker = Arc::new(RenewalWorker::new(
        db,
        ca,
        config.policy.clone(),
        link,
        config.crl_paths.clone(),
    ));
    tracing::info!(
        next_run = %config.policy.next_run_after(Utc::now()),
        cron = %config.policy.cron_expression(),
        timezone = %config.policy.timezone,
        "certificate renewal scheduled"
    );
    let mut cron = schedule_nights(worker.clone(), &config.policy, &config.name);
    let mut every = tokio::time::interval(config.poll);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    // Messages that failed, waiting for another attempt (the broker keeps them
    // unacknowledged meanwhile); the loop never waits for them.
    let mut backlog: Backlog<Publish> = Backlog::default();
    loop {
        let next_retry = backlog.next_due();
        tokio::select! {
            _ = &mut shutdown => break,
            message = incoming.recv() => {
                let Some(message) = message else { break };
                let key = gateway_key(&message.topic);
                if backlog.holds(&key) {
                    // Behind the gateway's earlier message: its messages stay in order.
                    backlog.push_back(key, message);
                } else {
                    worker.attempt(&mut backlog, key, Waiting::new(message)).await;
                }
            }
            _ = tokio::time::sleep_until(next_retry.unwrap_or_else(tokio::time::Instant::now)), if next_retry.is_some() => {
                while let Some((key, waiting)) = backlog.take_due(tokio::time::Instant::now()) {
                    worker.attempt(&mut backlog, key, waiting).await;
                }
            }
            // The schedule never ends by itself; if it does, it must not end silently.
            ended = &mut cron => {
                tracing::error!(outcome = ?ended.map(|r| r.map_err(|e| e.to_string())), "renewal schedule ended; starting it again");
                cron = schedule_nights(worker.clone(), &config.policy, &config.name);
            }
            // "Renew now" from the api: publish without waiting for the poll.
            _ = requests.notified() => {
                worker.publish_scheduled(Utc::now()).await;
            }
            _ = every.tick() => {
                let now = Utc::now();
                // The cron tick is the trigger. A night that did not run (no worker at
                // its time, database down) runs at the first poll within the catch-up
                // window, never later in the day; a night never runs twice.
                if config.policy.may_catch_up(now) {
                    match renewals::night_pending(&worker.db, &worker.policy, now).await {
                        Ok(true) => {
                            if let Err(e) = worker.run_night(now, RenewalTrigger::CatchUp).await {
                                tracing::warn!(error = %e, "renewal night failed; retried at the next poll");
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "renewal night check failed"),
                    }
                }
                worker.upkeep(now).await;
                worker.publish_scheduled(now).await;
            }
        }
    }
    if !backlog.is_empty() {
        tracing::info!(
            waiting = backlog.len(),
            "stopping with messages unhandled; the broker delivers them again"
        );
    }
    cron.abort();
    worker.link.close().await;
    Ok(())
}

/// The gateway a message comes from (its topic's MAC), or the topic when it names none:
/// a gateway's messages are handled in order.
fn gateway_key(topic: &str) -> String {
    match classify(topic) {
        Some(Incoming::Ack(mac) | Incoming::Csr(mac)) => mac.as_str().to_owned(),
        None => topic.to_owned(),
    }
}

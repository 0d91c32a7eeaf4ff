//! MQTT → job queue. One task only polls the MQTT event loop; another pushes what
//! arrived into the queue as one job and only then acknowledges each message, so a
//! crash between receipt and enqueue leaves the message unacknowledged and the broker
//! delivers it again (persistent session, QoS 1). Judging payloads is the telemetry
//! worker's business: ingest forwards every byte, so every refusal can be kept whole in
//! dead letters. Only an oversized payload is cut: its first bytes travel, with its size.
//!
//! No message can stall the stream: ingest reads any packet MQTT can carry (a packet
//! larger than the client accepts would break the connection, and the broker would
//! deliver it again on the persistent session, forever), and a job too large for the
//! queue is pushed in halves instead of being retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use tds_bus::{Backoff, InboundMessage, QueueError, Readiness, TelemetryBatch, TelemetryQueue};
use tds_domain::telemetry::MAX_PAYLOAD_BYTES;
use tokio::sync::mpsc;

/// The largest packet MQTT can express (its remaining-length field holds at most this).
/// Clients of the platform accept every packet up to it, so no packet size can break a
/// connection; the broker's own limit (`message_size_limit`) keeps real traffic far below.
pub const MQTT_MAX_PACKET: usize = 268_435_455;
/// Default byte budget of one job: a few hundred ordinary messages, well under the queue's
/// limit; a burst of large payloads is spread over several jobs.
pub const DEFAULT_JOB_BUDGET: usize = 1024 * 1024;

/// The platform's client identity for `mqtts://` (PEM files).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// CA the broker's certificate must chain to.
    pub ca: std::path::PathBuf,
    /// Client certificate.
    pub cert: std::path::PathBuf,
    /// Client key (PKCS#8).
    pub key: std::path::PathBuf,
}

/// How ingest connects and subscribes.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub mqtt_url: String,
    /// Required for `mqtts://`.
    pub tls: Option<TlsFiles>,
    /// Stable client id: the broker keeps this session's unacknowledged messages.
    pub client_id: String,
    /// Shared-subscription group, for several replicas splitting the messages. `None`
    /// (the default) subscribes plainly: the broker then queues messages for this
    /// persistent session while ingest is away (see [`subscription`]).
    pub share_group: Option<String>,
    /// Most messages per job.
    pub max_batch: usize,
    /// Most bytes per job (estimated queued size); a job holds at least one message.
    pub job_budget: usize,
    /// Counters this replica updates.
    pub counters: Arc<IngestCounters>,
    /// Where ingest reports the broker and the queue (for `/readyz`).
    pub readiness: Readiness,
}

/// Readiness name of ingest's broker connection.
pub const BROKER_CHECK: &str = "ingest.broker";
/// Readiness name of ingest's queue.
pub const QUEUE_CHECK: &str = "ingest.queue";
/// Longest wait between attempts at reaching the broker or the queue: an outage's end is
/// noticed within a second.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// What a replica has done, for metrics and tests.
#[derive(Debug, Default)]
pub struct IngestCounters {
    /// Messages received from the broker.
    pub received: AtomicU64,
    /// Messages enqueued and acknowledged.
    pub acknowledged: AtomicU64,
    /// Jobs pushed.
    pub jobs: AtomicU64,
    /// Connections to the broker made (1 while nothing breaks the first).
    pub connections: AtomicU64,
    /// Jobs the queue found too large, pushed as two halves instead.
    pub splits: AtomicU64,
}

impl IngestConfig {
    /// Defaults for one replica named `instance`.
    pub fn new(mqtt_url: &str, instance: &str) -> Self {
        Self {
            mqtt_url: mqtt_url.to_owned(),
            tls: None,
            client_id: format!("tds-ingest-{instance}"),
            share_group: None,
            max_batch: 500,
            job_budget: DEFAULT_JOB_BUDGET,
            counters: Arc::default(),
            readiness: Readiness::default(),
        }
    }

    /// The subscription filter.
    pub fn topic_filter(&self) -> String {
        subscription(self.share_group.as_deref(), "tds_new/devices/+/telemetry")
    }
}

/// The filter for `topic`, plain or in a shared-subscription group.
///
/// Why plain by default: Mosquitto 2.0 drops a message for a shared subscription while no
/// member of the group is connected, even members with persistent sessions, though it
/// acknowledged the message to its publisher; a plain subscription of a persistent
/// session is queued (`max_queued_messages`) and kept across broker restarts
/// (`persistence true`). A share group splits the load over replicas, but then a message
/// that arrives while none is connected (a broker restart, a deploy) is lost.
pub fn subscription(share_group: Option<&str>, topic: &str) -> String {
    match share_group {
        Some(group) => format!("$share/{group}/{topic}"),
        None => topic.to_owned(),
    }
}

/// Ingest could not start.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The broker URL is not `mqtt://host:port` or `mqtts://host:port`.
    #[error("MQTT_URL '{0}': expected mqtt://host:port or mqtts://host:port")]
    BadUrl(String),
    /// `mqtts://` without a usable client identity.
    #[error("mqtts: {0}")]
    Tls(String),
}

/// Splits `mqtt://host:port` (port 1883 when absent) or `mqtts://host:port` (8883).
pub fn parse_mqtt_url(url: &str) -> Result<(String, u16), IngestError> {
    let (rest, default_port) = match (url.strip_prefix("mqtt://"), url.strip_prefix("mqtts://")) {
        (Some(rest), _) => (rest, 1883),
        (_, Some(rest)) => (rest, 8883),
        _ => return Err(IngestError::BadUrl(url.into())),
    };
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, port)) => Ok((
            host.to_owned(),
            port.parse().map_err(|_| IngestError::BadUrl(url.into()))?,
        )),
        None if !rest.is_empty() => Ok((rest.to_owned(), default_port)),
        None => Err(IngestError::BadUrl(url.into())),
    }
}

/// Runs until `shutdown` resolves.
pub async fn run(
    config: IngestConfig,
    queue: TelemetryQueue,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), IngestError> {
    let (host, port) = parse_mqtt_url(&config.mqtt_url)?;
    let mut options = MqttOptions::new(config.client_id.clone(), host, port);
    options
        .set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(30))
        // Oversized payloads must reach the worker to be dead-lettered, not break the
        // connection (which would make the broker redeliver them forever).
        .set_max_packet_size(MQTT_MAX_PACKET, 64 * 1024)
        .set_request_channel_capacity(10_000);
    if config.mqtt_url.starts_with("mqtts://") {
        options.set_transport(tls_transport(config.tls.as_ref())?);
    }
    let (client, eventloop) = AsyncClient::new(options, 10_000);
    // Unbounded on purpose: the broker's in-flight window bounds how many unacknowledged
    // messages can exist, and the event loop must never wait on the enqueuer.
    let (tx, rx) = mpsc::unbounded_channel();
    let filter = config.topic_filter();
    config.readiness.expect(BROKER_CHECK, true);
    config.readiness.expect(QUEUE_CHECK, true);
    // An idle platform must read ready: ask the queue now rather than at the first
    // message, which may be minutes away.
    match queue.clone().backlog().await {
        Ok(_) => config.readiness.up(QUEUE_CHECK),
        Err(e) => config.readiness.down(QUEUE_CHECK, &e.to_string()),
    }
    let poller = tokio::spawn(poll(
        eventloop,
        client.clone(),
        filter,
        tx,
        config.counters.clone(),
        config.readiness.clone(),
    ));
    let enqueuer = tokio::spawn(enqueue(
        rx,
        client.clone(),
        queue,
        (config.max_batch, config.job_budget),
        config.counters.clone(),
        config.readiness.clone(),
    ));
    shutdown.await;
    tracing::info!("ingest stopping");
    let _ = client.disconnect().await;
    poller.abort();
    enqueuer.abort();
    Ok(())
}

/// A message taken from the broker: what goes into the queue, and the publication to
/// acknowledge once it is there (its payload dropped: the message holds the bytes).
struct Received {
    message: InboundMessage,
    publish: Publish,
}

/// Longest topic forwarded whole. A telemetry topic has 42 bytes; a longer one is refused
/// as BAD_TOPIC anyway, and MQTT allows 65,535.
pub const MAX_TOPIC_BYTES: usize = 1024;

/// The message to enqueue for `publish`: its payload, cut to the platform's cap when
/// larger (the worker refuses it as OVERSIZED and keeps these first bytes), and its topic,
/// cut when absurdly long. So one message always fits in a job.
pub fn inbound(publish: &Publish, received_at: chrono::DateTime<Utc>) -> InboundMessage {
    let len = publish.payload.len();
    let oversized = len > MAX_PAYLOAD_BYTES;
    let mut topic_end = publish.topic.len().min(MAX_TOPIC_BYTES);
    while !publish.topic.is_char_boundary(topic_end) {
        topic_end -= 1;
    }
    InboundMessage {
        topic: publish.topic[..topic_end].to_owned(),
        payload: publish.payload[..len.min(MAX_PAYLOAD_BYTES)].to_vec(),
        received_at,
        truncated_from: oversized.then_some(len),
    }
}

async fn poll(
    mut eventloop: EventLoop,
    client: AsyncClient,
    filter: String,
    tx: mpsc::UnboundedSender<Received>,
    counters: Arc<IngestCounters>,
    readiness: Readiness,
) {
    let mut backoff = Backoff::new(Duration::from_millis(50), MAX_BACKOFF);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(mut publish))) => {
                counters.received.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("tds_ingest_messages_received_total").increment(1);
                let message = inbound(&publish, Utc::now());
                // The (possibly huge) payload is not kept twice while the message waits.
                publish.payload = Default::default();
                if tx.send(Received { message, publish }).is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                counters.connections.fetch_add(1, Ordering::Relaxed);
                backoff.reset();
                tracing::info!(
                    session_present = ack.session_present,
                    "connected to the broker"
                );
                // Subscribing again on a present session is harmless and covers a lost one.
                if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                    tracing::error!(error = %e, "subscribe failed");
                }
            }
            // Ready only once the broker has granted the subscription: connected but not
            // subscribed receives nothing.
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack
                    .return_codes
                    .iter()
                    .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_)))
                {
                    readiness.up(BROKER_CHECK);
                } else {
                    tracing::error!(filter = %filter, "the broker refused the subscription");
                    readiness.down(BROKER_CHECK, "the broker refused the subscription");
                }
            }
            Ok(_) => {}
            Err(e) => {
                readiness.down(BROKER_CHECK, &e.to_string());
                let retry_in = backoff.next_delay();
                tracing::debug!(error = %e, ?retry_in, "broker unreachable");
                tokio::time::sleep(retry_in).await;
            }
        }
    }
}

async fn enqueue(
    mut rx: mpsc::UnboundedReceiver<Received>,
    client: AsyncClient,
    mut queue: TelemetryQueue,
    (max_batch, budget): (usize, usize),
    counters: Arc<IngestCounters>,
    readiness: Readiness,
) {
    // A message that did not fit the previous job's budget opens the next one.
    let mut carried: Option<Received> = None;
    loop {
        let first = match carried.take() {
            Some(first) => first,
            None => match rx.recv().await {
                Some(first) => first,
                None => return,
            },
        };
        let mut bytes = first.message.queued_len();
        let mut received = vec![first];
        // Whatever arrived while the previous job was being pushed joins this one.
        while received.len() < max_batch && bytes < budget {
            match rx.try_recv() {
                Ok(r) if bytes + r.message.queued_len() > budget => {
                    carried = Some(r);
                    break;
                }
                Ok(r) => {
                    bytes += r.message.queued_len();
                    received.push(r);
                }
                Err(_) => break,
            }
        }
        let (messages, publishes): (Vec<InboundMessage>, Vec<Publish>) =
            received.into_iter().map(|r| (r.message, r.publish)).unzip();
        let jobs = push_all(&mut queue, messages, &counters, &readiness).await;
        counters.jobs.fetch_add(jobs, Ordering::Relaxed);
        for publish in &publishes {
            if let Err(e) = client.ack(publish).await {
                tracing::warn!(error = %e, "ack not sent; the broker will redeliver (stored once anyway)");
            }
        }
        counters
            .acknowledged
            .fetch_add(publishes.len() as u64, Ordering::Relaxed);
        metrics::counter!("tds_ingest_messages_enqueued_total").increment(publishes.len() as u64);
        metrics::histogram!("tds_ingest_batch_messages").record(publishes.len() as f64);
    }
}

/// Pushes `messages` as one job, or, when the queue finds that too large, as halves (and
/// their halves …); waits out a queue that cannot be reached. Returns the jobs pushed.
/// Order is kept: halves go in one after the other.
pub async fn push_all(
    queue: &mut TelemetryQueue,
    messages: Vec<InboundMessage>,
    counters: &IngestCounters,
    readiness: &Readiness,
) -> u64 {
    let mut jobs = 0;
    // Parts still to push, the next one last.
    let mut parts = vec![messages];
    while let Some(mut part) = parts.pop() {
        let mut backoff = Backoff::new(Duration::from_millis(50), MAX_BACKOFF);
        loop {
            let batch = TelemetryBatch { messages: part };
            match queue.push(batch.clone()).await {
                Ok(()) => {
                    readiness.up(QUEUE_CHECK);
                    jobs += 1;
                    break;
                }
                Err(QueueError::TooLarge { bytes, max }) if batch.messages.len() > 1 => {
                    tracing::warn!(
                        bytes,
                        max,
                        messages = batch.messages.len(),
                        "job too large for the queue; pushing it in halves"
                    );
                    counters.splits.fetch_add(1, Ordering::Relaxed);
                    let mut first = batch.messages;
                    let second = first.split_off(first.len() / 2);
                    parts.push(second);
                    parts.push(first);
                    break;
                }
                Err(e) => {
                    // Unreachable queue (or, impossibly, one message beyond a limit that is
                    // never below one message): the messages stay unacknowledged meanwhile.
                    readiness.down(QUEUE_CHECK, &e.to_string());
                    let retry_in = backoff.next_delay();
                    tracing::debug!(error = %e, ?retry_in, "enqueue failed; messages stay unacknowledged");
                    tokio::time::sleep(retry_in).await;
                    part = batch.messages;
                }
            }
        }
    }
    jobs
}

/// Removes a persistent session (`clean_session = false`) from the broker: connect with a
/// clean session under the same client id and leave. Used when a replica is retired.
pub async fn forget_session(mqtt_url: &str, client_id: &str) {
    let Ok((host, port)) = parse_mqtt_url(mqtt_url) else {
        return;
    };
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(event) = eventloop.poll().await {
            if let Event::Incoming(Packet::ConnAck(_)) = event {
                let _ = client.try_disconnect();
            }
        }
    })
    .await;
}

/// The rustls transport with the platform's client certificate.
pub fn tls_transport(files: Option<&TlsFiles>) -> Result<rumqttc::Transport, IngestError> {
    let files = files.ok_or_else(|| {
        IngestError::Tls(
            "set MQTT_CA_FILE, MQTT_CERT_FILE and MQTT_KEY_FILE (the platform identity)".into(),
        )
    })?;
    // One crypto provider for the process (ring); a second call is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| IngestError::Tls(format!("{}: {e}", p.display())))
    };
    Ok(rumqttc::Transport::tls_with_config(
        rumqttc::TlsConfiguration::Simple {
            ca: read(&files.ca)?,
            alpn: None,
            client_auth: Some((read(&files.cert)?, read(&files.key)?)),
        },
    ))
}

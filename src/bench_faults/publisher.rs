//! A publisher that knows exactly which messages the broker acknowledged, through a
//! broker restart.
//!
//! rumqttc hands requests to its event loop in the order they were published and reports
//! each one as `Outgoing::Publish(pkid)` when it is written; a pkid that is already
//! awaiting its PUBACK is a retransmission, not a new message. So a FIFO of published
//! messages, popped on each new pkid, maps every PUBACK back to its message. The session
//! is persistent: after a reconnect rumqttc sends again what was not acknowledged. When
//! the broker has forgotten the session, rumqttc drops those requests; the tracker drops
//! the same ones (they stay "not acknowledged", which is not a loss).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS, Request};

use crate::simulate::SimGateway;

/// One published message: its gateway (index in the fleet) and payload timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    /// Index of the gateway in the fleet.
    pub gateway: usize,
    /// Payload timestamp, microseconds since the epoch (unique per gateway).
    pub micros: i64,
}

/// What a publishing run did.
#[derive(Debug, Default)]
pub struct Published {
    /// Every message handed to the client.
    pub messages: Vec<Message>,
    /// Whether the broker acknowledged each (same index).
    pub acked: Vec<bool>,
    /// Messages sent again after a reconnect.
    pub retransmitted: u64,
    /// Messages the client discarded because the broker had forgotten its session.
    pub dropped_by_client: u64,
    /// Acknowledgements or packet ids the tracker could not match (should be 0).
    pub unmatched: u64,
    /// Times a connection was lost.
    pub disconnects: u64,
}

/// Per-connection bookkeeping; see the module doc.
#[derive(Default)]
struct Tracker {
    messages: Vec<Message>,
    acked: Vec<bool>,
    /// Published, not yet seen as `Outgoing::Publish`.
    unsent: VecDeque<usize>,
    /// pkid → message awaiting its PUBACK.
    awaiting: HashMap<u16, usize>,
    /// Requests rumqttc took back from its channel at the last disconnect (not yet sent).
    unsent_in_pending: usize,
    retransmitted: u64,
    dropped: u64,
    unmatched: u64,
    disconnects: u64,
}

impl Tracker {
    fn published(&mut self, message: Message) {
        self.unsent.push_back(self.messages.len());
        self.messages.push(message);
        self.acked.push(false);
    }

    fn observe(&mut self, event: &Event) {
        match event {
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if self.awaiting.contains_key(pkid) {
                    self.retransmitted += 1;
                } else if let Some(index) = self.unsent.pop_front() {
                    self.unsent_in_pending = self.unsent_in_pending.saturating_sub(1);
                    self.awaiting.insert(*pkid, index);
                } else {
                    self.unmatched += 1;
                }
            }
            Event::Incoming(Packet::PubAck(ack)) => match self.awaiting.remove(&ack.pkid) {
                Some(index) => self.acked[index] = true,
                None => self.unmatched += 1,
            },
            _ => {}
        }
    }

    /// The broker had no session for us: rumqttc cleared what it would have sent again.
    fn session_lost(&mut self) {
        let unsent = self.unsent_in_pending.min(self.unsent.len());
        self.dropped += (self.awaiting.len() + unsent) as u64;
        self.awaiting.clear();
        self.unsent.drain(..unsent);
        self.unsent_in_pending = 0;
    }

    fn settled(&self) -> bool {
        self.unsent.is_empty() && self.awaiting.is_empty()
    }
}

/// Publishes every gateway's readings `rate` times a second in all for `duration`,
/// from `connections` MQTT clients, QoS 1.
pub async fn publish(
    mqtt_url: &str,
    gateways: &[SimGateway],
    rate: u32,
    duration: Duration,
    connections: usize,
) -> anyhow::Result<Published> {
    let (host, port) = tds_ingest::parse_mqtt_url(mqtt_url)?;
    let connections = connections.clamp(1, gateways.len().max(1));
    let interval = Duration::from_secs_f64(gateways.len() as f64 / f64::from(rate.max(1)));
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let mine: Vec<(usize, SimGateway)> = gateways
            .iter()
            .cloned()
            .enumerate()
            .filter(|(i, _)| i % connections == c)
            .collect();
        let mut options = MqttOptions::new(format!("tds-faults-{run}-{c}"), host.clone(), port);
        options
            .set_clean_session(false)
            .set_keep_alive(Duration::from_secs(5))
            .set_inflight(200)
            .set_pending_throttle(Duration::ZERO)
            .set_request_channel_capacity(1_000_000);
        tasks.spawn(connection(
            options,
            mine,
            gateways.len(),
            interval,
            duration,
        ));
    }
    let mut all = Published::default();
    while let Some(done) = tasks.join_next().await {
        let tracker = done.context("publisher task")??;
        let offset = all.messages.len();
        debug_assert_eq!(offset, all.acked.len());
        all.messages.extend(tracker.messages);
        all.acked.extend(tracker.acked);
        all.retransmitted += tracker.retransmitted;
        all.dropped_by_client += tracker.dropped;
        all.unmatched += tracker.unmatched;
        all.disconnects += tracker.disconnects;
    }
    Ok(all)
}

fn payload(gateway: &SimGateway, stamp: DateTime<Utc>, step: f64) -> anyhow::Result<Vec<u8>> {
    let items: Vec<serde_json::Value> = gateway
        .codes
        .iter()
        .enumerate()
        .map(|(d, code)| {
            serde_json::json!({"dispositivo_codigo": code, "valor": 1000.0 * d as f64 + 0.25 * step, "unidade": "kWh"})
        })
        .collect();
    let body = serde_json::json!({
        "gateway_mac": gateway.mac,
        "timestamp": stamp.to_rfc3339_opts(SecondsFormat::Micros, true),
        "leituras": items,
    });
    Ok(serde_json::to_vec(&body)?)
}

/// The tracker, even if a panic poisoned it (its counts are still the best we have).
fn lock(tracker: &Mutex<Tracker>) -> std::sync::MutexGuard<'_, Tracker> {
    tracker.lock().unwrap_or_else(|e| e.into_inner())
}

/// One client: a task polling its event loop (never blocked) and this one publishing on
/// schedule, sharing the tracker.
async fn connection(
    options: MqttOptions,
    mine: Vec<(usize, SimGateway)>,
    total: usize,
    interval: Duration,
    duration: Duration,
) -> anyhow::Result<Tracker> {
    let (client, mut eventloop) = AsyncClient::new(options, 1_000_000);
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let finished = Arc::new(AtomicBool::new(false));
    let mut poller = {
        let (tracker, finished) = (tracker.clone(), finished.clone());
        tokio::spawn(async move {
            let (mut connected_before, mut online) = (false, false);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                        if connected_before && !ack.session_present {
                            lock(&tracker).session_lost();
                        }
                        connected_before = true;
                        online = true;
                    }
                    Ok(event) => lock(&tracker).observe(&event),
                    Err(_) if finished.load(Ordering::Relaxed) => return,
                    Err(e) => {
                        {
                            let mut t = lock(&tracker);
                            // Events rumqttc buffered before the error happened all the same.
                            while let Some(event) = eventloop.state.events.pop_front() {
                                t.observe(&event);
                            }
                            t.unsent_in_pending = eventloop
                                .pending
                                .iter()
                                .filter(|r| matches!(r, Request::Publish(p) if p.pkid == 0))
                                .count();
                            if online {
                                online = false;
                                t.disconnects += 1;
                                tracing::debug!(error = %e, "publisher connection lost");
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        })
    };

    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut due: Vec<Duration> = mine
        .iter()
        .map(|(i, _)| interval.mul_f64(*i as f64 / total as f64))
        .collect();
    let mut last: Vec<i64> = vec![i64::MIN; mine.len()];
    while started.elapsed() < duration {
        tick.tick().await;
        let elapsed = started.elapsed();
        for (k, (index, gateway)) in mine.iter().enumerate() {
            while due[k] <= elapsed && due[k] < duration {
                let micros = Utc::now().timestamp_micros().max(last[k] + 1);
                last[k] = micros;
                let stamp = DateTime::from_timestamp_micros(micros).context("timestamp")?;
                let step = (due[k].as_secs_f64() / interval.as_secs_f64()).round();
                let body = payload(gateway, stamp, step)?;
                lock(&tracker).published(Message {
                    gateway: *index,
                    micros,
                });
                let topic = format!("tds_new/devices/{}/telemetry", gateway.mac);
                client
                    .publish(topic, QoS::AtLeastOnce, false, body)
                    .await
                    .context("publish")?;
                due[k] += interval;
            }
        }
    }
    // Give what is in flight (or waiting for the broker to come back) time to be
    // acknowledged before leaving.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !lock(&tracker).settled() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    finished.store(true, Ordering::Relaxed);
    let _ = client.disconnect().await;
    if tokio::time::timeout(Duration::from_secs(2), &mut poller)
        .await
        .is_err()
    {
        poller.abort();
    }
    let tracker = std::mem::take(&mut *lock(&tracker));
    Ok(tracker)
}

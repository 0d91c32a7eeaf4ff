//! The telemetry job: MQTT messages as ingest received them, in batches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One MQTT message as ingest received it: nothing is parsed yet, so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// MQTT topic.
    pub topic: String,
    /// Raw payload bytes (base64 in the queue).
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
    /// When ingest received it.
    pub received_at: DateTime<Utc>,
    /// Set when the payload was larger than the platform takes: its full length (only
    /// the first bytes travel, for the dead letter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_from: Option<usize>,
}

impl InboundMessage {
    /// Bytes this message takes in a queued job, rounded up: the payload in base64, the
    /// topic (escaped at worst), the field names and the time.
    pub fn queued_len(&self) -> usize {
        self.payload.len().div_ceil(3) * 4 + self.topic.len() * 6 + 128
    }
}

/// A batch of messages, pushed as one job so the queue's per-job cost is shared;
/// each message still gets its own outcome (reading rows or a dead letter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetryBatch {
    /// The messages, in arrival order.
    pub messages: Vec<InboundMessage>,
}

impl TelemetryBatch {
    /// Bytes this batch takes as a queued job, rounded up (see [`InboundMessage::queued_len`]).
    pub fn queued_len(&self) -> usize {
        64 + self
            .messages
            .iter()
            .map(InboundMessage::queued_len)
            .sum::<usize>()
    }
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

//! What every fuzz target checks about the telemetry parser: the invariant of issue 9
//! (every message is stored or dead-lettered with a reason, never a panic), spelled out
//! as properties of `tds_domain::telemetry::parse`'s result.

use chrono::{DateTime, Utc};
use tds_domain::telemetry::{self, MAX_CLOCK_SKEW, Reason, Rejection, Telemetry};

/// The platform clock every target uses (fixed, so a finding reproduces).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_771_425_060, 0).unwrap_or_default() // 2026-02-18T14:31:00Z
}

/// The topic of the gateway the payload targets send as.
pub const TOPIC: &str = "tds_new/devices/aa:bb:cc:dd:ee:ff/telemetry";

/// Reasons `parse` may give for a whole message (the others need the database).
const MESSAGE_REASONS: [Reason; 10] = [
    Reason::BadTopic,
    Reason::Oversized,
    Reason::NotUtf8,
    Reason::BadJson,
    Reason::MissingField,
    Reason::WrongType,
    Reason::NonFinite,
    Reason::MacMismatch,
    Reason::BadTimestamp,
    Reason::FutureTimestamp,
];

/// Reasons `parse` may give for one item.
const ITEM_REASONS: [Reason; 5] = [
    Reason::MissingField,
    Reason::WrongType,
    Reason::NonFinite,
    Reason::OutOfRange,
    Reason::NulInString,
];

fn check_rejection(rejection: &Rejection, allowed: &[Reason]) {
    assert!(
        allowed.contains(&rejection.reason),
        "unexpected reason {rejection:?}"
    );
    assert!(
        !rejection.detail.trim().is_empty(),
        "no detail: {rejection:?}"
    );
    assert!(!rejection.reason.code().is_empty());
}

/// Checks one result of `parse(topic, payload, now())` and returns it.
pub fn check_parse(topic: &str, payload: &[u8]) -> Result<Telemetry, Rejection> {
    let result = telemetry::parse(topic, payload, now());
    match &result {
        Err(rejection) => check_rejection(rejection, &MESSAGE_REASONS),
        Ok(message) => check_message(topic, payload, message),
    }
    if telemetry::topic_mac(topic).is_ok() {
        check_cut(topic, payload);
    }
    result
}

/// A message cut short (a dropped connection, a full buffer) is broken JSON: when the
/// whole payload is JSON, none of its prefixes that are not may be called a non-finite
/// value, whatever text (`"NaN"`, `"banana"`) it holds.
fn check_cut(topic: &str, payload: &[u8]) {
    if serde_json::from_slice::<serde_json::Value>(payload).is_err() {
        return;
    }
    for cut in [payload.len() / 2, payload.len().saturating_sub(1)] {
        let prefix = &payload[..cut];
        if serde_json::from_slice::<serde_json::Value>(prefix).is_ok() {
            continue;
        }
        let reason = telemetry::parse(topic, prefix, now()).map_err(|r| r.reason);
        assert!(
            matches!(reason, Err(Reason::BadJson | Reason::NotUtf8)),
            "cut at {cut}: {reason:?}"
        );
    }
}

/// What an accepted message guarantees to the worker that stores it.
fn check_message(topic: &str, payload: &[u8], message: &Telemetry) {
    let topic_mac = telemetry::topic_mac(topic).expect("accepted on a bad topic");
    assert_eq!(message.mac, topic_mac, "MAC differs from the topic's");
    assert!(payload.len() <= telemetry::MAX_PAYLOAD_BYTES);
    assert!(
        message.timestamp <= now() + MAX_CLOCK_SKEW,
        "future timestamp stored"
    );
    let json: serde_json::Value =
        serde_json::from_slice(payload).expect("accepted a payload that is not JSON");
    let items = json
        .get("leituras")
        .and_then(|l| l.as_array())
        .expect("accepted without a list of readings");
    assert_eq!(
        items.len(),
        message.items.len(),
        "an item was lost or invented"
    );
    for (item, raw) in message.items.iter().zip(items) {
        match item {
            Err(rejection) => check_rejection(rejection, &ITEM_REASONS),
            Ok(item) => {
                assert!(item.value.is_finite(), "non-finite value {item:?}");
                assert!(item.value.abs() <= telemetry::MAX_ABS_VALUE, "{item:?}");
                // PostgreSQL stores U+0000 in neither text nor jsonb.
                assert!(!item.device_code.contains('\0'), "{item:?}");
                assert!(!item.raw.to_string().contains("\\u0000"), "{item:?}");
                assert!(!item.device_code.is_empty(), "empty device code");
                assert_eq!(item.device_code, item.device_code.trim());
                assert_eq!(
                    raw.get("dispositivo_codigo")
                        .and_then(|c| c.as_str())
                        .map(str::trim),
                    Some(item.device_code.as_str())
                );
                if let Some(unit) = &item.unit {
                    assert!(unit.chars().count() <= 16, "unit too long: {unit:?}");
                    assert_eq!(unit, unit.trim_start());
                }
                assert_eq!(&item.raw, raw, "raw item differs from what was sent");
            }
        }
    }
    // Serialising what was accepted and parsing it again gives the same message: what
    // the worker stores (the raw item, the value) is what the gateway meant.
    let again = serde_json::to_vec(&json).expect("a JSON value serialises");
    if again.len() <= telemetry::MAX_PAYLOAD_BYTES {
        let reparsed =
            telemetry::parse(topic, &again, now()).expect("re-serialised message refused");
        assert_eq!(&reparsed, message, "re-serialising changed the message");
    }
}

//! The firmware's telemetry payload (SPEC §3): parsing and the reasons a message or an
//! item is refused. Pure functions: the worker decides what to store.
//!
//! ```json
//! {"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z",
//!  "leituras": [{"dispositivo_codigo": "D01", "valor": 123.45, "unidade": "kWh"}]}
//! ```

use std::borrow::Cow;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::Value;

use crate::values::Mac;

/// Largest payload accepted (a full gateway of 247 devices fits with room to spare).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// How far ahead of our clock a timestamp may be (gateway clocks drift).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// Largest magnitude of a value: no meter reads more, and sums of values this size stay
/// far from overflowing a rollup (PostgreSQL refuses a `float8` sum that overflows).
pub const MAX_ABS_VALUE: f64 = 1e15;

/// Why a message (or one item of it) was not stored. The code is what dead letters keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Topic is not `tds_new/devices/{mac}/telemetry`.
    BadTopic,
    /// Payload larger than [`MAX_PAYLOAD_BYTES`].
    Oversized,
    /// Payload is not UTF-8.
    NotUtf8,
    /// Payload is not JSON.
    BadJson,
    /// A required field is missing.
    MissingField,
    /// A field has the wrong JSON type.
    WrongType,
    /// A value is NaN or infinite.
    NonFinite,
    /// `gateway_mac` differs from the topic's MAC.
    MacMismatch,
    /// `timestamp` is not RFC 3339.
    BadTimestamp,
    /// `timestamp` is too far in the future.
    FutureTimestamp,
    /// No gateway has this MAC.
    UnknownGateway,
    /// The gateway is INACTIVE.
    GatewayInactive,
    /// The gateway has certificates and none of them is valid any more (revoked):
    /// the broker should have refused it; this is the second line of defence.
    CertificateRevoked,
    /// The gateway has no device with this code.
    UnknownDevice,
    /// A string of the item (a value, a key, the device code) holds U+0000, which
    /// PostgreSQL stores in neither `text` nor `jsonb`.
    NulInString,
    /// A value beyond [`MAX_ABS_VALUE`].
    OutOfRange,
    /// The database refused to store the message although it parsed (found by writing it
    /// alone); the other messages of its batch are stored.
    StorageRefused,
}

impl Reason {
    /// Stable code stored in dead letters and shown by the API.
    pub fn code(self) -> &'static str {
        match self {
            Reason::BadTopic => "BAD_TOPIC",
            Reason::Oversized => "OVERSIZED",
            Reason::NotUtf8 => "NOT_UTF8",
            Reason::BadJson => "BAD_JSON",
            Reason::MissingField => "MISSING_FIELD",
            Reason::WrongType => "WRONG_TYPE",
            Reason::NonFinite => "NON_FINITE",
            Reason::MacMismatch => "MAC_MISMATCH",
            Reason::BadTimestamp => "BAD_TIMESTAMP",
            Reason::FutureTimestamp => "FUTURE_TIMESTAMP",
            Reason::UnknownGateway => "UNKNOWN_GATEWAY",
            Reason::GatewayInactive => "GATEWAY_INACTIVE",
            Reason::CertificateRevoked => "CERTIFICATE_REVOKED",
            Reason::UnknownDevice => "UNKNOWN_DEVICE",
            Reason::NulInString => "NUL_IN_STRING",
            Reason::OutOfRange => "OUT_OF_RANGE",
            Reason::StorageRefused => "STORAGE_REFUSED",
        }
    }
}

/// A refusal with its reason and a sentence for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Machine-readable reason.
    pub reason: Reason,
    /// What exactly was wrong.
    pub detail: String,
}

impl Rejection {
    fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

/// One reading item that parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `dispositivo_codigo`.
    pub device_code: String,
    /// `valor`.
    pub value: f64,
    /// `unidade`, when sent.
    pub unit: Option<String>,
    /// The item as received.
    pub raw: Value,
}

/// A message whose envelope is valid; items are judged one by one.
#[derive(Debug, Clone, PartialEq)]
pub struct Telemetry {
    /// The gateway (topic and payload agree).
    pub mac: Mac,
    /// Measurement time of every item.
    pub timestamp: DateTime<Utc>,
    /// Each item, parsed or refused.
    pub items: Vec<Result<Item, Rejection>>,
}

/// The MAC in a telemetry topic.
pub fn topic_mac(topic: &str) -> Result<Mac, Rejection> {
    let mac = topic
        .strip_prefix("tds_new/devices/")
        .and_then(|rest| rest.strip_suffix("/telemetry"))
        .filter(|mac| !mac.contains('/'))
        .ok_or_else(|| {
            Rejection::new(
                Reason::BadTopic,
                format!("'{topic}' is not a telemetry topic"),
            )
        })?;
    Mac::parse(mac).map_err(|e| Rejection::new(Reason::BadTopic, e))
}

/// Texts firmware writes for values JSON cannot carry.
fn is_non_finite_text(text: &str) -> bool {
    let t = text
        .trim()
        .trim_start_matches(['-', '+'])
        .to_ascii_lowercase();
    matches!(t.as_str(), "nan" | "inf" | "infinity")
}

/// Text a database stores whatever it holds: U+0000 (which PostgreSQL refuses in `text`)
/// written as the visible escape `\u0000`. For what the platform writes about a message
/// (topics, details), never for the message itself (its bytes are kept whole).
pub fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\\u0000"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The refusal of a payload of `len` bytes of which only the first `kept` arrived (the
/// transport kept no more of an oversized message).
pub fn oversized(len: usize, kept: usize) -> Rejection {
    Rejection::new(
        Reason::Oversized,
        format!("{len} bytes, at most {MAX_PAYLOAD_BYTES}; the first {kept} bytes are kept"),
    )
}

/// Whether a string or key anywhere in `value` holds U+0000.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Whether text that is not JSON holds a non-finite number where a value may stand: a
/// bare word `NaN`, `inf` or `Infinity` outside string literals. The same letters inside
/// a string (`"banana"`, a unit `"nanometre"`) of a cut or broken message are bad JSON.
fn has_bare_non_finite(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut word = String::new();
    for c in text.chars().chain([' ']) {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            if is_non_finite_text(&word) {
                return true;
            }
            word.clear();
            in_string = c == '"';
        }
    }
    false
}

/// Parses and checks a telemetry message received on `topic`.
pub fn parse(topic: &str, payload: &[u8], now: DateTime<Utc>) -> Result<Telemetry, Rejection> {
    let topic_mac = topic_mac(topic)?;
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Rejection::new(
            Reason::Oversized,
            format!("{} bytes, at most {MAX_PAYLOAD_BYTES}", payload.len()),
        ));
    }
    let text = std::str::from_utf8(payload)
        .map_err(|e| Rejection::new(Reason::NotUtf8, format!("payload is not UTF-8: {e}")))?;
    let escapes = payload.contains(&b'\\');
    let json: Value = serde_json::from_str(text).map_err(|e| {
        // `NaN`, `Infinity` and numbers beyond f64 are not JSON, but they are a
        // non-finite value, not garbage: say so.
        if has_bare_non_finite(text) || e.to_string().contains("out of range") {
            Rejection::new(Reason::NonFinite, format!("non-finite number: {e}"))
        } else {
            Rejection::new(Reason::BadJson, format!("not JSON: {e}"))
        }
    })?;
    let object = json
        .as_object()
        .ok_or_else(|| Rejection::new(Reason::WrongType, "payload is not a JSON object"))?;
    let field = |name: &str| {
        object
            .get(name)
            .ok_or_else(|| Rejection::new(Reason::MissingField, format!("'{name}' is missing")))
    };

    let mac_text = field("gateway_mac")?
        .as_str()
        .ok_or_else(|| Rejection::new(Reason::WrongType, "'gateway_mac' is not a string"))?;
    let mac = Mac::parse(mac_text).map_err(|e| Rejection::new(Reason::MacMismatch, e))?;
    if mac != topic_mac {
        return Err(Rejection::new(
            Reason::MacMismatch,
            format!("topic is for {topic_mac}, payload says {mac}"),
        ));
    }
    let stamp = field("timestamp")?
        .as_str()
        .ok_or_else(|| Rejection::new(Reason::WrongType, "'timestamp' is not a string"))?;
    // Microseconds, as PostgreSQL keeps them: a finer time would not match the row the
    // database returns, and the reading would miss its rollups.
    let timestamp = DateTime::parse_from_rfc3339(stamp)
        .map_err(|e| Rejection::new(Reason::BadTimestamp, format!("'{stamp}': {e}")))?
        .with_timezone(&Utc)
        .trunc_subsecs(6);
    if timestamp > now + MAX_CLOCK_SKEW {
        return Err(Rejection::new(
            Reason::FutureTimestamp,
            format!("{timestamp} is ahead of the platform clock ({now})"),
        ));
    }
    let items = field("leituras")?
        .as_array()
        .ok_or_else(|| Rejection::new(Reason::WrongType, "'leituras' is not a list"))?;
    Ok(Telemetry {
        mac,
        timestamp,
        items: items.iter().map(|item| parse_item(item, escapes)).collect(),
    })
}

/// `escapes`: whether the payload holds a backslash at all. A NUL can only come from the
/// escape `\u0000` (a raw one is not JSON), so without one no item needs looking into.
fn parse_item(raw: &Value, escapes: bool) -> Result<Item, Rejection> {
    let object = raw
        .as_object()
        .ok_or_else(|| Rejection::new(Reason::WrongType, format!("item {raw} is not an object")))?;
    // The item is kept as `raw` (jsonb): a NUL anywhere in it, even in a field we do not
    // read, would make PostgreSQL refuse the whole statement. (`{raw}` prints it escaped.)
    if escapes && holds_nul(raw) {
        return Err(Rejection::new(
            Reason::NulInString,
            format!("item {raw} holds the character U+0000, which cannot be stored"),
        ));
    }
    let code = match object.get("dispositivo_codigo") {
        Some(Value::String(code)) if !code.trim().is_empty() => code.trim().to_owned(),
        Some(other) => {
            return Err(Rejection::new(
                Reason::WrongType,
                format!("'dispositivo_codigo' {other} is not a code"),
            ));
        }
        None => {
            return Err(Rejection::new(
                Reason::MissingField,
                format!("item {raw} has no 'dispositivo_codigo'"),
            ));
        }
    };
    let value = match object.get("valor") {
        Some(Value::Number(n)) => {
            let value = n.as_f64().filter(|v| v.is_finite()).ok_or_else(|| {
                Rejection::new(
                    Reason::NonFinite,
                    format!("device {code}: value {n} is not finite"),
                )
            })?;
            if value.abs() > MAX_ABS_VALUE {
                return Err(Rejection::new(
                    Reason::OutOfRange,
                    format!("device {code}: value {n} is beyond ±{MAX_ABS_VALUE:e}"),
                ));
            }
            value
        }
        Some(Value::String(s)) if is_non_finite_text(s) => {
            return Err(Rejection::new(
                Reason::NonFinite,
                format!("device {code}: value '{s}'"),
            ));
        }
        Some(other) => {
            return Err(Rejection::new(
                Reason::WrongType,
                format!("device {code}: 'valor' {other} is not a number"),
            ));
        }
        None => {
            return Err(Rejection::new(
                Reason::MissingField,
                format!("device {code}: 'valor' is missing"),
            ));
        }
    };
    let unit = match object.get("unidade") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(u.trim().chars().take(16).collect()),
        Some(other) => {
            return Err(Rejection::new(
                Reason::WrongType,
                format!("device {code}: 'unidade' {other} is not text"),
            ));
        }
    };
    Ok(Item {
        device_code: code,
        value,
        unit,
        raw: raw.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: &str = "tds_new/devices/aa:bb:cc:dd:ee:ff/telemetry";

    fn now() -> DateTime<Utc> {
        "2026-02-18T14:31:00Z".parse().unwrap()
    }

    fn reason(payload: &[u8]) -> Reason {
        parse(TOPIC, payload, now()).unwrap_err().reason
    }

    #[test]
    fn the_seeds_payload_parses() {
        let p = br#"{"gateway_mac": "AA:BB:CC:DD:EE:FF", "timestamp": "2026-02-18T14:30:00Z",
            "leituras": [{"dispositivo_codigo": "D01", "valor": 123.45, "unidade": "kWh"},
                         {"dispositivo_codigo": "D02", "valor": 67, "unidade": "m\u00b3"}]}"#;
        let t = parse(TOPIC, p, now()).unwrap();
        assert_eq!(t.mac.as_str(), "aa:bb:cc:dd:ee:ff");
        assert_eq!(t.items.len(), 2);
        let second = t.items[1].as_ref().unwrap();
        assert_eq!(
            (
                second.device_code.as_str(),
                second.value,
                second.unit.as_deref()
            ),
            ("D02", 67.0, Some("m³"))
        );
    }

    #[test]
    fn every_kind_of_bad_message_has_its_own_reason() {
        let ok_head = r#""gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z""#;
        assert_eq!(reason(b"{not json"), Reason::BadJson);
        assert_eq!(reason(&[0xff, 0xfe, 0x00]), Reason::NotUtf8);
        assert_eq!(
            reason(&vec![b' '; MAX_PAYLOAD_BYTES + 1]),
            Reason::Oversized
        );
        assert_eq!(
            reason(
                format!(
                    r#"{{{ok_head}, "leituras": [{{"dispositivo_codigo": "D01", "valor": NaN}}]}}"#
                )
                .as_bytes()
            ),
            Reason::NonFinite
        );
        assert_eq!(
            reason(br#"{"timestamp": "2026-02-18T14:30:00Z", "leituras": []}"#),
            Reason::MissingField
        );
        assert_eq!(
            reason(format!(r#"{{{ok_head}, "leituras": 3}}"#).as_bytes()),
            Reason::WrongType
        );
        assert_eq!(reason(br#"{"gateway_mac": "aa:bb:cc:dd:ee:00", "timestamp": "2026-02-18T14:30:00Z", "leituras": []}"#), Reason::MacMismatch);
        assert_eq!(reason(br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "yesterday", "leituras": []}"#), Reason::BadTimestamp);
        assert_eq!(reason(br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T15:30:00Z", "leituras": []}"#), Reason::FutureTimestamp);
        assert_eq!(
            parse("tds_new/devices/nope/telemetry", b"{}", now())
                .unwrap_err()
                .reason,
            Reason::BadTopic
        );
    }

    #[test]
    fn strings_the_database_refuses_are_refused_item_by_item() {
        // U+0000 in the device code, the unit, a field we do not read (kept in `raw`), a
        // key: each refuses its item; the clean item of the same payload parses.
        let p = br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z",
            "leituras": [{"dispositivo_codigo": "D0\u00001", "valor": 1},
                         {"dispositivo_codigo": "D02", "valor": 2, "unidade": "kWh\u0000"},
                         {"dispositivo_codigo": "D03", "valor": 3, "nota": ["ok", {"x": "\u0000"}]},
                         {"dispositivo_codigo": "D04", "valor": 4, "a\u0000b": 1},
                         {"dispositivo_codigo": "D05", "valor": 1e16},
                         {"dispositivo_codigo": "D06", "valor": -1e15, "nota": "\\u0000 is text"}]}"#;
        let t = parse(TOPIC, p, now()).unwrap();
        let reasons: Vec<_> = t
            .items
            .iter()
            .map(|i| i.as_ref().err().map(|r| r.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                Some(Reason::NulInString),
                Some(Reason::NulInString),
                Some(Reason::NulInString),
                Some(Reason::NulInString),
                Some(Reason::OutOfRange),
                None
            ]
        );
        for item in &t.items {
            if let Err(r) = item {
                assert!(!r.detail.contains('\0'), "the detail itself is storable");
            }
        }
        // A lone surrogate is not a character at all: the JSON parser refuses it.
        let lone = br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z",
            "leituras": [{"dispositivo_codigo": "D01", "valor": 1, "nota": "\ud800"}]}"#;
        assert_eq!(reason(lone), Reason::BadJson);
    }

    #[test]
    fn timestamps_keep_the_microseconds_the_database_keeps() {
        let p = br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00.123456789Z", "leituras": []}"#;
        let t = parse(TOPIC, p, now()).unwrap();
        assert_eq!(t.timestamp.timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn text_about_a_message_is_storable() {
        assert_eq!(without_nul("a\0b"), "a\\u0000b");
        assert!(matches!(without_nul("clean"), Cow::Borrowed("clean")));
        let r = oversized(20_000_000, MAX_PAYLOAD_BYTES);
        assert_eq!(r.reason, Reason::Oversized);
        assert!(r.detail.starts_with("20000000 bytes"), "{}", r.detail);
    }

    #[test]
    fn only_a_bare_non_finite_word_makes_broken_json_non_finite() {
        // Cut messages whose strings hold the letters of NaN or Infinity: broken JSON.
        assert_eq!(reason(br#"{"gateway_mac": "banana""#), Reason::BadJson);
        assert_eq!(
            reason(br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "leituras": [{"unidade": "Infinity"#),
            Reason::BadJson
        );
        assert_eq!(
            reason(br#"{"a": "say \"NaN\" ", "leituras": [1, "#),
            Reason::BadJson
        );
        // What firmware's printf writes for non-finite floats, wherever it stands.
        for word in ["NaN", "-nan", "inf", "-Infinity", "+INF"] {
            let p = format!(
                r#"{{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z", "leituras": [{{"dispositivo_codigo": "D01", "valor": {word}}}]}}"#
            );
            assert_eq!(reason(p.as_bytes()), Reason::NonFinite, "{word}");
        }
        assert_eq!(reason(br#"{"valor": 1e400}"#), Reason::NonFinite);
    }

    #[test]
    fn a_value_is_read_to_the_nearest_float() {
        // Found by fuzz/fuzz_targets/telemetry_payload.rs: serde_json's default float
        // parser was one unit off for some inputs, so the value changed when written back.
        for text in [
            "0.1000000000000000055511151231257827",
            "0.30000000000000004",
            "123.45",
            "2.2250738585072011e-308",
        ] {
            let p = format!(
                r#"{{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z", "leituras": [{{"dispositivo_codigo": "D01", "valor": {text}}}]}}"#
            );
            let t = parse(TOPIC, p.as_bytes(), now()).unwrap();
            let value = t.items[0].as_ref().unwrap().value;
            assert_eq!(value, text.parse::<f64>().unwrap(), "{text}");
            let written = serde_json::to_string(&value).unwrap();
            assert_eq!(serde_json::from_str::<f64>(&written).unwrap(), value);
        }
    }

    #[test]
    fn bad_items_are_refused_one_by_one() {
        let p = br#"{"gateway_mac": "aa:bb:cc:dd:ee:ff", "timestamp": "2026-02-18T14:30:00Z",
            "leituras": [{"dispositivo_codigo": "D01", "valor": "12"}, {"dispositivo_codigo": "D02", "valor": "NaN"},
                         {"dispositivo_codigo": "D03", "valor": 1.5}, {"valor": 2}]}"#;
        let t = parse(TOPIC, p, now()).unwrap();
        let reasons: Vec<_> = t
            .items
            .iter()
            .map(|i| i.as_ref().err().map(|r| r.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                Some(Reason::WrongType),
                Some(Reason::NonFinite),
                None,
                Some(Reason::MissingField)
            ]
        );
    }
}

//! The invariant the fuzz targets (`fuzz/`) check for hours, checked on every CI run for
//! a few hundred generated inputs: whatever a gateway sends is stored or dead-lettered
//! with a reason, never a panic. Payloads are generated with the structure of SPEC §3
//! and random values (NUL, unicode, huge numbers, `NaN` text, nested junk), then
//! sometimes cut or corrupted.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use tds_certs::CertificateAuthority;
use tds_domain::certificates::normalise_serial;
use tds_domain::renewals::{Ack, CsrMessage};
use tds_domain::telemetry::{self, MAX_CLOCK_SKEW, Reason, Telemetry};

const MAC: &str = "aa:bb:cc:dd:ee:ff";
const TOPIC: &str = "tds_new/devices/aa:bb:cc:dd:ee:ff/telemetry";

fn now() -> DateTime<Utc> {
    "2026-02-18T14:31:00Z".parse().unwrap()
}

/// A JSON string literal of any text (NUL, controls, any unicode), escaped as JSON does.
fn string_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        Just("\u{0}".to_owned()),
        Just("m³ \u{1F600} \u{202E}".to_owned()),
    ]
    .prop_map(|s| serde_json::to_string(&s).unwrap())
}

/// Text for a value: numbers of every size and spelling, non-finite words, strings,
/// nested junk.
fn value_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<f64>()
            .prop_filter("JSON numbers are finite", |v| v.is_finite())
            .prop_map(|v| serde_json::to_string(&v).unwrap()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "NaN",
            "-NaN",
            "nan",
            "Infinity",
            "-Infinity",
            "inf",
            "1e400",
            "-1e400",
            "1e-400",
            "18446744073709551616",
            "-0",
            "0.0e0",
            "1E+2",
            "01",
            "1.",
            ".5",
            "\"NaN\"",
            "\" -inf \"",
            "\"12,5\"",
            "null",
            "true",
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned),
        string_literal(),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((string_literal(), inner), 0..4).prop_map(|v| {
                let fields: Vec<String> = v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// A field `"name": value`, the value well-formed or junk, or no field at all.
fn field(
    name: &'static str,
    good: impl Strategy<Value = String> + 'static,
) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => good.prop_map(move |v| Some(format!("\"{name}\": {v}"))),
        1 => value_text().prop_map(move |v| Some(format!("\"{name}\": {v}"))),
        1 => Just(None),
    ]
}

fn item() -> impl Strategy<Value = String> {
    (
        field("dispositivo_codigo", string_literal()),
        field("valor", value_text()),
        field(
            "unidade",
            prop_oneof![string_literal(), Just("null".to_owned())],
        ),
        prop::option::of((string_literal(), value_text())),
    )
        .prop_map(|(code, value, unit, junk)| {
            let junk = junk.map(|(k, v)| format!("{k}: {v}"));
            let fields: Vec<String> = [code, value, unit, junk].into_iter().flatten().collect();
            format!("{{{}}}", fields.join(", "))
        })
}

/// A payload with the structure of SPEC §3, then perhaps cut or with a byte changed.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let mac = prop_oneof![
        Just(format!("\"{MAC}\"")),
        Just("\"AA-BB-CC-DD-EE-FF\"".to_owned()),
        Just("\"02:99:00:00:00:01\"".to_owned()),
    ];
    let stamp = prop_oneof![
        (0i64..4_000_000_000).prop_map(|s| format!(
            "\"{}\"",
            DateTime::from_timestamp(s, 0).unwrap().to_rfc3339()
        )),
        Just("\"9999-12-31T23:59:59-23:59\"".to_owned()),
        Just("\"ontem\"".to_owned()),
    ];
    let items = prop_oneof![
        5 => prop::collection::vec(item(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => value_text(),
    ];
    (
        field("gateway_mac", mac),
        field("timestamp", stamp),
        field("leituras", items),
        0usize..8,
        any::<prop::sample::Index>(),
        any::<u8>(),
    )
        .prop_map(|(mac, stamp, items, damage, at, byte)| {
            let fields: Vec<String> = [mac, stamp, items].into_iter().flatten().collect();
            let mut bytes = format!("{{{}}}", fields.join(", ")).into_bytes();
            let at = at.index(bytes.len());
            match damage {
                0 => bytes.truncate(at),
                1 => bytes[at] = byte,
                _ => {}
            }
            bytes
        })
}

/// What a stored message guarantees; returns the reasons (message or items) it gave.
fn check(payload: &[u8]) -> Vec<Reason> {
    let message: Telemetry = match telemetry::parse(TOPIC, payload, now()) {
        Err(rejection) => {
            assert!(!rejection.detail.is_empty());
            assert!(
                !matches!(
                    rejection.reason,
                    Reason::UnknownGateway
                        | Reason::GatewayInactive
                        | Reason::CertificateRevoked
                        | Reason::UnknownDevice
                ),
                "the parser cannot know {rejection:?}"
            );
            return vec![rejection.reason];
        }
        Ok(message) => message,
    };
    assert_eq!(message.mac.as_str(), MAC);
    assert!(message.timestamp <= now() + MAX_CLOCK_SKEW);
    let json: serde_json::Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(
        json["leituras"].as_array().map(Vec::len),
        Some(message.items.len()),
        "every item is stored or refused"
    );
    let mut reasons = Vec::new();
    for item in &message.items {
        match item {
            Ok(item) => {
                assert!(item.value.is_finite());
                assert!(item.value.abs() <= telemetry::MAX_ABS_VALUE);
                assert!(!item.device_code.is_empty());
                assert!(
                    !item.device_code.contains('\0'),
                    "PostgreSQL refuses U+0000"
                );
                assert!(!item.raw.to_string().contains("\\u0000"), "nor in jsonb");
                assert_eq!(
                    item.raw["valor"].as_f64(),
                    Some(item.value),
                    "stored value is the one sent"
                );
            }
            Err(rejection) => {
                assert!(
                    matches!(
                        rejection.reason,
                        Reason::MissingField
                            | Reason::WrongType
                            | Reason::NonFinite
                            | Reason::OutOfRange
                            | Reason::NulInString
                    ),
                    "{rejection:?}"
                );
                reasons.push(rejection.reason);
            }
        }
    }
    reasons
}

#[test]
fn every_spelling_of_a_serial_names_the_stored_one() {
    // Found by fuzz/fuzz_targets/renewal_ack.rs: `:0x4f` normalised to `0x4f`, `0X4F` to
    // `0x4f`, neither of them the stored `4f`.
    for typed in [
        "4f1c",
        "0x4f1c",
        "0X4F1C",
        "4F:1C",
        ":0x4f:1c",
        " 0x 4f 1c ",
        "0x0x4f1c",
    ] {
        assert_eq!(normalise_serial(typed), "4f1c", "{typed:?}");
    }
}

static CA: LazyLock<CertificateAuthority> =
    LazyLock::new(|| CertificateAuthority::create("property CA", now()).unwrap());

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_payload_is_stored_or_refused_with_a_reason(payload in payload()) {
        check(&payload);
    }

    #[test]
    fn arbitrary_bytes_are_refused_with_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&bytes);
    }

    #[test]
    fn a_cut_message_is_bad_json_not_a_non_finite_value(payload in payload(), cut in any::<prop::sample::Index>()) {
        // Only payloads that are JSON: a prefix of one is broken JSON, whatever its text.
        prop_assume!(serde_json::from_slice::<serde_json::Value>(&payload).is_ok());
        let prefix = &payload[..cut.index(payload.len())];
        prop_assume!(serde_json::from_slice::<serde_json::Value>(prefix).is_err());
        let reason = telemetry::parse(TOPIC, prefix, now()).unwrap_err().reason;
        prop_assert!(matches!(reason, Reason::BadJson | Reason::NotUtf8), "{reason:?}");
    }

    #[test]
    fn acks_and_csr_messages_parse_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..256), text in value_text()) {
        for input in [bytes.as_slice(), text.as_bytes()] {
            if let Ok(ack) = serde_json::from_slice::<Ack>(input) {
                let again: Ack = serde_json::from_slice(&serde_json::to_vec(&ack).unwrap()).unwrap();
                prop_assert_eq!(again, ack);
            }
            if let Ok(message) = serde_json::from_slice::<CsrMessage>(input) {
                prop_assert!(CA.sign_gateway_csr(MAC, &message.csr, now()).is_err());
            }
        }
    }

    #[test]
    fn a_normalised_serial_is_its_own_normal_form(serial in prop_oneof![any::<String>(), "(0[xX]|[ :])*[0-9a-fA-F: ]{0,8}"]) {
        let normal = normalise_serial(&serial);
        prop_assert_eq!(normalise_serial(&normal), normal.clone(), "from {:?}", serial);
        // Hex is hex in either case: `0X4F` and `0x4f` name one serial.
        prop_assert_eq!(
            normalise_serial(&serial.to_ascii_uppercase()),
            normalise_serial(&serial.to_ascii_lowercase())
        );
    }

    #[test]
    fn arbitrary_csr_text_is_refused_not_a_panic(body in prop::collection::vec(any::<u8>(), 0..512), raw in any::<String>()) {
        use base64::Engine as _;
        let pem = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            base64::engine::general_purpose::STANDARD.encode(&body)
        );
        prop_assert!(CA.sign_gateway_csr(MAC, &pem, now()).is_err());
        prop_assert!(CA.sign_gateway_csr(MAC, &raw, now()).is_err());
    }
}

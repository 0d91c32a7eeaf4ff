//! The envelope checks: topic → MAC, size, UTF-8. The input is `topic\npayload` (MQTT
//! topics are UTF-8 strings; a non-UTF-8 topic never reaches the parser).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tds_domain::telemetry::{self, MAX_PAYLOAD_BYTES, Reason};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let Ok(topic) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let payload = data.get(split + 1..).unwrap_or_default();
    let result = tds_fuzz::check_parse(topic, payload);

    // The topic is judged first: a topic that names no gateway refuses any payload.
    match telemetry::topic_mac(topic) {
        Err(rejection) => {
            assert_eq!(rejection.reason, Reason::BadTopic);
            assert_eq!(result.as_ref().map_err(|r| r.reason), Err(Reason::BadTopic));
            return;
        }
        Ok(mac) => {
            // A MAC that parses is normalised: it parses to itself.
            let again = tds_domain::values::Mac::parse(mac.as_str()).expect("normal form refused");
            assert_eq!(again, mac);
            assert_eq!(mac.as_str().len(), 17);
        }
    }
    // Size first (a huge payload is not scanned), then UTF-8.
    if payload.len() > MAX_PAYLOAD_BYTES {
        assert_eq!(
            result.as_ref().map_err(|r| r.reason),
            Err(Reason::Oversized)
        );
    } else if std::str::from_utf8(payload).is_err() {
        assert_eq!(result.as_ref().map_err(|r| r.reason), Err(Reason::NotUtf8));
    }
    // Padding with JSON whitespace up to the limit changes nothing; one byte more is
    // too many, whatever the payload says.
    let mut padded = payload.to_vec();
    if padded.len() < MAX_PAYLOAD_BYTES {
        padded.resize(MAX_PAYLOAD_BYTES, b' ');
        let at_limit = telemetry::parse(topic, &padded, tds_fuzz::now());
        match (&result, &at_limit) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "padding changed the message"),
            (Err(a), Err(b)) => assert_eq!(a.reason, b.reason, "padding changed the reason"),
            _ => panic!("padding changed the verdict: {result:?} / {at_limit:?}"),
        }
    }
    padded.push(b' ');
    let over = telemetry::parse(topic, &padded, tds_fuzz::now());
    assert_eq!(over.map_err(|r| r.reason).err(), Some(Reason::Oversized));
});

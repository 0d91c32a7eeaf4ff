//! A gateway's ack on `cert_update/ack`: what `tds_domain::renewals::apply_ack` reads
//! before it touches the database (the `Ack` message and its serial).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tds_domain::certificates::normalise_serial;
use tds_domain::renewals::Ack;

fuzz_target!(|payload: &[u8]| {
    let Ok(ack) = serde_json::from_slice::<Ack>(payload) else {
        return; // BAD_ACK: refused before any lookup
    };
    // What the platform read is what the gateway sent: writing it back and reading it
    // again gives the same ack.
    let written = serde_json::to_vec(&ack).expect("an ack serialises");
    let again: Ack = serde_json::from_slice(&written).expect("a written ack reads back");
    assert_eq!(again, ack);

    // The serial looked up is in normal form: normalising it again changes nothing, so
    // the forms a gateway or an operator may write (`0x…`, `AB:CD…`) name one serial.
    let serial = normalise_serial(&ack.serial);
    assert_eq!(normalise_serial(&serial), serial, "from {:?}", ack.serial);
    assert!(
        !serial.contains(':') && !serial.chars().any(char::is_whitespace),
        "{serial:?}"
    );
    assert_eq!(serial, serial.to_ascii_lowercase(), "{serial:?}");
    assert_eq!(normalise_serial(&serial.to_ascii_uppercase()), serial);
});

//! Any payload on a valid telemetry topic: readings or exactly one reason, never a
//! panic (the checks are in `tds_fuzz::check_parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let _ = tds_fuzz::check_parse(tds_fuzz::TOPIC, payload);
});

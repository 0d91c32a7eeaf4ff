//! The webhook signature. The receiver recomputes
//! `hex(HMAC-SHA256(secret, "<X-TDS-Timestamp>." + body))` and compares it with
//! `X-TDS-Signature` (after `sha256=`); the timestamp is signed too, so a receiver that
//! refuses old timestamps cannot be fed a replayed request.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header with the signature, `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-tds-signature";
/// Header with the signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-tds-timestamp";
/// Header with the notification id (the same on every retry: receivers deduplicate by it).
pub const DELIVERY_HEADER: &str = "x-tds-delivery";

/// The value of [`SIGNATURE_HEADER`] for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

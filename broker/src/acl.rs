//! Who may publish and subscribe to what: the same rules as the Mosquitto ACL that
//! `tds certs mosquitto` writes (`tds_certs::broker::acl`), applied by the gate because
//! the embedded broker has no ACL of its own.

/// A connected client, as its certificate names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The platform's own service identity (ingest, the certificate worker).
    Platform,
    /// A gateway: its certificate's CN, its MAC.
    Gateway(String),
}

/// Topics the platform reads, for every gateway (`+` is any MAC).
const PLATFORM_READS: [&str; 3] = [
    "tds_new/devices/+/telemetry",
    "tds_new/devices/+/cert_update/ack",
    "tds_new/devices/+/cert_update/csr",
];
/// Topics the platform writes.
const PLATFORM_WRITES: [&str; 2] = [
    "tds_new/devices/+/cert_update",
    "tds_new/devices/+/commands/#",
];
/// What a gateway writes under its own MAC (`tds_new/devices/<mac>/…`).
const GATEWAY_WRITES: [&str; 3] = ["telemetry", "cert_update/ack", "cert_update/csr"];
/// What a gateway reads under its own MAC.
const GATEWAY_READS: [&str; 2] = ["cert_update", "commands/#"];

impl Identity {
    /// Whether this client may publish to `topic` (a topic name, no wildcards).
    pub fn may_publish(&self, topic: &str) -> bool {
        if topic.contains(['+', '#', '\0']) {
            return false;
        }
        self.patterns(true).iter().any(|p| within(topic, p))
    }

    /// Whether this client may subscribe to `filter`: every topic it can match must be
    /// one this client may read. A shared subscription is judged by its filter.
    pub fn may_subscribe(&self, filter: &str) -> bool {
        let filter = match filter.strip_prefix("$share/") {
            Some(rest) => match rest.split_once('/') {
                Some((group, f)) if !group.is_empty() => f,
                _ => return false,
            },
            None => filter,
        };
        if filter.contains('\0') {
            return false;
        }
        self.patterns(false).iter().any(|p| within(filter, p))
    }

    fn patterns(&self, write: bool) -> Vec<String> {
        match (self, write) {
            (Identity::Platform, false) => PLATFORM_READS.iter().map(|p| p.to_string()).collect(),
            (Identity::Platform, true) => PLATFORM_WRITES.iter().map(|p| p.to_string()).collect(),
            (Identity::Gateway(mac), write) => {
                // A CN holding MQTT wildcards or separators would widen its own pattern.
                if mac.is_empty() || mac.contains(['+', '#', '/', '\0']) {
                    return Vec::new();
                }
                let own = if write {
                    &GATEWAY_WRITES[..]
                } else {
                    &GATEWAY_READS[..]
                };
                own.iter()
                    .map(|rest| format!("tds_new/devices/{mac}/{rest}"))
                    .collect()
            }
        }
    }
}

/// Whether every topic that `filter` matches is matched by `pattern`. Level by level: a
/// `+` in the pattern covers any one level but not a `#`; a trailing `#` covers the rest.
fn within(filter: &str, pattern: &str) -> bool {
    let mut f = filter.split('/');
    let mut p = pattern.split('/');
    loop {
        match (f.next(), p.next()) {
            (_, Some("#")) => return true,
            (Some(fl), Some("+")) if fl != "#" => {}
            (Some(fl), Some(pl)) if fl == pl && fl != "+" && fl != "#" => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: &str = "aa:bb:cc:dd:ee:01";

    #[test]
    fn a_gateway_publishes_only_under_its_own_mac() {
        let gw = Identity::Gateway(MAC.into());
        assert!(gw.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/telemetry"));
        assert!(gw.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/cert_update/csr"));
        assert!(!gw.may_publish("tds_new/devices/aa:bb:cc:dd:ee:02/telemetry"));
        assert!(!gw.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/cert_update"));
        assert!(!gw.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/telemetry/extra"));
    }

    #[test]
    fn a_gateway_reads_only_its_own_updates_and_commands() {
        let gw = Identity::Gateway(MAC.into());
        assert!(gw.may_subscribe("tds_new/devices/aa:bb:cc:dd:ee:01/cert_update"));
        assert!(gw.may_subscribe("tds_new/devices/aa:bb:cc:dd:ee:01/commands/#"));
        assert!(gw.may_subscribe("tds_new/devices/aa:bb:cc:dd:ee:01/commands/reboot"));
        assert!(!gw.may_subscribe("tds_new/devices/+/cert_update"));
        assert!(!gw.may_subscribe("tds_new/devices/aa:bb:cc:dd:ee:01/#"));
        assert!(!gw.may_subscribe("#"));
        assert!(!gw.may_subscribe("tds_new/devices/+/telemetry"));
    }

    #[test]
    fn a_certificate_name_with_wildcards_gets_nothing() {
        for cn in ["+", "#", "a/b", ""] {
            let gw = Identity::Gateway(cn.into());
            assert!(!gw.may_publish(&format!("tds_new/devices/{cn}/telemetry")));
            assert!(!gw.may_subscribe("tds_new/devices/+/cert_update"));
        }
    }

    #[test]
    fn the_platform_reads_every_gateway_and_writes_updates() {
        let p = Identity::Platform;
        assert!(p.may_subscribe("tds_new/devices/+/telemetry"));
        assert!(p.may_subscribe("$share/tds-ingest/tds_new/devices/+/telemetry"));
        assert!(p.may_subscribe("tds_new/devices/aa:bb:cc:dd:ee:01/cert_update/ack"));
        assert!(!p.may_subscribe("tds_new/devices/#"));
        assert!(!p.may_subscribe("#"));
        assert!(!p.may_subscribe("$share//tds_new/devices/+/telemetry"));
        assert!(p.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/cert_update"));
        assert!(p.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/commands/reboot"));
        assert!(!p.may_publish("tds_new/devices/aa:bb:cc:dd:ee:01/telemetry"));
        assert!(!p.may_publish("tds_new/devices/+/cert_update"));
    }
}

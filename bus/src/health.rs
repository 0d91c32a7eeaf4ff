//! What a process depends on and whether each dependency answers now: the loops that
//! use a dependency report it, `/readyz` reads it. A change is logged once each way, so
//! an outage shows as one line when it starts and one when it ends, not one per retry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One dependency as its user last found it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Reachable and working when last used.
    pub up: bool,
    /// Whether the process is unready while this is down (a degraded dependency, such as
    /// the event bus for the api, is reported but keeps the process ready).
    pub required: bool,
    /// Since when it is in this state.
    pub since: DateTime<Utc>,
    /// The last failure, while down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The dependencies of this process, by name (`ingest.broker`, `workers.queue` …).
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    checks: Arc<Mutex<BTreeMap<String, Check>>>,
}

impl Readiness {
    /// Declares a dependency, down until its user first reaches it.
    pub fn expect(&self, name: &str, required: bool) {
        let mut checks = self.lock();
        checks.entry(name.to_owned()).or_insert(Check {
            up: false,
            required,
            since: Utc::now(),
            error: Some("not reached yet".into()),
        });
    }

    /// The dependency answered; logs when it comes back.
    pub fn up(&self, name: &str) {
        let mut checks = self.lock();
        let check = checks.entry(name.to_owned()).or_insert(Check {
            up: false,
            required: true,
            since: Utc::now(),
            error: None,
        });
        if !check.up {
            let was_down_ms = (Utc::now() - check.since).num_milliseconds();
            if check.error.as_deref() != Some("not reached yet") {
                tracing::info!(dependency = name, was_down_ms, "dependency reachable again");
            }
            check.up = true;
            check.since = Utc::now();
            check.error = None;
        }
    }

    /// The dependency failed; logs when it goes away (not on every retry).
    pub fn down(&self, name: &str, error: &str) {
        let mut checks = self.lock();
        let check = checks.entry(name.to_owned()).or_insert(Check {
            up: true,
            required: true,
            since: Utc::now(),
            error: None,
        });
        if check.up {
            tracing::warn!(
                dependency = name,
                error,
                "dependency lost; retrying until it is back"
            );
            check.up = false;
            check.since = Utc::now();
        }
        check.error = Some(error.to_owned());
    }

    /// Whether every required dependency is up.
    pub fn ready(&self) -> bool {
        self.lock().values().all(|c| c.up || !c.required)
    }

    /// Every dependency's state.
    pub fn checks(&self) -> BTreeMap<String, Check> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Check>> {
        // A panic while holding the lock cannot leave a map half-written.
        self.checks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_follows_required_dependencies_only() {
        let readiness = Readiness::default();
        readiness.expect("workers.queue", true);
        readiness.expect("events", false);
        assert!(!readiness.ready(), "not reached yet is not ready");
        readiness.up("workers.queue");
        assert!(
            readiness.ready(),
            "a degraded optional dependency keeps it ready"
        );
        readiness.down("workers.queue", "connection refused");
        assert!(!readiness.ready());
        let check = &readiness.checks()["workers.queue"];
        assert_eq!(check.error.as_deref(), Some("connection refused"));
        readiness.up("workers.queue");
        assert!(readiness.ready());
    }
}

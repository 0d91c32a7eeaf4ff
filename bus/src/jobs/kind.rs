//! The job registry: every kind of job the platform runs, with the queue it is pushed to
//! or the clock that starts it. Workers register handlers for these, and only these,
//! in one monitor; `/metrics` and `tds serve --jobs` name kinds the same way.

use std::fmt;
use std::time::Duration;

/// What starts a job of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Producers push jobs to this queue (the default name; settings may rename it).
    Queue(&'static str),
    /// A clock: every so often.
    Every(Duration),
    /// A clock: a cron expression (six fields, seconds first) in the platform time zone.
    Cron(&'static str),
}

/// Every kind of job, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// A batch of MQTT messages to validate and store.
    TelemetryBatch,
    /// One notification (e-mail or webhook) of an alert or an invitation.
    AlertNotification,
    /// Alert changes whose notifications are not queued yet (the outbox sweep).
    AlertOutbox,
    /// Rules that are checked by time rather than by a reading (silence, completeness).
    RuleScan,
    /// A report to build (PDF, XLSX). Not run yet.
    ReportBuild,
    /// Report schedules falling due. Not run yet.
    ReportSchedule,
    /// The nightly certificate renewal.
    NightlyRenewal,
    /// Gateways silent past their interval are marked offline.
    OfflineScan,
    /// Finished jobs are removed from the queues.
    QueueVacuum,
}

impl JobKind {
    /// All kinds, in the order workers start them.
    pub const ALL: [JobKind; 9] = [
        JobKind::TelemetryBatch,
        JobKind::AlertNotification,
        JobKind::AlertOutbox,
        JobKind::RuleScan,
        JobKind::ReportBuild,
        JobKind::ReportSchedule,
        JobKind::NightlyRenewal,
        JobKind::OfflineScan,
        JobKind::QueueVacuum,
    ];

    /// The kind's name (`--jobs`, metrics labels, worker names).
    pub const fn name(self) -> &'static str {
        match self {
            JobKind::TelemetryBatch => "telemetry",
            JobKind::AlertNotification => "notifications",
            JobKind::AlertOutbox => "alert-outbox",
            JobKind::RuleScan => "rule-scan",
            JobKind::ReportBuild => "reports",
            JobKind::ReportSchedule => "report-schedule",
            JobKind::NightlyRenewal => "renewal",
            JobKind::OfflineScan => "offline-scan",
            JobKind::QueueVacuum => "queue-vacuum",
        }
    }

    /// What starts it, with its default queue name or period.
    pub const fn trigger(self) -> Trigger {
        match self {
            JobKind::TelemetryBatch => Trigger::Queue("tds:telemetry"),
            JobKind::AlertNotification => Trigger::Queue("tds:notifications"),
            JobKind::AlertOutbox => Trigger::Every(Duration::from_secs(5)),
            JobKind::RuleScan => Trigger::Every(Duration::from_secs(30)),
            JobKind::ReportBuild => Trigger::Queue("tds:reports"),
            JobKind::ReportSchedule => Trigger::Cron("0 * * * * *"),
            // The hour comes from the settings (`TDS_RENEWAL_AT`, platform time zone).
            JobKind::NightlyRenewal => Trigger::Cron("0 0 2 * * *"),
            JobKind::OfflineScan => Trigger::Every(Duration::from_secs(15)),
            JobKind::QueueVacuum => Trigger::Every(Duration::from_secs(30)),
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.name() == name.trim())
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.name()), Some(kind));
            assert_eq!(
                JobKind::ALL
                    .iter()
                    .filter(|k| k.name() == kind.name())
                    .count(),
                1
            );
        }
        assert_eq!(JobKind::parse("nope"), None);
    }
}

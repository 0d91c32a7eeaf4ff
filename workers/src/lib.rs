//! Background jobs, one module per kind. Handlers are thin; the work is in plain
//! functions that tests call directly.

pub mod alerting;
pub mod backlog;
pub mod consumer;
pub mod fleet;
pub mod notifications;
pub mod offline;
pub mod outbox;
pub mod pipeline;
pub mod renewals;
mod report_runs;
pub mod reports;
pub mod schedule;
pub mod service;
pub mod storage;
pub mod supervise;
pub mod telemetry;

/// Counts one run of a job kind with its outcome: `tds_jobs_total{kind, outcome}`.
pub fn job_ran(kind: tds_bus::JobKind, outcome: &'static str) {
    metrics::counter!("tds_jobs_total", "kind" => kind.name(), "outcome" => outcome).increment(1);
}

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
pub mod telemetry;

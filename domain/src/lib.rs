//! Domain logic of TDS: parsed values, settings, authentication, the tenant scope,
//! and the operations on accounts, members, gateways, devices and alerts.
//!
//! Entry points (GraphQL resolvers, the CLI, job handlers) stay thin and call these
//! plain functions; every tenant-owned operation takes a [`tenant::Tenant`] and filters
//! by its account, so another account's object is simply not found. What acts across
//! accounts takes an [`operator::Operator`] instead.

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod bundles;
pub mod certificates;
pub mod config;
pub mod db;
pub mod devices;
pub mod downloads;
pub mod error;
pub mod files;
pub mod gateways;
pub mod members;
pub mod operator;
pub mod page;
pub mod readings;
pub mod renewals;
pub mod report_requests;
pub mod report_schedules;
pub mod reports;
pub mod rollups;
pub mod telemetry;
pub mod tenant;
pub mod values;

pub use error::{DomainError, DomainResult, FieldError};
pub use operator::Operator;
pub use tenant::{Credentials, Session, Tenant};

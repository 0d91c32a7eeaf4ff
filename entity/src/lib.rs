//! SeaORM entities of the whole TDS domain and the enums they use.
//!
//! Every tenant-owned table carries `account_id`; queries against them go
//! through the tenant-scoped handle in `tds-domain`, never straight from a resolver.

pub mod enums;

pub mod account;
pub mod alert;
pub mod alert_notification;
pub mod alert_rule;
pub mod certificate;
pub mod certificate_renewal;
pub mod certificate_renewal_step;
pub mod dead_letter;
pub mod device;
pub mod gateway;
pub mod invitation;
pub mod membership;
pub mod reading;
pub mod renewal_run;
pub mod report;
pub mod report_schedule;
pub mod rollup;
pub mod stored_file;
pub mod user;

pub use enums::*;

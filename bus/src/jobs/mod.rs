//! Job types, and the one registry naming every kind of job the platform runs.

pub mod kind;
pub mod notification;
pub mod report;
pub mod telemetry;

pub use kind::{JobKind, Trigger};
pub use notification::{
    AlertNotice, AlertTransition, Channel, InvitationNotice, Locale, Message, Notification,
    ReportNotice, Severity,
};
pub use report::ReportJob;
pub use telemetry::{InboundMessage, TelemetryBatch};

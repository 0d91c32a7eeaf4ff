//! Notification delivery: e-mail through SMTP and signed webhooks, rendered in the
//! account's language, one recorded attempt at a time. The job that carries a
//! notification is `tds_bus::Notification`; the workers run it through
//! [`Notifier::deliver`] and push it back for a retry when told to.

pub mod deliver;
pub mod error;
pub mod mail;
pub mod render;
pub mod webhook;

pub use deliver::{
    Attempt, AttemptLog, AttemptLogError, AttemptOutcome, DiscardAttempts, MemoryAttemptLog,
    Notifier, Outcome, RetryPolicy,
};
pub use error::{DeliveryError, SetupError};
pub use mail::{FileAttachment, Mailer};
pub use render::{Links, Rendered};
pub use webhook::WebhookSender;

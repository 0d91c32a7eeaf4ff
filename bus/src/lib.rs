//! The platform's message plumbing, shared by producers and consumers:
//! the job queues (apalis on Redis) with the registry of job kinds, and the event stream
//! (Redis pub/sub, or in-process for a single process). Types crossing a process boundary
//! live here, once.

pub mod backoff;
pub mod counters;
pub mod events;
pub mod health;
pub mod job_queue;
pub mod jobs;
pub mod poll;
pub mod queue;

pub use backoff::Backoff;
pub use counters::{Hits, WindowCounters};
pub use events::{BusError, Event, EventBus, ReadingEvent};
pub use health::{Check, Readiness};
pub use job_queue::{
    JobBackend, JobQueue, NOTIFICATION_QUEUE, NotificationQueue, REPORT_QUEUE, ReportQueue,
};
pub use jobs::{InboundMessage, JobKind, Notification, ReportJob, TelemetryBatch};
pub use poll::PollEvery;
pub use queue::{QueueConfig, QueueError, TelemetryQueue};

//! The platform's message plumbing, shared by producers and consumers:
//! the telemetry job queue (apalis on Redis) and the event stream (Redis pub/sub, or
//! in-process for a single process). Types crossing a process boundary live here, once.

pub mod counters;
pub mod events;
pub mod health;
pub mod jobs;
pub mod queue;

pub use counters::{Hits, WindowCounters};
pub use events::{BusError, Event, EventBus, ReadingEvent};
pub use health::{Check, Readiness};
pub use jobs::{InboundMessage, TelemetryBatch};
pub use queue::{QueueConfig, QueueError, TelemetryQueue};

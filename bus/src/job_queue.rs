//! The queues of the job kinds other than telemetry (notifications, report builds): one
//! generic handle over apalis on Redis (or SQLite for the demo). A retry is pushed back
//! with a delay instead of waited for in a worker slot, so it survives a worker's restart
//! and a slow endpoint holds nothing.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_core::task::builder::TaskBuilder;
use apalis_redis::{Config, RedisStorage};
use apalis_sqlite::SqliteStorage;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::jobs::{JobKind, Notification, ReportJob, Trigger};
use crate::queue::{QueueConfig, QueueError};

/// The default queue name of notifications.
pub const NOTIFICATION_QUEUE: &str = match JobKind::AlertNotification.trigger() {
    Trigger::Queue(name) => name,
    _ => "tds:notifications",
};

/// The default queue name of report builds.
pub const REPORT_QUEUE: &str = match JobKind::ReportBuild.trigger() {
    Trigger::Queue(name) => name,
    _ => "tds:reports",
};

/// The queue of notifications (e-mails, webhooks) and their retries.
pub type NotificationQueue = JobQueue<Notification>;

/// The queue of reports to build.
pub type ReportQueue = JobQueue<ReportJob>;

/// What a queue can carry.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {}

impl<T: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static> Job for T {}

/// The apalis storage behind a queue.
#[derive(Clone)]
pub enum JobBackend<J> {
    /// apalis on Redis.
    Redis(RedisStorage<J>),
    /// apalis on a SQLite file.
    Sqlite(SqliteStorage<J>),
}

/// Producer and consumer handle of one queue.
#[derive(Clone)]
pub struct JobQueue<J> {
    backend: JobBackend<J>,
    heartbeat: Duration,
}

impl<J: Job> JobQueue<J> {
    /// Connects to Redis (reconnecting by itself afterwards) or opens the SQLite queue
    /// file. `config.name` is the queue's name ([`NOTIFICATION_QUEUE`], [`REPORT_QUEUE`]
    /// in production).
    pub async fn connect(config: &QueueConfig) -> Result<Self, QueueError> {
        let unavailable = |e: &dyn std::fmt::Display| {
            QueueError::Unavailable(format!("queue {} at {}: {e}", config.name, config.url))
        };
        if config.url.starts_with("sqlite:") {
            let options: apalis_sqlite::SqliteConnectOptions =
                config.url.parse().map_err(|e| unavailable(&e))?;
            let pool = apalis_sqlite::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .map_err(|e| unavailable(&e))?;
            SqliteStorage::setup(&pool)
                .await
                .map_err(|e| unavailable(&e))?;
            let sqlite = apalis_sqlite::Config::default()
                .queue(&config.name)
                .batch_size(config.fetch_batch)
                .heartbeat_interval(config.heartbeat)
                .missed_heartbeats(3);
            return Ok(Self {
                backend: JobBackend::Sqlite(SqliteStorage::new(&pool).with_config(sqlite)),
                heartbeat: config.heartbeat,
            });
        }
        let conn = crate::queue::redis_connection(&config.url)
            .await
            .map_err(|e| unavailable(&e))?;
        let redis = Config::default()
            .queue(&config.name)
            .batch_size(config.fetch_batch)
            .heartbeat_interval(config.heartbeat)
            .missed_heartbeats(3)
            // apalis acknowledges a finished job only when it persists its result: without
            // this a job stays in its worker's in-flight set and is done again (an e-mail
            // sent twice) whenever that worker is replaced. The vacuum clears done jobs.
            .persist_results(true)
            .emit_events(false);
        Ok(Self {
            backend: JobBackend::Redis(RedisStorage::new(conn).with_config(redis)),
            heartbeat: config.heartbeat,
        })
    }

    /// Enqueues a job to run now; `Ok` means it is stored in the queue.
    pub async fn push(&mut self, job: J) -> Result<(), QueueError> {
        self.push_after(job, Duration::ZERO).await
    }

    /// Enqueues a job to run after `delay` at the earliest (rounded up to a whole
    /// second: the queue keeps due times in seconds).
    pub async fn push_after(&mut self, job: J, delay: Duration) -> Result<(), QueueError> {
        let due = std::time::SystemTime::now() + delay;
        let since_epoch = due
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let due_s = since_epoch.as_secs() + u64::from(since_epoch.subsec_nanos() > 0);
        let task = TaskBuilder::new(job)
            .run_at_timestamp(if delay.is_zero() { 0 } else { due_s })
            .build();
        match &mut self.backend {
            JobBackend::Redis(storage) => storage
                .push_task(task)
                .await
                .map_err(|e| QueueError::Unavailable(e.to_string())),
            JobBackend::Sqlite(storage) => storage
                .push_task(task)
                .await
                .map_err(|e| QueueError::Unavailable(e.to_string())),
        }
    }

    /// The apalis storage, for building a worker.
    pub fn backend(&self) -> &JobBackend<J> {
        &self.backend
    }

    /// How often a worker of this queue heartbeats.
    pub fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// Removes finished jobs (see [`crate::TelemetryQueue::vacuum`]).
    pub async fn vacuum(&mut self) -> Result<usize, QueueError> {
        let storage = match &mut self.backend {
            JobBackend::Redis(storage) => storage,
            JobBackend::Sqlite(storage) => {
                return Vacuum::vacuum(storage)
                    .await
                    .map_err(|e| QueueError::Unavailable(e.to_string()));
            }
        };
        let removed = Vacuum::vacuum(storage)
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        let done = storage.get_config().done_jobs_set();
        redis::cmd("UNLINK")
            .arg(done)
            .query_async::<i64>(storage.get_connection())
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        Ok(removed)
    }
}

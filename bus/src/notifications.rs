//! The notification queue (`tds:notifications`): e-mails and webhooks waiting to be sent,
//! and their retries, which are pushed back with a delay instead of waited for in a
//! worker slot (a retry survives a worker's restart, and a slow endpoint holds nothing).

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_core::task::builder::TaskBuilder;
use apalis_redis::{Config, RedisStorage};
use apalis_sqlite::SqliteStorage;

use crate::jobs::{JobKind, Notification, Trigger};
use crate::queue::{QueueConfig, QueueError};

/// The default queue name of notifications.
pub const NOTIFICATION_QUEUE: &str = match JobKind::AlertNotification.trigger() {
    Trigger::Queue(name) => name,
    _ => "tds:notifications",
};

/// The apalis storage behind the notification queue.
#[derive(Clone)]
pub enum NotificationBackend {
    /// apalis on Redis.
    Redis(RedisStorage<Notification>),
    /// apalis on a SQLite file.
    Sqlite(SqliteStorage<Notification>),
}

/// Producer and consumer handle of the notification queue.
#[derive(Clone)]
pub struct NotificationQueue {
    backend: NotificationBackend,
}

impl NotificationQueue {
    /// Connects to Redis (reconnecting by itself afterwards) or opens the SQLite queue
    /// file. `config.name` is the queue's name ([`NOTIFICATION_QUEUE`] in production).
    pub async fn connect(config: &QueueConfig) -> Result<Self, QueueError> {
        let unavailable = |e: &dyn std::fmt::Display| {
            QueueError::Unavailable(format!("notification queue at {}: {e}", config.url))
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
                backend: NotificationBackend::Sqlite(SqliteStorage::new(&pool).with_config(sqlite)),
            });
        }
        let conn = apalis_redis::connect(config.url.as_str())
            .await
            .map_err(|e| unavailable(&e))?;
        let redis = Config::default()
            .queue(&config.name)
            .batch_size(config.fetch_batch)
            .heartbeat_interval(config.heartbeat)
            .missed_heartbeats(3)
            .persist_results(false)
            .emit_events(false);
        Ok(Self {
            backend: NotificationBackend::Redis(RedisStorage::new(conn).with_config(redis)),
        })
    }

    /// Enqueues a notification to be sent now; `Ok` means it is stored in the queue.
    pub async fn push(&mut self, notification: Notification) -> Result<(), QueueError> {
        self.push_after(notification, Duration::ZERO).await
    }

    /// Enqueues a notification to be sent after `delay` at the earliest (rounded up to
    /// a whole second: the queue keeps due times in seconds).
    pub async fn push_after(
        &mut self,
        notification: Notification,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let due = std::time::SystemTime::now() + delay;
        let since_epoch = due
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let due_s = since_epoch.as_secs() + u64::from(since_epoch.subsec_nanos() > 0);
        let task = TaskBuilder::new(notification)
            .run_at_timestamp(if delay.is_zero() { 0 } else { due_s })
            .build();
        match &mut self.backend {
            NotificationBackend::Redis(storage) => storage
                .push_task(task)
                .await
                .map_err(|e| QueueError::Unavailable(e.to_string())),
            NotificationBackend::Sqlite(storage) => storage
                .push_task(task)
                .await
                .map_err(|e| QueueError::Unavailable(e.to_string())),
        }
    }

    /// The apalis storage, for building a worker.
    pub fn backend(&self) -> &NotificationBackend {
        &self.backend
    }

    /// Removes finished notifications (see [`crate::TelemetryQueue::vacuum`]).
    pub async fn vacuum(&mut self) -> Result<usize, QueueError> {
        let storage = match &mut self.backend {
            NotificationBackend::Redis(storage) => storage,
            NotificationBackend::Sqlite(storage) => {
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

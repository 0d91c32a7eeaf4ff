//! The telemetry job queue: apalis on Redis.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_redis::{Config, RedisStorage};

use crate::jobs::TelemetryBatch;

/// Where the queue lives and what it is called.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Redis URL.
    pub redis_url: String,
    /// Queue name; tests use a fresh one each.
    pub name: String,
    /// Jobs a worker fetches at once.
    pub fetch_batch: usize,
    /// Worker heartbeat; a worker silent for three heartbeats is presumed dead and its
    /// jobs go back to the queue.
    pub heartbeat: Duration,
}

impl QueueConfig {
    /// The production queue on `redis_url`.
    pub fn new(redis_url: &str, name: &str) -> Self {
        Self {
            redis_url: redis_url.to_owned(),
            name: name.to_owned(),
            fetch_batch: 64,
            heartbeat: Duration::from_secs(2),
        }
    }

    fn apalis(&self) -> Config {
        Config::default()
            .queue(&self.name)
            .batch_size(self.fetch_batch)
            .heartbeat_interval(self.heartbeat)
            .missed_heartbeats(3)
            // Results are not read by anyone; keeping them would grow Redis forever.
            .persist_results(false)
            .emit_events(false)
    }
}

/// The queue could not be reached or refused a job.
#[derive(Debug, thiserror::Error)]
#[error("telemetry queue: {0}")]
pub struct QueueError(String);

/// Producer and consumer handle of the telemetry queue.
#[derive(Clone)]
pub struct TelemetryQueue {
    storage: RedisStorage<TelemetryBatch>,
}

impl TelemetryQueue {
    /// Connects to Redis (the connection manager reconnects by itself afterwards).
    pub async fn connect(config: &QueueConfig) -> Result<Self, QueueError> {
        let conn = apalis_redis::connect(config.redis_url.as_str())
            .await
            .map_err(|e| QueueError(format!("cannot reach Redis at {}: {e}", config.redis_url)))?;
        Ok(Self {
            storage: RedisStorage::new(conn).with_config(config.apalis()),
        })
    }

    /// Enqueues one batch; when this returns `Ok` the batch is in Redis.
    pub async fn push(&mut self, batch: TelemetryBatch) -> Result<(), QueueError> {
        self.storage
            .push(batch)
            .await
            .map_err(|e| QueueError(e.to_string()))
    }

    /// Removes finished jobs from Redis. apalis keeps every finished job's data and
    /// metadata (and its id in a "done" set used only for statistics) until vacuumed, so
    /// without this Redis grows with every message ever received.
    pub async fn vacuum(&mut self) -> Result<usize, QueueError> {
        let removed = Vacuum::vacuum(&mut self.storage)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        let done = self.storage.get_config().done_jobs_set();
        redis::cmd("UNLINK")
            .arg(done)
            .query_async::<i64>(self.storage.get_connection())
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        Ok(removed)
    }

    /// Jobs waiting or being worked on (a drained queue has none).
    pub async fn backlog(&mut self) -> Result<u64, QueueError> {
        let config = self.storage.get_config().clone();
        let mut conn = self.storage.get_connection().clone();
        let waiting: u64 = redis::cmd("LLEN")
            .arg(config.active_jobs_list())
            .query_async(&mut conn)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        let inflight_sets: Vec<String> = redis::cmd("ZRANGE")
            .arg(config.workers_set())
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        let mut inflight = 0u64;
        for set in inflight_sets {
            let n: u64 = redis::cmd("SCARD")
                .arg(set)
                .query_async(&mut conn)
                .await
                .map_err(|e| QueueError(e.to_string()))?;
            inflight += n;
        }
        Ok(waiting + inflight)
    }

    /// The apalis backend, for building a worker.
    pub fn storage(&self) -> RedisStorage<TelemetryBatch> {
        self.storage.clone()
    }
}

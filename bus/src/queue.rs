//! The telemetry job queue: apalis on Redis (production) or on a SQLite file (the
//! single-process demo), behind one handle.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_redis::{Config, RedisStorage};
use apalis_sqlite::SqliteStorage;

use crate::jobs::TelemetryBatch;

/// Where the queue lives and what it is called.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// `redis://…`, or `sqlite://path` for the embedded queue (its own file: apalis runs
    /// it with `synchronous = OFF`, which the main database must not share).
    pub url: String,
    /// Queue name; tests use a fresh one each.
    pub name: String,
    /// Jobs a worker fetches at once.
    pub fetch_batch: usize,
    /// Worker heartbeat; a worker silent for three heartbeats is presumed dead and its
    /// jobs go back to the queue.
    pub heartbeat: Duration,
}

impl QueueConfig {
    /// A queue named `name` at `url`.
    pub fn new(url: &str, name: &str) -> Self {
        Self {
            url: url.to_owned(),
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

/// The apalis storage behind a queue.
#[derive(Clone)]
pub enum QueueBackend {
    /// apalis on Redis.
    Redis(RedisStorage<TelemetryBatch>),
    /// apalis on a SQLite file.
    Sqlite(SqliteStorage<TelemetryBatch>),
}

/// Producer and consumer handle of the telemetry queue.
#[derive(Clone)]
pub struct TelemetryQueue {
    backend: QueueBackend,
    name: String,
}

impl TelemetryQueue {
    /// Connects to Redis (the connection manager reconnects by itself afterwards) or opens
    /// the SQLite queue file, creating its tables.
    pub async fn connect(config: &QueueConfig) -> Result<Self, QueueError> {
        if config.url.starts_with("sqlite:") {
            let options: apalis_sqlite::SqliteConnectOptions = config
                .url
                .parse()
                .map_err(|e| QueueError(format!("{}: {e}", config.url)))?;
            let pool = apalis_sqlite::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .map_err(|e| QueueError(format!("cannot open {}: {e}", config.url)))?;
            SqliteStorage::setup(&pool)
                .await
                .map_err(|e| QueueError(e.to_string()))?;
            let sqlite = apalis_sqlite::Config::default()
                .queue(&config.name)
                .batch_size(config.fetch_batch)
                .heartbeat_interval(config.heartbeat)
                .missed_heartbeats(3);
            let storage = SqliteStorage::new(&pool).with_config(sqlite);
            return Ok(Self {
                backend: QueueBackend::Sqlite(storage),
                name: config.name.clone(),
            });
        }
        let conn = apalis_redis::connect(config.url.as_str())
            .await
            .map_err(|e| QueueError(format!("cannot reach Redis at {}: {e}", config.url)))?;
        Ok(Self {
            backend: QueueBackend::Redis(RedisStorage::new(conn).with_config(config.apalis())),
            name: config.name.clone(),
        })
    }

    /// Enqueues one batch; when this returns `Ok` the batch is stored in the queue.
    pub async fn push(&mut self, batch: TelemetryBatch) -> Result<(), QueueError> {
        let result = match &mut self.backend {
            QueueBackend::Redis(storage) => storage.push(batch).await.map_err(|e| e.to_string()),
            QueueBackend::Sqlite(storage) => storage.push(batch).await.map_err(|e| e.to_string()),
        };
        result.map_err(QueueError)
    }

    /// The apalis storage, for building a worker.
    pub fn backend(&self) -> &QueueBackend {
        &self.backend
    }

    /// Removes finished jobs from Redis. apalis keeps every finished job's data and
    /// metadata (and its id in a "done" set used only for statistics) until vacuumed, so
    /// without this Redis grows with every message ever received.
    pub async fn vacuum(&mut self) -> Result<usize, QueueError> {
        let storage = match &mut self.backend {
            QueueBackend::Redis(storage) => storage,
            QueueBackend::Sqlite(storage) => {
                return Vacuum::vacuum(storage)
                    .await
                    .map_err(|e| QueueError(e.to_string()));
            }
        };
        let removed = Vacuum::vacuum(storage)
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        let done = storage.get_config().done_jobs_set();
        redis::cmd("UNLINK")
            .arg(done)
            .query_async::<i64>(storage.get_connection())
            .await
            .map_err(|e| QueueError(e.to_string()))?;
        Ok(removed)
    }

    /// Jobs waiting or being worked on (a drained queue has none).
    pub async fn backlog(&mut self) -> Result<u64, QueueError> {
        let storage = match &mut self.backend {
            QueueBackend::Redis(storage) => storage,
            QueueBackend::Sqlite(storage) => {
                let (n,): (i64,) = sqlx_count(storage, &self.name).await?;
                return Ok(n as u64);
            }
        };
        let config = storage.get_config().clone();
        let mut conn = storage.get_connection().clone();
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
}

/// Jobs of a SQLite queue not yet finished.
async fn sqlx_count(
    storage: &SqliteStorage<TelemetryBatch>,
    queue: &str,
) -> Result<(i64,), QueueError> {
    sqlx::query_as("SELECT COUNT(*) FROM Jobs WHERE job_type = ? AND status IN ('Pending', 'Queued', 'Running')")
        .bind(queue)
        .fetch_one(storage.pool())
        .await
        .map_err(|e| QueueError(e.to_string()))
}

/// Deletes every Redis key starting with `prefix` (a scratch queue's leftovers).
pub async fn forget_prefix(redis_url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: redis::RedisResult<i64> =
            redis::cmd("UNLINK").arg(chunk).query_async(&mut conn).await;
    }
}

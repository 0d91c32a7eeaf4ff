//! The telemetry job queue: apalis on Redis (production) or on a SQLite file (the
//! single-process demo), behind one handle.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_core::backend::Vacuum;
use apalis_redis::{Config, RedisStorage};
use apalis_sqlite::SqliteStorage;

use crate::jobs::TelemetryBatch;

/// Default largest job: far below what Redis takes in one value (512 MB) or SQLite in one
/// blob (1 GB), and large enough that ingest's own budget always binds first.
pub const DEFAULT_MAX_JOB_BYTES: usize = 64 * 1024 * 1024;
/// Longest wait for one Redis reply (a fetch of large jobs from a busy Redis included).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// The smallest job limit a queue accepts: one message of the largest size ingest forwards
/// (64 KiB in base64, with its topic) always fits, so splitting always ends.
pub const MIN_JOB_BYTES: usize = 256 * 1024;

/// A Redis connection that reconnects by itself. A dead Redis is noticed by the connection
/// failing (2 s to connect, two retries: a start without Redis says so within seconds),
/// not by the reply timeout: see [`RESPONSE_TIMEOUT`].
pub async fn redis_connection(
    url: &str,
) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
    // redis-rs gives up on a reply after 500 ms by default. A fetch of large jobs from
    // a busy Redis (a big backlog, a box under load) takes longer, and a timed-out
    // fetch ends the apalis worker: the replacement fetches the same jobs and times out
    // again.
    let manager = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(RESPONSE_TIMEOUT))
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2);
    redis::Client::open(url)?
        .get_connection_manager_with_config(manager)
        .await
}

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
    /// Largest job pushed (estimated queued bytes); a larger one is refused with
    /// [`QueueError::TooLarge`] so the producer splits it. Never below [`MIN_JOB_BYTES`].
    pub max_job_bytes: usize,
}

impl QueueConfig {
    /// A queue named `name` at `url`.
    pub fn new(url: &str, name: &str) -> Self {
        Self {
            url: url.to_owned(),
            name: name.to_owned(),
            // Jobs carry up to a megabyte each: a fetch stays a few megabytes at most.
            fetch_batch: 16,
            heartbeat: Duration::from_secs(2),
            max_job_bytes: DEFAULT_MAX_JOB_BYTES,
        }
    }

    fn apalis(&self) -> Config {
        Config::default()
            .queue(&self.name)
            .batch_size(self.fetch_batch)
            .heartbeat_interval(self.heartbeat)
            .missed_heartbeats(3)
            // apalis acknowledges a finished job only when it persists results: without
            // this, every job stays "running" in its worker's in-flight set forever and is
            // done again whenever that worker is replaced. `vacuum` removes them.
            .persist_results(true)
            .emit_events(false)
    }
}

/// The queue could not be reached or refused a job.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis or the queue file failed or could not be reached: try again later.
    #[error("telemetry queue: {0}")]
    Unavailable(String),
    /// The job is larger than the queue takes: push its halves instead.
    #[error("telemetry queue: a job of about {bytes} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Estimated size of the job.
        bytes: usize,
        /// The queue's limit.
        max: usize,
    },
}

impl QueueError {
    fn unavailable(e: impl std::fmt::Display) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Whether a backend's refusal says the value was too large (Redis: a bulk string beyond
/// `proto-max-bulk-len`; SQLite: a blob beyond its length limit).
fn says_too_large(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    e.contains("invalid bulk length") || e.contains("too big") || e.contains("too large")
}

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
    max_job_bytes: usize,
    heartbeat: Duration,
}

impl TelemetryQueue {
    /// Connects to Redis (the connection manager reconnects by itself afterwards) or opens
    /// the SQLite queue file, creating its tables.
    pub async fn connect(config: &QueueConfig) -> Result<Self, QueueError> {
        if config.url.starts_with("sqlite:") {
            let options: apalis_sqlite::SqliteConnectOptions = config
                .url
                .parse()
                .map_err(|e| QueueError::Unavailable(format!("{}: {e}", config.url)))?;
            let pool = apalis_sqlite::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .map_err(|e| QueueError::Unavailable(format!("cannot open {}: {e}", config.url)))?;
            SqliteStorage::setup(&pool)
                .await
                .map_err(QueueError::unavailable)?;
            let sqlite = apalis_sqlite::Config::default()
                .queue(&config.name)
                .batch_size(config.fetch_batch)
                .heartbeat_interval(config.heartbeat)
                .missed_heartbeats(3);
            let storage = SqliteStorage::new(&pool).with_config(sqlite);
            return Ok(Self {
                backend: QueueBackend::Sqlite(storage),
                name: config.name.clone(),
                max_job_bytes: config.max_job_bytes.max(MIN_JOB_BYTES),
                heartbeat: config.heartbeat,
            });
        }
        let unreachable = |e: redis::RedisError| {
            QueueError::Unavailable(format!("cannot reach Redis at {}: {e}", config.url))
        };
        let conn = redis_connection(&config.url).await.map_err(unreachable)?;
        Ok(Self {
            backend: QueueBackend::Redis(RedisStorage::new(conn).with_config(config.apalis())),
            name: config.name.clone(),
            max_job_bytes: config.max_job_bytes.max(MIN_JOB_BYTES),
            heartbeat: config.heartbeat,
        })
    }

    /// Enqueues one batch; when this returns `Ok` the batch is stored in the queue. A
    /// batch beyond the job limit is refused with [`QueueError::TooLarge`] before it is
    /// sent, so a producer never retries a push that can never succeed.
    pub async fn push(&mut self, batch: TelemetryBatch) -> Result<(), QueueError> {
        let bytes = batch.queued_len();
        let too_large = QueueError::TooLarge {
            bytes,
            max: self.max_job_bytes,
        };
        if bytes > self.max_job_bytes {
            return Err(too_large);
        }
        let result = match &mut self.backend {
            QueueBackend::Redis(storage) => storage.push(batch).await.map_err(|e| e.to_string()),
            QueueBackend::Sqlite(storage) => storage.push(batch).await.map_err(|e| e.to_string()),
        };
        result.map_err(|e| {
            if says_too_large(&e) {
                too_large
            } else {
                QueueError::Unavailable(e)
            }
        })
    }

    /// The largest job this queue takes (estimated queued bytes).
    pub fn max_job_bytes(&self) -> usize {
        self.max_job_bytes
    }

    /// The apalis storage, for building a worker.
    pub fn backend(&self) -> &QueueBackend {
        &self.backend
    }

    /// How often a worker of this queue heartbeats.
    pub fn heartbeat(&self) -> Duration {
        self.heartbeat
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
                    .map_err(QueueError::unavailable);
            }
        };
        // apalis's own vacuum reads every job's data (HGETALL) to find the finished ones,
        // blocking Redis for as long as a large backlog takes; the finished ones are in the
        // done set, so take them from there, a bounded number per call.
        let config = storage.get_config().clone();
        let script = redis::Script::new(VACUUM_DONE);
        let mut removed = 0;
        loop {
            let n: usize = script
                .key(config.done_jobs_set())
                .key(config.job_data_hash())
                .key(config.job_meta_hash())
                .arg(VACUUM_CHUNK)
                .invoke_async(&mut storage.get_connection().clone())
                .await
                .map_err(QueueError::unavailable)?;
            removed += n;
            if n < VACUUM_CHUNK {
                return Ok(removed);
            }
        }
    }

    /// Hands back every job the worker named `worker` holds (its "in flight" set) to the
    /// head of the queue and forgets its registration, so a worker of that name may start
    /// at once. Only for a worker of that name with no handler running: the jobs are
    /// done again (at least once), and the writer stores each reading once. A worker
    /// restarted under its name uses this to recover what its predecessor held, including
    /// jobs it finished whose acknowledgement Redis lost (a restart, an append-only file
    /// behind by a second). The SQLite queue releases by heartbeat alone: `Ok(0)`.
    pub async fn release_worker(&mut self, worker: &str) -> Result<usize, QueueError> {
        let QueueBackend::Redis(storage) = &mut self.backend else {
            return Ok(0);
        };
        let config = storage.get_config().clone();
        let script = redis::Script::new(RELEASE_WORKER);
        let released: usize = script
            .key(format!("{}:{worker}", config.inflight_jobs_set()))
            .key(config.active_jobs_list())
            .key(config.signal_list())
            .key(config.workers_set())
            .arg(worker)
            .invoke_async(&mut storage.get_connection().clone())
            .await
            .map_err(QueueError::unavailable)?;
        Ok(released)
    }

    /// The identity of the Redis server process (`run_id`): it changes when Redis
    /// restarts, which may have lost the last writes (acknowledgements among them).
    /// `None` for the SQLite queue.
    pub async fn server_run(&mut self) -> Result<Option<String>, QueueError> {
        let QueueBackend::Redis(storage) = &mut self.backend else {
            return Ok(None);
        };
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut storage.get_connection().clone())
            .await
            .map_err(QueueError::unavailable)?;
        Ok(info
            .lines()
            .find_map(|l| l.strip_prefix("run_id:"))
            .map(|id| id.trim().to_owned()))
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
            .map_err(QueueError::unavailable)?;
        // A pushed job waits in the scheduled set (due at once) until a fetch promotes it.
        let scheduled: u64 = redis::cmd("ZCARD")
            .arg(config.scheduled_jobs_set())
            .query_async(&mut conn)
            .await
            .map_err(QueueError::unavailable)?;
        // The workers set holds worker names; each name's jobs are in its own set.
        let workers: Vec<String> = redis::cmd("ZRANGE")
            .arg(config.workers_set())
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .map_err(QueueError::unavailable)?;
        let mut inflight = 0u64;
        for worker in workers {
            let n: u64 = redis::cmd("SCARD")
                .arg(format!("{}:{worker}", config.inflight_jobs_set()))
                .query_async(&mut conn)
                .await
                .map_err(QueueError::unavailable)?;
            inflight += n;
        }
        Ok(waiting + scheduled + inflight)
    }
}

/// Finished jobs removed per vacuum call (a call blocks Redis while it runs).
const VACUUM_CHUNK: usize = 2_000;

/// Removes up to ARGV[1] finished jobs named in the done set: their data, metadata and
/// result. Returns how many.
const VACUUM_DONE: &str = r#"
local ids = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('DEL', KEYS[3] .. ':' .. id)
  redis.call('HDEL', KEYS[3] .. ':result', id)
end
return #ids
"#;

/// Moves a worker's in-flight jobs to the head of the active list (in chunks: Lua's
/// `unpack` takes a few thousand values at most), signals waiting workers, and removes
/// the worker's registration.
const RELEASE_WORKER: &str = r#"
local released = 0
while true do
  local ids = redis.call('SPOP', KEYS[1], 500)
  if #ids == 0 then break end
  redis.call('LPUSH', KEYS[2], unpack(ids))
  released = released + #ids
end
redis.call('ZREM', KEYS[4], ARGV[1])
if released > 0 then
  redis.call('DEL', KEYS[3])
  redis.call('LPUSH', KEYS[3], 1)
end
return released
"#;

/// Jobs of a SQLite queue not yet finished.
async fn sqlx_count(
    storage: &SqliteStorage<TelemetryBatch>,
    queue: &str,
) -> Result<(i64,), QueueError> {
    sqlx::query_as("SELECT COUNT(*) FROM Jobs WHERE job_type = ? AND status IN ('Pending', 'Queued', 'Running')")
        .bind(queue)
        .fetch_one(storage.pool())
        .await
        .map_err(QueueError::unavailable)
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

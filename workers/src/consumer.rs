//! The telemetry queue's consumer, kept alive for as long as the process lives.
//!
//! apalis ends a worker for good when its backend fails once (a fetch, a heartbeat or
//! an acknowledgement that Redis did not answer), and a worker that ended by itself
//! leaves `run_until` waiting for the shutdown signal: the process would live on, taking
//! in telemetry that nobody stores. So the worker runs here under a loop that notices
//! its end, waits for Redis, hands back the jobs the ended worker held and starts a new
//! one under the same name.
//!
//! A worker can also stop polling without ending (a wake-up lost: see `tds_bus::poll`):
//! silent for `crate::supervise::stall_after` while none of its jobs runs, it is told to
//! stop (dropped if it does not), logged at WARN and replaced the same way.
//!
//! Acknowledgements can also be lost without the worker ending: Redis restarted from an
//! append-only file that missed its last second. Those jobs would stay "running" under a
//! live worker forever, so a Redis restart (its `run_id` changes) restarts the worker
//! the same way. Handing a job back means doing it again; the writer stores each reading
//! once, so that costs work, never a duplicate.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apalis::prelude::*;
use apalis_core::backend::ext::BackendExt;
use apalis_core::worker::ext::event_listener::EventListenerExt;
use tds_bus::queue::QueueBackend;
use tds_bus::{PollEvery, Readiness, TelemetryBatch, TelemetryQueue};
use tokio::sync::watch;

use crate::pipeline::TelemetryPipeline;
use crate::supervise::{Lifeline, STOP_GRACE};

/// Readiness name of the consumer's queue.
pub const QUEUE_CHECK: &str = "workers.queue";
/// How often the consumer asks Redis whether it restarted.
const RESTART_CHECK_EVERY: Duration = Duration::from_secs(2);
/// A worker ending sooner than this after its start is replaced after a growing pause.
const QUICK_FAILURE: Duration = Duration::from_secs(2);
/// Longest wait between attempts at reaching a queue that is away.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often the worker looks for jobs while none came.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// Handlers running now, counted so a worker is replaced only once they all finished.
#[derive(Clone, Default)]
struct Handling(Arc<AtomicUsize>);

/// Decrements the count when a handler ends, however it ends (cancelled included).
struct Handler(Handling);

impl Handling {
    fn enter(&self) -> Handler {
        self.0.fetch_add(1, Ordering::SeqCst);
        Handler(self.clone())
    }

    fn running(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(
    batch: TelemetryBatch,
    pipeline: Data<TelemetryPipeline>,
    handling: Data<Handling>,
) -> Result<(), BoxDynError> {
    let _handler = handling.enter();
    Ok(pipeline.submit(batch).await?)
}

/// The future apalis hands to the spawner for each job.
type JobFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), BoxDynError>> + Send>>;

/// Spawns one job. A named function with the types spelled out: passing `tokio::spawn`
/// directly trips the compiler's higher-ranked lifetime check ("FnOnce is not general
/// enough") as soon as the worker itself is spawned.
fn spawn_job(
    job: apalis_core::worker::lifecycle::LifecycleFuture<JobFuture>,
) -> tokio::task::JoinHandle<Result<(), BoxDynError>> {
    tokio::spawn(job)
}

/// Why one worker's run ended.
enum Ended {
    /// The process is stopping.
    Shutdown,
    /// Redis restarted under a live worker.
    ServerRestarted,
    /// The worker ended by itself (its backend failed).
    Failed(String),
    /// The worker stopped polling (silent this long, no job running); `dropped` when it
    /// did not stop when told either.
    Stalled {
        /// How long it had been silent.
        silent: Duration,
        /// Whether it was dropped rather than stopped.
        dropped: bool,
    },
}

/// What one consumer needs.
pub struct Consumer {
    /// Worker name in the queue (stable per replica).
    pub name: String,
    /// The queue.
    pub queue: TelemetryQueue,
    /// Where batches are written.
    pub pipeline: TelemetryPipeline,
    /// Jobs handled at once.
    pub concurrency: usize,
    /// Where the queue's state is reported.
    pub readiness: Readiness,
}

impl Consumer {
    /// Consumes the queue until `shutdown` resolves, replacing the worker whenever it ends
    /// or Redis restarts, however long Redis stays away.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let (stop, stopping) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let handling = Handling::default();
        self.readiness.expect(QUEUE_CHECK, true);
        // A worker that fails at once (a queue that answers pings but refuses the worker)
        // is not replaced in a tight loop.
        let mut pause = Duration::ZERO;
        let mut pauses = tds_bus::Backoff::new(Duration::from_millis(100), QUICK_FAILURE);
        loop {
            if pause > Duration::ZERO {
                let mut stopping = stopping.clone();
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stopping.wait_for(|s| *s) => return,
                }
            }
            let Some(released) = self.release(&stopping).await else {
                return;
            };
            let run = self.queue.server_run().await.ok().flatten();
            tracing::info!(worker = %self.name, released, "telemetry worker started");
            self.readiness.up(QUEUE_CHECK);
            let started = tokio::time::Instant::now();
            let ended = self.run_once(&handling, run, stopping.clone()).await;
            pause = if started.elapsed() < QUICK_FAILURE {
                pauses.next_delay()
            } else {
                pauses.reset();
                Duration::ZERO
            };
            match ended {
                Ended::Shutdown => return,
                Ended::ServerRestarted => {
                    tracing::warn!(worker = %self.name, "Redis restarted; replacing the telemetry worker so nothing it held is forgotten");
                }
                Ended::Failed(error) => {
                    self.readiness.down(QUEUE_CHECK, &error);
                    tracing::warn!(worker = %self.name, error, "telemetry worker ended; starting a new one once Redis answers");
                }
                Ended::Stalled { silent, dropped } => {
                    tracing::warn!(
                        worker = %self.name,
                        silent_s = silent.as_secs(),
                        dropped,
                        "telemetry worker stopped polling the queue; starting a new one"
                    );
                }
            }
            // Jobs still being written belong to the ended worker: wait for them, so they
            // are handed back only once nobody holds them.
            let mut waited = false;
            while handling.running() > 0 {
                if !waited {
                    tracing::info!(
                        running = handling.running(),
                        "waiting for the ended worker's writes"
                    );
                    waited = true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Hands back what this worker's name holds, retrying while the queue is away;
    /// `None` when the process stops meanwhile.
    async fn release(&mut self, stopping: &watch::Receiver<bool>) -> Option<usize> {
        let mut backoff = tds_bus::Backoff::new(Duration::from_millis(50), MAX_BACKOFF);
        loop {
            if *stopping.borrow() {
                return None;
            }
            match self.queue.release_worker(&self.name).await {
                Ok(released) => return Some(released),
                Err(e) => self.readiness.down(QUEUE_CHECK, &e.to_string()),
            }
            let mut stopping = stopping.clone();
            tokio::select! {
                _ = tokio::time::sleep(backoff.next_delay()) => {}
                _ = stopping.wait_for(|s| *s) => return None,
            }
        }
    }

    /// Runs one apalis worker until it ends, stalls, the process stops or Redis restarts.
    async fn run_once(
        &self,
        handling: &Handling,
        run: Option<String>,
        stopping: watch::Receiver<bool>,
    ) -> Ended {
        let lifeline = Lifeline::new(crate::supervise::stall_after(self.queue.heartbeat()));
        let (restarted_tx, restarted) = watch::channel(false);
        let watcher = run.map(|run| {
            let mut queue = self.queue.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RESTART_CHECK_EVERY).await;
                    // Unreachable: the worker fails by itself and is replaced.
                    if let Ok(Some(now)) = queue.server_run().await
                        && now != run
                    {
                        let _ = restarted_tx.send(true);
                        return;
                    }
                }
            })
        });
        let why = Arc::new(std::sync::Mutex::new(None::<Ended>));
        let set_why = why.clone();
        let watch = lifeline.clone();
        let until = move |ctx: WorkerContext| {
            let (mut stopping, mut restarted) = (stopping.clone(), restarted.clone());
            let (set_why, lifeline) = (set_why.clone(), watch.clone());
            async move {
                let _watch = lifeline.watch(ctx.clone());
                let reason = tokio::select! {
                    _ = stopping.wait_for(|s| *s) => Ended::Shutdown,
                    // No watcher (SQLite): the sender is gone and this branch never fires.
                    Ok(_) = restarted.wait_for(|r| *r) => Ended::ServerRestarted,
                    _ = lifeline.exited() => Ended::Failed("the worker stopped polling the queue".into()),
                    silent = lifeline.stalled() => Ended::Stalled { silent, dropped: false },
                };
                if let Ok(mut why) = set_why.lock() {
                    why.get_or_insert(reason);
                }
                // Stopping a worker that already ended is refused; nothing is left to stop.
                let _ = ctx.stop();
                Ok(())
            }
        };
        // The builder chain is the same for both storages, but their types differ.
        macro_rules! worker_on {
            ($storage:expr) => {
                WorkerBuilder::new(self.name.as_str())
                    .backend($storage.poll_with_strategy(PollEvery::new(POLL_EVERY)))
                    .data(self.pipeline.clone())
                    .data(handling.clone())
                    .concurrency(self.concurrency)
                    .parallelize(spawn_job)
                    .on_event(lifeline.listener())
                    .build(handle)
                    .run_with_ctx(until)
            };
        }
        let worker = async {
            match self.queue.backend() {
                QueueBackend::Redis(storage) => worker_on!(storage.clone()).await,
                QueueBackend::Sqlite(storage) => worker_on!(storage.clone()).await,
            }
        };
        // A stalled worker told to stop wakes, hands back what it fetched and ends; one
        // that does not within the grace is dropped (its running jobs finish on their own).
        let result = tokio::select! {
            result = worker => Some(result),
            _ = lifeline.abandoned(STOP_GRACE) => None,
        };
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        let decided = why.lock().ok().and_then(|mut w| w.take());
        match (result, decided) {
            (None, Some(Ended::Stalled { silent, .. })) => Ended::Stalled {
                silent,
                dropped: true,
            },
            (None, _) => Ended::Failed("the worker did not stop when told".into()),
            (Some(_), Some(stalled @ Ended::Stalled { .. })) => stalled,
            (Some(Err(e)), _) => Ended::Failed(e.to_string()),
            (Some(Ok(())), Some(reason)) => reason,
            (Some(Ok(())), None) => Ended::Failed("the worker ended".into()),
        }
    }
}

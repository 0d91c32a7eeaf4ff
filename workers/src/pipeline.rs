//! From the queue to the writer. Each apalis job is handed to one writer task that
//! combines whatever jobs are waiting into one transaction, so the database sees few,
//! large writes; a job is acknowledged to the queue only after its write committed.

use std::time::Duration;

use apalis::prelude::*;
use chrono::Utc;
use tds_bus::queue::QueueBackend;
use tds_bus::{TelemetryBatch, TelemetryQueue};
use tokio::sync::{mpsc, oneshot};

use crate::telemetry::TelemetryWriter;

/// Most messages combined into one write.
const MAX_MESSAGES_PER_WRITE: usize = 2_000;
/// Attempts at writing a batch alone before it is recorded as dead letters instead.
const ATTEMPTS_BEFORE_REFUSING: u32 = 3;

struct Pending {
    batch: TelemetryBatch,
    done: oneshot::Sender<()>,
}

/// Hands batches to the writer task.
#[derive(Clone)]
pub struct TelemetryPipeline {
    tx: mpsc::Sender<Pending>,
}

/// The writer task is gone (shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the telemetry writer has stopped")]
pub struct PipelineClosed;

impl TelemetryPipeline {
    /// Starts `writers` writer tasks. Each holds its own database connection, so writes
    /// proceed in parallel; the writer locks the device rows it touches, so two writes of
    /// the same device still happen one after the other.
    pub fn start(writer: TelemetryWriter, writers: usize) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..writers.max(1) {
            tokio::spawn(run(writer.clone(), rx.clone()));
        }
        Self { tx }
    }

    /// Writes a batch; returns once it is committed (as readings or dead letters).
    pub async fn submit(&self, batch: TelemetryBatch) -> Result<(), PipelineClosed> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { batch, done })
            .await
            .map_err(|_| PipelineClosed)?;
        wait.await.map_err(|_| PipelineClosed)
    }
}

async fn run(
    writer: TelemetryWriter,
    rx: std::sync::Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
) {
    loop {
        let (pending, messages) = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut messages = first.batch.messages.len();
            let mut pending = vec![first];
            // Take what is already waiting; never wait for more (latency stays low when idle).
            while messages < MAX_MESSAGES_PER_WRITE {
                match rx.try_recv() {
                    Ok(p) => {
                        messages += p.batch.messages.len();
                        pending.push(p);
                    }
                    Err(_) => break,
                }
            }
            (pending, messages)
        };
        let batches: Vec<TelemetryBatch> = pending.iter().map(|p| p.batch.clone()).collect();
        let started = std::time::Instant::now();
        write_all(&writer, &batches).await;
        tracing::debug!(
            jobs = batches.len(),
            messages,
            write_ms = started.elapsed().as_millis() as u64,
            "write committed"
        );
        for p in pending {
            let _ = p.done.send(());
        }
    }
}

/// Writes until done. A combined write that fails is split so one bad batch cannot hold
/// up the others; a batch that fails alone while the database still takes dead letters is
/// recorded as dead letters; while the database is down, everything waits and retries.
async fn write_all(writer: &TelemetryWriter, batches: &[TelemetryBatch]) {
    match writer.write(batches, Utc::now()).await {
        Ok(report) => {
            tracing::debug!(?report, "telemetry written");
            return;
        }
        Err(e) if batches.len() > 1 => {
            tracing::warn!(error = %e, "combined write failed; writing batches one by one")
        }
        Err(e) => tracing::warn!(error = %e, "write failed"),
    }
    for batch in batches {
        let single = std::slice::from_ref(batch);
        let mut backoff = Duration::from_millis(100);
        let mut attempts = 1;
        loop {
            match writer.write(single, Utc::now()).await {
                Ok(_) => break,
                Err(e) if attempts >= ATTEMPTS_BEFORE_REFUSING => {
                    if writer
                        .refuse(single, &e.to_string(), Utc::now())
                        .await
                        .is_ok()
                    {
                        tracing::error!(error = %e, "batch recorded as dead letters after repeated failures");
                        break;
                    }
                    tracing::warn!(error = %e, "database unavailable; retrying");
                }
                Err(e) => tracing::warn!(error = %e, attempts, "write failed; retrying"),
            }
            attempts += 1;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

async fn handle(
    batch: TelemetryBatch,
    pipeline: Data<TelemetryPipeline>,
) -> Result<(), BoxDynError> {
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

/// Consumes the telemetry queue until `shutdown` resolves.
pub async fn run_worker(
    name: &str,
    queue: &TelemetryQueue,
    pipeline: TelemetryPipeline,
    concurrency: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    let until = async move {
        shutdown.await;
        Ok::<(), WorkerError>(())
    };
    // The builder chain is the same for both storages, but their types differ.
    macro_rules! worker_on {
        ($storage:expr) => {
            WorkerBuilder::new(name)
                .backend($storage.poll_with_interval(Duration::from_millis(10)))
                .data(pipeline)
                .concurrency(concurrency)
                .parallelize(spawn_job)
                .build(handle)
                .run_until(until)
                .await
        };
    }
    match queue.backend() {
        QueueBackend::Redis(storage) => worker_on!(storage.clone()),
        QueueBackend::Sqlite(storage) => worker_on!(storage.clone()),
    }
}

//! From the queue to the writer. Each apalis job is handed to one writer task that
//! combines whatever jobs are waiting into one transaction, so the database sees few,
//! large writes; a job is acknowledged to the queue only after its write committed.
//!
//! No message poisons the others. The parser keeps what the database cannot store (a NUL
//! in a string, a value that would overflow a sum) out of the write, so a refused write
//! is rare and costs nothing on the way when it does not happen. When the database does
//! refuse a write, the messages are written again in halves, and halves of the half that
//! fails, until the one message it refuses is alone: that message becomes a
//! `STORAGE_REFUSED` dead letter and every other one is stored. While the database is
//! unreachable nothing is refused: the write waits and tries again.

use std::time::Duration;

use chrono::Utc;
use tds_bus::{Backoff, InboundMessage, Readiness, TelemetryBatch};
use tds_domain::telemetry::{Reason, Rejection};
use tokio::sync::{mpsc, oneshot};

use crate::storage::{self, Failure};
use crate::telemetry::TelemetryWriter;

/// Most messages combined into one write.
const MAX_MESSAGES_PER_WRITE: usize = 2_000;
/// Attempts at writing a message alone (a race may refuse it once) before it is recorded
/// as a dead letter instead; also the attempts at recording that dead letter.
const ATTEMPTS_BEFORE_REFUSING: u32 = 3;

/// Readiness name of the writers' database.
pub const DATABASE_CHECK: &str = "workers.database";

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
    pub fn start(writer: TelemetryWriter, writers: usize, readiness: Readiness) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        readiness.expect(DATABASE_CHECK, true);
        // An idle platform must read ready: ask the database now rather than at the
        // first batch, which may be minutes away.
        let (db, probe) = (writer.db().clone(), readiness.clone());
        tokio::spawn(async move {
            let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
            while let Err(e) = tds_domain::db::ping(&db).await {
                probe.down(DATABASE_CHECK, &e.to_string());
                tokio::time::sleep(backoff.next_delay()).await;
            }
            probe.up(DATABASE_CHECK);
        });
        for _ in 0..writers.max(1) {
            tokio::spawn(run(writer.clone(), rx.clone(), readiness.clone()));
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
    readiness: Readiness,
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
        write_all(&writer, &batches, &readiness).await;
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

/// Writes until every message is stored or dead-lettered. A refused write is split in
/// halves (see the module comment); a message refused alone, after
/// [`ATTEMPTS_BEFORE_REFUSING`] attempts, becomes a dead letter.
async fn write_all(writer: &TelemetryWriter, batches: &[TelemetryBatch], readiness: &Readiness) {
    let messages: Vec<&InboundMessage> = batches.iter().flat_map(|b| &b.messages).collect();
    // Parts still to write, the next one last.
    let mut parts: Vec<&[&InboundMessage]> = vec![&messages];
    while let Some(part) = parts.pop() {
        let refused = match write_answered(writer, part, readiness).await {
            Ok(()) => continue,
            Err(refused) => refused,
        };
        if let [message] = part {
            let mut attempts = 1;
            let mut last = refused;
            while attempts < ATTEMPTS_BEFORE_REFUSING {
                tokio::time::sleep(Duration::from_millis(100) * attempts).await;
                match write_answered(writer, part, readiness).await {
                    Ok(()) => break,
                    Err(refused) => last = refused,
                }
                attempts += 1;
            }
            if attempts == ATTEMPTS_BEFORE_REFUSING {
                dead_letter(writer, message, &last).await;
            }
        } else {
            tracing::warn!(
                messages = part.len(),
                ?refused,
                "write refused; writing it in halves to find the message refused"
            );
            let (first, second) = part.split_at(part.len() / 2);
            parts.push(second);
            parts.push(first);
        }
    }
}

/// Writes `messages` in one transaction, waiting for the database while it is
/// unreachable; `Err` when the database refused the write.
async fn write_answered(
    writer: &TelemetryWriter,
    messages: &[&InboundMessage],
    readiness: &Readiness,
) -> Result<(), Failure> {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
    loop {
        match writer.write_messages(messages, Utc::now()).await {
            Ok(report) => {
                readiness.up(DATABASE_CHECK);
                tracing::debug!(?report, "telemetry written");
                return Ok(());
            }
            Err(e) => match storage::classify(&e) {
                Failure::Unavailable => {
                    readiness.down(DATABASE_CHECK, &e.to_string());
                    let retry_in = backoff.next_delay();
                    tracing::debug!(error = %e, ?retry_in, "database unavailable; retrying");
                    tokio::time::sleep(retry_in).await;
                }
                refused => {
                    readiness.up(DATABASE_CHECK);
                    tracing::warn!(error = %e, messages = messages.len(), "write refused");
                    return Err(refused);
                }
            },
        }
    }
}

/// Records the one message the database refuses as its own dead letter.
async fn dead_letter(writer: &TelemetryWriter, message: &InboundMessage, refused: &Failure) {
    let rejection = Rejection {
        reason: Reason::StorageRefused,
        detail: format!(
            "{} after {ATTEMPTS_BEFORE_REFUSING} attempts; the other messages of its batch were stored",
            refused.describe()
        ),
    };
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    let mut refusals = 0;
    loop {
        let Err(e) = writer
            .refuse(std::slice::from_ref(&message), &rejection, Utc::now())
            .await
        else {
            tracing::error!(topic = %message.topic, ?refused, "message refused by the database; kept as a dead letter");
            return;
        };
        if storage::classify(&e) != Failure::Unavailable {
            refusals += 1;
            if refusals >= ATTEMPTS_BEFORE_REFUSING {
                // Cannot happen while dead letters hold bytes and storable text; if it
                // does, the log is the last place the message exists.
                tracing::error!(error = %e, topic = %message.topic, bytes = message.payload.len(), "dead letter refused too; message dropped");
                return;
            }
        }
        backoff.wait().await;
    }
}

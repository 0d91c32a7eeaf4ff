//! Keeping a queue worker alive: noticing that it ended or stopped polling, saying so at
//! WARN, and starting a new one.
//!
//! apalis ends a worker for good when its backend fails once, and its monitor restarts
//! only a worker that ended with an error: one whose poll loop ended cleanly is "done".
//! A worker may also stop polling without ending at all (a wake-up lost, see
//! `tds_bus::poll`): it takes no job again, stops heartbeating, and says nothing, while
//! the process lives on taking in work nobody does. So every queue worker runs under a
//! [`Lifeline`]: anything the worker emits (heartbeats, finished jobs) is a sign of life,
//! and a worker silent for [`stall_after`] while none of its jobs runs has stalled. A
//! stalled worker is told to stop (which wakes it: it hands back what it fetched and
//! acknowledges what it finished) and dropped if it does not within [`STOP_GRACE`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{Event, WorkerContext, WorkerError};
use futures::future::BoxFuture;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// Heartbeats a worker may miss, with none of its jobs running, before it counts as
/// stalled. A loaded machine delays a heartbeat by seconds, not by ten of them.
pub const STALL_HEARTBEATS: u32 = 10;
/// The shortest time a worker may stay silent (a test queue may heartbeat very often).
const MIN_STALL: Duration = Duration::from_secs(10);
/// How long a stalled worker told to stop gets before it is dropped.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// A worker ending sooner than this after its start is replaced after a growing pause.
const QUICK_END: Duration = Duration::from_secs(2);

/// How long a worker of a queue heartbeating every `heartbeat` may stay silent.
pub fn stall_after(heartbeat: Duration) -> Duration {
    (heartbeat * STALL_HEARTBEATS).max(MIN_STALL)
}

/// Why a supervised worker's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The process is stopping.
    Shutdown,
    /// The worker ended by itself (its backend failed, or its poll loop ended).
    Exited,
    /// The worker went silent for this long with no job running.
    Stalled(Duration),
}

/// Watches one run of a worker: its signs of life and its end.
#[derive(Clone)]
pub struct Lifeline {
    inner: Arc<Inner>,
}

struct Inner {
    stall_after: Duration,
    last_sign: Mutex<Instant>,
    exited: Notify,
    /// How long the worker had been silent when it was found stalled.
    stalled: watch::Sender<Option<Duration>>,
    why: Mutex<Option<End>>,
}

/// The task watching a worker for a stall; ends with its guard.
pub struct StallWatch(tokio::task::JoinHandle<()>);

impl Drop for StallWatch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Lifeline {
    /// A lifeline for a worker that may stay silent for `stall_after`.
    pub fn new(stall_after: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                stall_after,
                last_sign: Mutex::new(Instant::now()),
                exited: Notify::new(),
                stalled: watch::channel(None).0,
                why: Mutex::new(None),
            }),
        }
    }

    /// The worker's event listener (`.on_event(…)`): every event but its exit is emitted
    /// from its poll loop, so it is a sign of life.
    pub fn listener(&self) -> impl Fn(&WorkerContext, &Event) + Send + Sync + 'static {
        let inner = self.inner.clone();
        move |_, event| match event {
            Event::Exit => inner.exited.notify_one(),
            _ => {
                if let Ok(mut last) = inner.last_sign.lock() {
                    *last = Instant::now();
                }
            }
        }
    }

    /// Resolves once the worker emitted its exit.
    pub async fn exited(&self) {
        self.inner.exited.notified().await;
    }

    /// Watches `worker` from a task of its own (a timer in the worker's own task would
    /// wake it, and hide the very stall it looks for) until the guard is dropped: a
    /// worker with no sign of life for the stall limit while none of its jobs runs (a job
    /// running long is busy, not stalled) is reported to [`Lifeline::stalled`].
    pub fn watch(&self, worker: WorkerContext) -> StallWatch {
        let inner = self.inner.clone();
        StallWatch(tokio::spawn(async move {
            let limit = inner.stall_after;
            loop {
                let silent = inner
                    .last_sign
                    .lock()
                    .map(|last| last.elapsed())
                    .unwrap_or_default();
                if silent >= limit && worker.task_count() == 0 {
                    inner.stalled.send_replace(Some(silent));
                    return;
                }
                let next = limit.saturating_sub(silent).max(limit / 4);
                tokio::time::sleep(next.max(Duration::from_millis(50))).await;
            }
        }))
    }

    /// Resolves once the worker was found stalled; returns how long it had been silent.
    pub async fn stalled(&self) -> Duration {
        let mut stalled = self.inner.stalled.subscribe();
        // The sender lives as long as `self`: the wait ends with a value.
        let silent = stalled
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|s| *s);
        silent.unwrap_or_default()
    }

    /// Resolves `grace` after the worker was found stalled: time to drop a worker that
    /// does not stop when told.
    pub async fn abandoned(&self, grace: Duration) {
        self.stalled().await;
        tokio::time::sleep(grace).await;
    }

    /// Records why the run ends (the first reason given wins); returns the reason kept.
    pub fn decide(&self, why: End) -> End {
        match self.inner.why.lock() {
            Ok(mut kept) => *kept.get_or_insert(why),
            Err(_) => why,
        }
    }

    /// Why the run ended, once decided.
    pub fn why(&self) -> Option<End> {
        self.inner.why.lock().ok().and_then(|why| *why)
    }

    /// The end condition of the worker's run (`run_with_ctx`): the process stops, the
    /// worker exits or it stalls. Records why and tells the worker to stop.
    pub fn until(
        &self,
        stopping: watch::Receiver<bool>,
    ) -> impl FnMut(WorkerContext) -> BoxFuture<'static, Result<(), WorkerError>> + Send + 'static
    {
        let lifeline = self.clone();
        move |worker: WorkerContext| {
            let (lifeline, mut stopping) = (lifeline.clone(), stopping.clone());
            Box::pin(async move {
                let _watch = lifeline.watch(worker.clone());
                let why = tokio::select! {
                    _ = stopping.wait_for(|s| *s) => End::Shutdown,
                    _ = lifeline.exited() => End::Exited,
                    silent = lifeline.stalled() => End::Stalled(silent),
                };
                lifeline.decide(why);
                // Stopping a worker that already ended is refused; nothing is left to stop.
                let _ = worker.stop();
                Ok(())
            })
        }
    }
}

/// Runs the worker `start` makes (given its restart count and its lifeline, it returns
/// the worker's run, `run_with_ctx(lifeline.until(…))`) until `stopping` turns true,
/// starting a new one whenever it ends or stalls, with a WARN saying why. A worker
/// ending right after its start (its queue is away) is replaced after a growing pause.
pub async fn supervise<F>(
    name: String,
    stall_after: Duration,
    stopping: watch::Receiver<bool>,
    mut start: F,
) where
    F: FnMut(usize, &Lifeline) -> BoxFuture<'static, Result<(), WorkerError>>,
{
    let mut pauses = tds_bus::Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut pause = Duration::ZERO;
    for restarts in 0usize.. {
        if pause > Duration::ZERO {
            let mut stopping = stopping.clone();
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
        }
        if *stopping.borrow() {
            return;
        }
        let lifeline = Lifeline::new(stall_after);
        let started = Instant::now();
        let run = start(restarts, &lifeline);
        let result = tokio::select! {
            result = run => Some(result),
            _ = lifeline.abandoned(STOP_GRACE) => None,
        };
        let why = lifeline.decide(End::Exited);
        match (why, result) {
            (End::Shutdown, _) => return,
            (End::Stalled(silent), Some(_)) => tracing::warn!(
                worker = %name,
                silent_s = silent.as_secs(),
                "job worker stopped polling its queue; starting a new one"
            ),
            (End::Stalled(silent), None) => tracing::warn!(
                worker = %name,
                silent_s = silent.as_secs(),
                "job worker stopped polling its queue and did not stop when told; starting a new one"
            ),
            (End::Exited, Some(Err(error))) => {
                tracing::warn!(worker = %name, %error, "job worker failed; starting it again")
            }
            (End::Exited, _) => {
                tracing::warn!(worker = %name, "job worker ended by itself; starting it again")
            }
        }
        pause = if started.elapsed() < QUICK_END {
            pauses.next_delay()
        } else {
            pauses.reset();
            Duration::ZERO
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stall_limit_is_ten_heartbeats_and_never_below_ten_seconds() {
        assert_eq!(stall_after(Duration::from_secs(2)), Duration::from_secs(20));
        assert_eq!(stall_after(Duration::from_millis(100)), MIN_STALL);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_idle_worker_is_stalled_and_a_lively_one_is_not() {
        let worker = WorkerContext::new("w");
        let lifeline = Lifeline::new(Duration::from_millis(300));
        let listener = lifeline.listener();
        let _watch = lifeline.watch(worker.clone());
        // Signs of life every 50 ms for a second: never stalled meanwhile.
        let lively = async {
            for _ in 0..20 {
                listener(&worker, &Event::HeartBeat);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            _ = lively => {}
            _ = lifeline.stalled() => panic!("a worker heartbeating is not stalled"),
        }
        // Then silence: stalled after the limit.
        let silent = tokio::time::timeout(Duration::from_secs(10), lifeline.stalled())
            .await
            .expect("a silent worker is found stalled");
        assert!(silent >= Duration::from_millis(300));
        assert_eq!(lifeline.decide(End::Stalled(silent)), End::Stalled(silent));
        assert_eq!(lifeline.decide(End::Exited), End::Stalled(silent));
    }

    /// A worker run that ends at once the first time, ignores everything (never ends,
    /// never emits) the second time, and runs normally afterwards.
    fn flaky_worker(
        starts: Arc<std::sync::atomic::AtomicUsize>,
        stopping: watch::Receiver<bool>,
    ) -> impl FnMut(usize, &Lifeline) -> BoxFuture<'static, Result<(), WorkerError>> {
        use std::sync::atomic::Ordering;
        move |_, lifeline: &Lifeline| {
            let start = starts.fetch_add(1, Ordering::SeqCst);
            let mut until = lifeline.until(stopping.clone());
            let listener = lifeline.listener();
            Box::pin(async move {
                let worker = WorkerContext::new("flaky");
                match start {
                    0 => Ok(()),
                    1 => {
                        let _ = until(worker).await;
                        std::future::pending().await
                    }
                    _ => {
                        let alive = async {
                            loop {
                                listener(&worker, &Event::HeartBeat);
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        };
                        tokio::select! {
                            _ = alive => Ok(()),
                            result = until(worker.clone()) => result,
                        }
                    }
                }
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_that_ends_or_stalls_is_started_again_until_shutdown() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let starts = Arc::new(AtomicUsize::new(0));
        let (stop, stopping) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(
            "flaky".into(),
            Duration::from_millis(300),
            stopping.clone(),
            flaky_worker(starts.clone(), stopping),
        ));
        // Ended at once, then stalled (and dropped, as it ignores the stop), then started
        // a third time.
        let deadline = tokio::time::Instant::now() + STOP_GRACE + Duration::from_secs(20);
        while starts.load(Ordering::SeqCst) < 3 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "started {} times",
                starts.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(10), supervisor)
            .await
            .expect("the supervisor stops with the process")
            .unwrap();
        assert_eq!(
            starts.load(Ordering::SeqCst),
            3,
            "a lively worker is left running"
        );
    }
}

//! How a queue worker is woken to look for jobs.
//!
//! A worker of apalis's `Persisted` storages (the SQLite queue, and Redis) asks its
//! storage for jobs when it is woken; after a fetch that found nothing it sleeps until
//! something wakes it again. Only two timers do: the poll interval and the heartbeat.
//! apalis's own interval strategy (`poll_with_interval`) replaces a timer that fired by a
//! new one *without polling it*, so the new timer wakes nobody; and the heartbeat timer
//! is only looked at between fetches, so when it fires during a fetch its wake-up is
//! spent. A fetch slower than the interval that spans a heartbeat (a loaded machine, a
//! queue file another connection holds) therefore ends with no timer left to wake the
//! worker: it never polls again, never heartbeats, and says nothing. [`PollEvery`] keeps
//! its timer armed after every poll, so the worker always wakes within one interval.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis_core::backend::ext::poll_strategy::{PollSnapshot, PollStrategy};

/// Wakes a worker every `interval`; after every poll its timer is armed again and
/// registered with the polling task, so a worker is never left without a wake-up.
#[derive(Debug)]
pub struct PollEvery {
    interval: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl PollEvery {
    /// Wakes the worker every `interval` (at least a millisecond).
    pub fn new(interval: Duration) -> Self {
        Self {
            interval: interval.max(Duration::from_millis(1)),
            timer: None,
        }
    }

    /// The time between two wake-ups.
    pub fn interval(&self) -> Duration {
        self.interval
    }
}

impl Clone for PollEvery {
    /// A clone gets a timer of its own on its first poll (a timer wakes one task).
    fn clone(&self) -> Self {
        Self::new(self.interval)
    }
}

impl PollStrategy for PollEvery {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let interval = self.interval;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(interval)));
        let mut fired = false;
        // Returns only with the timer pending, so it holds this task's waker: a fired
        // timer is armed again and polled (leaving the new deadline unpolled, as apalis's
        // interval does, is what loses the wake-up), again if this thread was descheduled
        // past the new deadline meanwhile.
        while timer.as_mut().poll(cx).is_ready() {
            fired = true;
            timer.as_mut().reset(tokio::time::Instant::now() + interval);
        }
        if fired {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use apalis_core::backend::ext::poll_strategy::IntervalStrategy;

    use super::*;

    /// Polls `strategy` as a worker does after fetches that found nothing: whether its
    /// timer fired or not, the poll ends `Pending`, so only the timer can wake the task
    /// again. True when the timer fired `times` times within `within`.
    async fn keeps_waking(strategy: &mut impl PollStrategy, times: u32, within: Duration) -> bool {
        let snapshot = PollSnapshot::default();
        let mut fired = 0;
        let woken = poll_fn(|cx| {
            if strategy.poll_drive(cx, &snapshot).is_ready() {
                fired += 1;
            }
            if fired >= times {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        tokio::time::timeout(within, woken).await.is_ok()
    }

    #[tokio::test]
    async fn apalis_interval_loses_its_wake_up_once_it_fired() {
        // Why `PollEvery` exists: if apalis's interval wakes the worker again by itself,
        // this fails and `PollEvery` can give way to `poll_with_interval`.
        let mut interval = IntervalStrategy::new(Duration::from_millis(10));
        assert!(!keeps_waking(&mut interval, 3, Duration::from_millis(500)).await);
    }

    #[tokio::test]
    async fn poll_every_keeps_waking_the_worker() {
        let mut every = PollEvery::new(Duration::from_millis(10));
        assert!(keeps_waking(&mut every, 3, Duration::from_secs(10)).await);
    }
}

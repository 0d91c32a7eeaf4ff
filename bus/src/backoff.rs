//! The platform's one doubling backoff: every loop that waits for a dependency to come
//! back, and every job retried later, takes its delays from here.

use std::time::Duration;

/// Delays that double from `first` up to `most`; [`Backoff::reset`] after a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    most: Duration,
    next: Duration,
}

impl Backoff {
    /// Delays starting at `first`, never above `most`.
    pub const fn new(first: Duration, most: Duration) -> Self {
        Self {
            first,
            most,
            next: first,
        }
    }

    /// The delay to wait now; the following one is twice as long (up to the cap).
    pub fn next_delay(&mut self) -> Duration {
        let now = self.next.min(self.most);
        self.next = now.saturating_mul(2).min(self.most);
        now
    }

    /// Starts again from the first delay (the dependency answered).
    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// Sleeps for the next delay.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.next_delay()).await;
    }

    /// The delay after `failures` failed attempts (1 → `first`, 2 → twice that …), for a
    /// retry scheduled elsewhere (a job pushed back to its queue) rather than waited here.
    pub fn after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.first.saturating_mul(1u32 << doublings).min(self.most)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(50), ms(300));
        let seen: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_eq!(seen, [ms(50), ms(100), ms(200), ms(300), ms(300)]);
        b.reset();
        assert_eq!(b.next_delay(), ms(50));
        assert_eq!(
            (1..=6).map(|n| b.after(n)).collect::<Vec<_>>(),
            [ms(50), ms(100), ms(200), ms(300), ms(300), ms(300)]
        );
        assert_eq!(b.after(0), ms(50));
        assert_eq!(b.after(u32::MAX), ms(300));
    }
}

//! Messages a handler could not handle yet, waiting for their next attempt without
//! holding up anyone else's: kept per key (a gateway) in arrival order, so a gateway's
//! later message never overtakes an earlier one, while other gateways go on.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// One message waiting, with what its attempts so far tell.
#[derive(Debug)]
pub struct Waiting<T> {
    /// The message.
    pub item: T,
    /// Attempts that failed because of the message (they count toward giving up).
    pub attempts: u32,
    /// Attempts that failed, whatever the cause (they set the backoff).
    pub tries: u32,
    /// When the next attempt is due.
    pub due: Instant,
}

impl<T> Waiting<T> {
    /// A message not tried yet, due now.
    pub fn new(item: T) -> Self {
        Self {
            item,
            attempts: 0,
            tries: 0,
            due: Instant::now(),
        }
    }

    /// Records a failed try (`counts`: the message's fault) and sets the next attempt
    /// after a backoff doubling from `first` up to `most`.
    pub fn failed(&mut self, counts: bool, first: Duration, most: Duration) {
        self.attempts += u32::from(counts);
        self.tries += 1;
        self.due = Instant::now() + tds_bus::Backoff::new(first, most).after(self.tries);
    }
}

/// Messages waiting, per key, oldest first.
#[derive(Debug)]
pub struct Backlog<T> {
    queues: BTreeMap<String, VecDeque<Waiting<T>>>,
}

impl<T> Default for Backlog<T> {
    fn default() -> Self {
        Self {
            queues: BTreeMap::new(),
        }
    }
}

impl<T> Backlog<T> {
    /// Whether `key` has messages waiting: a newer one of the same key waits behind them.
    pub fn holds(&self, key: &str) -> bool {
        self.queues.contains_key(key)
    }

    /// Messages waiting, all keys together.
    pub fn len(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// Puts a new message of `key` behind those waiting.
    pub fn push_back(&mut self, key: String, item: T) {
        self.queues
            .entry(key)
            .or_default()
            .push_back(Waiting::new(item));
    }

    /// Puts a message just tried back at the head of `key`, for its next attempt.
    pub fn retry(&mut self, key: String, waiting: Waiting<T>) {
        self.queues.entry(key).or_default().push_front(waiting);
    }

    /// When the earliest head is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.queues
            .values()
            .filter_map(|q| q.front().map(|w| w.due))
            .min()
    }

    /// Takes a head that is due at `now` (the next of its key becomes the head).
    pub fn take_due(&mut self, now: Instant) -> Option<(String, Waiting<T>)> {
        let key = self
            .queues
            .iter()
            .find(|(_, q)| q.front().is_some_and(|w| w.due <= now))
            .map(|(k, _)| k.clone())?;
        let queue = self.queues.get_mut(&key)?;
        let waiting = queue.pop_front()?;
        if queue.is_empty() {
            self.queues.remove(&key);
        }
        Some((key, waiting))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_keeps_its_order_and_others_pass() {
        let mut backlog = Backlog::default();
        let mut first = Waiting::new("a1");
        first.failed(true, Duration::from_secs(60), Duration::from_secs(60));
        backlog.retry("a".into(), first);
        backlog.push_back("a".into(), "a2");
        backlog.push_back("b".into(), "b1");
        assert!(backlog.holds("a") && backlog.holds("b"));
        assert_eq!(backlog.len(), 3);
        // a1 waits for its backoff, a2 behind it; b1 goes.
        let now = Instant::now();
        let (key, w) = backlog.take_due(now).unwrap();
        assert_eq!((key.as_str(), w.item), ("b", "b1"));
        assert!(backlog.take_due(now).is_none());
        assert!(!backlog.holds("b"));
        let later = backlog.next_due().unwrap();
        assert!(later > now);
        assert_eq!(backlog.take_due(later).unwrap().1.item, "a1");
        assert_eq!(backlog.take_due(later).unwrap().1.item, "a2");
        assert!(backlog.is_empty());
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_only_the_messages_faults_count() {
        let mut w = Waiting::new(());
        let (first, most) = (Duration::from_millis(100), Duration::from_millis(350));
        let mut waits = Vec::new();
        for counts in [true, false, true, true] {
            let before = Instant::now();
            w.failed(counts, first, most);
            waits.push((w.due - before).as_millis() / 50 * 50);
        }
        assert_eq!(w.attempts, 3);
        assert_eq!(w.tries, 4);
        assert_eq!(waits, [100, 200, 350, 350]);
    }
}

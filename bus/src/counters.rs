//! Fixed-window counters (sign-in attempts): in Redis, so every api replica counts the
//! same attempts, or in this process when there is no Redis (one process only).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::events::BusError;

/// The count of a window after one more hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    /// Hits in the current window, this one included.
    pub count: u64,
    /// Time until the window ends and the count starts again.
    pub resets_in: Duration,
}

/// Counters shared by all replicas (Redis) or local to this process.
#[derive(Clone)]
pub struct WindowCounters {
    store: Store,
}

#[derive(Clone)]
enum Store {
    Local(Arc<Mutex<HashMap<String, (u64, Instant)>>>),
    Redis {
        conn: redis::aio::ConnectionManager,
        prefix: String,
    },
}

/// Local entries above which expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

// One round trip, atomic: a window's expiry is set with its first hit and never
// extended, and a key that somehow lost its expiry gets one back.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

// Gives a hit back without creating a key (a bare DECR would make one with no expiry).
const UNDO: &str = r"
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
";

impl Default for WindowCounters {
    fn default() -> Self {
        Self::in_process()
    }
}

impl WindowCounters {
    /// Counters in this process's memory.
    pub fn in_process() -> Self {
        Self {
            store: Store::Local(Arc::default()),
        }
    }

    /// Counters in Redis under keys starting with `prefix:`.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, BusError> {
        let conn = crate::queue::redis_connection(url)
            .await
            .map_err(|e| BusError::new(format!("cannot reach Redis at {url}: {e}")))?;
        Ok(Self {
            store: Store::Redis {
                conn,
                prefix: prefix.to_owned(),
            },
        })
    }

    /// Counts one hit of `key` in its window of length `window` (started by its first hit).
    pub async fn hit(&self, key: &str, window: Duration) -> Result<Hits, BusError> {
        match &self.store {
            Store::Local(map) => {
                let now = Instant::now();
                let mut map = map.lock().map_err(|_| BusError::new("counters poisoned"))?;
                if map.len() > SWEEP_ABOVE {
                    map.retain(|_, (_, ends)| *ends > now);
                }
                let entry = map.entry(key.to_owned()).or_insert((0, now + window));
                if entry.1 <= now {
                    *entry = (0, now + window);
                }
                entry.0 += 1;
                Ok(Hits {
                    count: entry.0,
                    resets_in: entry.1 - now,
                })
            }
            Store::Redis { conn, prefix } => {
                let window_ms = window.as_millis().max(1) as u64;
                let (count, ttl_ms): (u64, i64) = redis::Script::new(HIT)
                    .key(format!("{prefix}:{key}"))
                    .arg(window_ms)
                    .invoke_async(&mut conn.clone())
                    .await
                    .map_err(|e| BusError::new(e.to_string()))?;
                Ok(Hits {
                    count,
                    resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
                })
            }
        }
    }

    /// Gives one hit of `key` back (an attempt that turned out fine).
    pub async fn undo(&self, key: &str) -> Result<(), BusError> {
        match &self.store {
            Store::Local(map) => {
                let mut map = map.lock().map_err(|_| BusError::new("counters poisoned"))?;
                if let Some(entry) = map.get_mut(key) {
                    entry.0 = entry.0.saturating_sub(1);
                }
                Ok(())
            }
            Store::Redis { conn, prefix } => redis::Script::new(UNDO)
                .key(format!("{prefix}:{key}"))
                .invoke_async::<i64>(&mut conn.clone())
                .await
                .map(|_| ())
                .map_err(|e| BusError::new(e.to_string())),
        }
    }
}

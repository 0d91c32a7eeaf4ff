//! Periodic jobs as apalis workers: a clock that ticks every so often, for the
//! maintenance kinds of the job registry (`tds_bus::JobKind`) that run on a period.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis_cron::{CronScheduler, Schedule, Tick};

/// Ticks every `period` (whole seconds, at least one), the first one within a second.
#[derive(Debug, Clone)]
pub struct Every {
    period: Duration,
    first: bool,
}

impl Every {
    /// A clock ticking every `period`.
    pub fn new(period: Duration) -> Self {
        Self {
            period: period.max(Duration::from_secs(1)),
            first: true,
        }
    }

    /// The apalis backend producing the ticks.
    pub fn scheduler(period: Duration) -> CronScheduler<Every> {
        CronScheduler::new(Every::new(period))
    }
}

impl<Tz> Schedule<Tz> for Every {
    fn next_tick(&mut self, _: &Tz) -> Option<Tick<Tz>> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // A tick must lie ahead (the scheduler fails on one in the past, and `now` in
        // whole seconds already is): the first one is the next second.
        let wait = if std::mem::take(&mut self.first) {
            1
        } else {
            self.period.as_secs().max(1)
        };
        Some(Tick::new(now + wait))
    }
}

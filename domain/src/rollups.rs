//! Rollup arithmetic: bucket boundaries in an account's time zone and the consumption
//! of a cumulative register (SPEC §2). Pure functions, so the rules are tested alone.
//!
//! Consumption is a sum of *steps*: each reading contributes its increase over the
//! reading just before it (of any bucket), counted in the bucket of the later reading.
//! A drop is a reset or rollover and counts 0; the first reading ever counts 0. So
//! buckets add up (days sum to their month), and a reading that arrives late only
//! changes the steps next to it: [`step_changes`] gives exactly those changes.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use tds_entity::RollupPeriod;

/// Every rollup period, in the order they are kept.
pub const PERIODS: [RollupPeriod; 3] = [RollupPeriod::Hour, RollupPeriod::Day, RollupPeriod::Month];

/// The first instant (UTC) of local day `date` in `tz`.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    // Where DST starts at midnight (Brazil did), 00:00 does not exist: the day starts
    // at the first local time that does.
    let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&time).earliest() {
            return t.with_timezone(&Utc);
        }
        time += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Start (UTC) of the bucket of `period` holding `time`, in time zone `tz`.
pub fn bucket_start(period: RollupPeriod, time: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let local = time.with_timezone(&tz);
    match period {
        // Subtracting the local minutes keeps half-hour zones right and DST hours distinct.
        RollupPeriod::Hour => {
            time - Duration::seconds(i64::from(local.minute() * 60 + local.second()))
                - Duration::nanoseconds(i64::from(local.nanosecond()))
        }
        RollupPeriod::Day => local_midnight(tz, local.date_naive()),
        RollupPeriod::Month => {
            let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
                .unwrap_or(local.date_naive());
            local_midnight(tz, first)
        }
    }
}

/// The increase from `previous` to `current`: a drop (reset, rollover) counts 0.
pub fn step(previous: f64, current: f64) -> f64 {
    if current >= previous {
        current - previous
    } else {
        0.0
    }
}

/// A reading of one device: time and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Measurement time.
    pub time: DateTime<Utc>,
    /// Register value.
    pub value: f64,
}

fn steps(points: &[Point]) -> Vec<(DateTime<Utc>, f64)> {
    points
        .windows(2)
        .map(|w| (w[1].time, step(w[0].value, w[1].value)))
        .collect()
}

/// How consumption changes when `new` readings join `old` ones of the same device.
///
/// `old` must hold the stored readings from the last one before the earliest new reading
/// to the first one after the latest new reading (fewer at the ends of the series), in
/// time order; `new` holds the readings being added (any order, none already stored).
/// Returns `(time, delta)` pairs: add `delta` to the bucket holding `time`.
pub fn step_changes(old: &[Point], new: &[Point]) -> Vec<(DateTime<Utc>, f64)> {
    let mut merged: Vec<Point> = old.iter().chain(new).copied().collect();
    merged.sort_by_key(|p| p.time);
    let mut changes: Vec<(DateTime<Utc>, f64)> = steps(&merged);
    changes.extend(steps(old).into_iter().map(|(t, d)| (t, -d)));
    changes.retain(|(_, d)| *d != 0.0);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn p(s: &str, value: f64) -> Point {
        Point { time: at(s), value }
    }

    #[test]
    fn buckets_follow_the_account_time_zone() {
        let tz: Tz = "America/Sao_Paulo".parse().unwrap(); // UTC-3, no DST since 2019
        let t = at("2026-03-01T02:30:00Z"); // 23:30 on Feb 28 in São Paulo
        assert_eq!(
            bucket_start(RollupPeriod::Hour, t, tz),
            at("2026-03-01T02:00:00Z")
        );
        assert_eq!(
            bucket_start(RollupPeriod::Day, t, tz),
            at("2026-02-28T03:00:00Z")
        );
        assert_eq!(
            bucket_start(RollupPeriod::Month, t, tz),
            at("2026-02-01T03:00:00Z")
        );
        let india: Tz = "Asia/Kolkata".parse().unwrap(); // UTC+5:30
        assert_eq!(
            bucket_start(RollupPeriod::Hour, at("2026-03-01T02:10:00Z"), india),
            at("2026-03-01T01:30:00Z")
        );
    }

    #[test]
    fn a_day_that_starts_at_one_because_of_dst() {
        // Brazil's DST began at 00:00 on 2018-11-04: the day started at 01:00 local.
        let tz: Tz = "America/Sao_Paulo".parse().unwrap();
        assert_eq!(
            bucket_start(RollupPeriod::Day, at("2018-11-04T12:00:00Z"), tz),
            at("2018-11-04T03:00:00Z")
        );
    }

    #[test]
    fn in_order_readings_add_their_increase() {
        let old = [p("2026-01-01T00:55:00Z", 100.0)];
        let new = [
            p("2026-01-01T01:00:00Z", 103.0),
            p("2026-01-01T01:05:00Z", 104.5),
        ];
        assert_eq!(
            step_changes(&old, &new),
            vec![
                (at("2026-01-01T01:00:00Z"), 3.0),
                (at("2026-01-01T01:05:00Z"), 1.5)
            ]
        );
    }

    #[test]
    fn a_late_reading_splits_the_step_it_falls_into() {
        // 100 at 00:00 and 110 at 02:00 are stored; 104 at 01:00 arrives late.
        let old = [
            p("2026-01-01T00:00:00Z", 100.0),
            p("2026-01-01T02:00:00Z", 110.0),
        ];
        let new = [p("2026-01-01T01:00:00Z", 104.0)];
        let mut changes = step_changes(&old, &new);
        changes.sort_by_key(|c| c.0);
        assert_eq!(
            changes,
            vec![
                (at("2026-01-01T01:00:00Z"), 4.0),
                (at("2026-01-01T02:00:00Z"), 6.0),
                (at("2026-01-01T02:00:00Z"), -10.0)
            ]
        );
        assert_eq!(
            changes.iter().map(|c| c.1).sum::<f64>(),
            0.0,
            "the total is unchanged"
        );
    }

    #[test]
    fn resets_never_count_negative_and_the_first_reading_counts_zero() {
        let new = [
            p("2026-01-01T00:00:00Z", 99_990.0),
            p("2026-01-01T00:05:00Z", 99_999.0),
            p("2026-01-01T00:10:00Z", 4.0),
            p("2026-01-01T00:15:00Z", 7.0),
        ];
        let total: f64 = step_changes(&[], &new).iter().map(|c| c.1).sum();
        assert_eq!(total, 9.0 + 0.0 + 3.0);
    }
}

//! The days a report covers, chosen as a day, a week, a month or two dates, and turned
//! into instants in the account's time zone (so "November" means São Paulo's November).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use tds_reports::{Period, PeriodKind};

use crate::error::{DomainError, DomainResult};
use crate::rollups::local_midnight;

/// Longest custom period, in days.
pub const MAX_DAYS: i64 = 366;

/// How a caller names a report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodSpec {
    /// One local day.
    Day(NaiveDate),
    /// The week (Monday to Sunday) holding this day.
    Week(NaiveDate),
    /// A calendar month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1–12.
        month: u32,
    },
    /// From `first` to `last`, both included.
    Custom {
        /// First day.
        first: NaiveDate,
        /// Last day (included).
        last: NaiveDate,
    },
}

/// Local midnight starting `day` in `tz`, as an instant (DST-safe, as rollups do).
pub fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_midnight(tz, day)
}

impl PeriodSpec {
    /// The period just before the local day holding `now`: yesterday, last week (Monday
    /// to Sunday) or last month. What a schedule running at `now` reports on.
    pub fn previous(kind: PeriodKind, now: DateTime<Utc>, tz: Tz) -> Self {
        let today = now.with_timezone(&tz).date_naive();
        let yesterday = today.pred_opt().unwrap_or(today);
        match kind {
            PeriodKind::Day | PeriodKind::Custom => Self::Day(yesterday),
            PeriodKind::Week => Self::Week(
                today - Duration::days(7 + i64::from(today.weekday().num_days_from_monday())),
            ),
            PeriodKind::Month => {
                let first_of_month = today.with_day(1).unwrap_or(today);
                let last_month = first_of_month.pred_opt().unwrap_or(first_of_month);
                Self::Month {
                    year: last_month.year(),
                    month: last_month.month(),
                }
            }
        }
    }

    /// The local days and instants this names in `tz`; refuses impossible or too long
    /// ranges with a field error on `period`.
    pub fn resolve(self, tz: Tz) -> DomainResult<Period> {
        let (kind, first, last) = match self {
            Self::Day(day) => (PeriodKind::Day, day, day),
            Self::Week(day) => {
                let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                (PeriodKind::Week, monday, monday + Duration::days(6))
            }
            Self::Month { year, month } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1)
                    .ok_or_else(|| DomainError::invalid("period", "no such month"))?;
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .ok_or_else(|| DomainError::invalid("period", "no such month"))?;
                (PeriodKind::Month, first, next.pred_opt().unwrap_or(first))
            }
            Self::Custom { first, last } => {
                if last < first {
                    return Err(DomainError::invalid("to", "must not be before 'from'"));
                }
                if (last - first).num_days() + 1 > MAX_DAYS {
                    return Err(DomainError::invalid(
                        "to",
                        format!("a report covers at most {MAX_DAYS} days"),
                    ));
                }
                (PeriodKind::Custom, first, last)
            }
        };
        let after = last
            .succ_opt()
            .ok_or_else(|| DomainError::invalid("period", "out of range"))?;
        Ok(Period {
            kind,
            first_day: first,
            last_day: last,
            from: day_start(first, tz),
            to: day_start(after, tz),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_in_sao_paulo_starts_at_three_utc() {
        let tz: Tz = "America/Sao_Paulo".parse().unwrap();
        let p = PeriodSpec::Month {
            year: 2026,
            month: 11,
        }
        .resolve(tz)
        .unwrap();
        assert_eq!(p.first_day, d("2026-11-01"));
        assert_eq!(p.last_day, d("2026-11-30"));
        assert_eq!(
            p.from,
            "2026-11-01T03:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            p.to,
            "2026-12-01T03:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(p.days().len(), 30);
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_far_zones_keep_their_day() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let p = PeriodSpec::Week(d("2026-12-03")).resolve(tokyo).unwrap();
        assert_eq!(
            (p.first_day, p.last_day),
            (d("2026-11-30"), d("2026-12-06"))
        );
        assert_eq!(
            p.from,
            "2026-11-29T15:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let kiritimati: Tz = "Pacific/Kiritimati".parse().unwrap(); // UTC+14
        let p = PeriodSpec::Day(d("2026-12-03"))
            .resolve(kiritimati)
            .unwrap();
        assert_eq!(
            p.from,
            "2026-12-02T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn schedules_report_on_the_period_before_the_run() {
        let tz: Tz = "America/Sao_Paulo".parse().unwrap();
        // 1 January 2027, 06:00 local.
        let now: DateTime<Utc> = "2027-01-01T09:00:00Z".parse().unwrap();
        assert_eq!(
            PeriodSpec::previous(PeriodKind::Month, now, tz),
            PeriodSpec::Month {
                year: 2026,
                month: 12
            }
        );
        assert_eq!(
            PeriodSpec::previous(PeriodKind::Day, now, tz),
            PeriodSpec::Day(d("2026-12-31"))
        );
        // A Friday: last week is Monday 21 to Sunday 27 December.
        let week = PeriodSpec::previous(PeriodKind::Week, now, tz)
            .resolve(tz)
            .unwrap();
        assert_eq!(
            (week.first_day, week.last_day),
            (d("2026-12-21"), d("2026-12-27"))
        );
        let mid_march: DateTime<Utc> = "2027-03-15T12:00:00Z".parse().unwrap();
        assert_eq!(
            PeriodSpec::previous(PeriodKind::Month, mid_march, tz),
            PeriodSpec::Month {
                year: 2027,
                month: 2
            }
        );
    }

    #[test]
    fn custom_ranges_are_checked() {
        let tz: Tz = "UTC".parse().unwrap();
        let err = PeriodSpec::Custom {
            first: d("2026-02-01"),
            last: d("2026-01-01"),
        }
        .resolve(tz)
        .unwrap_err();
        assert_eq!(err.code(), "VALIDATION");
        assert!(
            PeriodSpec::Custom {
                first: d("2025-01-01"),
                last: d("2026-12-31")
            }
            .resolve(tz)
            .is_err()
        );
        assert!(
            PeriodSpec::Month {
                year: 2026,
                month: 13
            }
            .resolve(tz)
            .is_err()
        );
    }
}

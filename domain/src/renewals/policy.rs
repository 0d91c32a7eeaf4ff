//! When the nightly renewal runs and how much it takes: the policy from the settings,
//! and the calendar arithmetic of nights (time zones, daylight-saving jumps, catching up).

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Hours after its time during which a night that did not run may still run.
pub const CATCH_UP_HOURS: i64 = 4;

/// When and how much to renew; from the settings.
#[derive(Debug, Clone)]
pub struct RenewalPolicy {
    /// Local time of the nightly run (02:00).
    pub at: NaiveTime,
    /// Time zone of the platform.
    pub timezone: Tz,
    /// Most renewals one night schedules (10).
    pub batch: u64,
    /// Certificates expiring within this many days are due (730).
    pub horizon_days: i64,
    /// How long a gateway has to acknowledge before the renewal times out.
    pub ack_window: chrono::Duration,
}

impl Default for RenewalPolicy {
    /// The defaults of the settings: 02:00 America/Sao_Paulo, 10 a night, 730 days, 24 h.
    fn default() -> Self {
        Self::from_settings(&crate::config::Settings::default())
            .unwrap_or_else(|e| unreachable!("default settings are valid: {e}"))
    }
}

impl RenewalPolicy {
    /// The policy of the settings, checked.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, String> {
        let at = NaiveTime::parse_from_str(&settings.renewal.at, "%H:%M")
            .map_err(|_| format!("TDS_RENEWAL_AT '{}': expected HH:MM", settings.renewal.at))?;
        let timezone = crate::values::parse_timezone(&settings.platform.timezone)?;
        if settings.renewal.batch == 0 {
            return Err("TDS_RENEWAL_BATCH must be at least 1".into());
        }
        if settings.renewal.ack_window_s < 60 {
            return Err("TDS_RENEWAL_ACK_WINDOW_S must be at least 60".into());
        }
        // At or beyond the validity every fresh successor would be due again at once.
        if !(1..tds_certs::GATEWAY_VALIDITY_DAYS).contains(&settings.renewal.horizon_days) {
            return Err(format!(
                "TDS_RENEWAL_HORIZON_DAYS must be between 1 and {}",
                tds_certs::GATEWAY_VALIDITY_DAYS - 1
            ));
        }
        Ok(Self {
            at,
            timezone,
            batch: settings.renewal.batch,
            horizon_days: settings.renewal.horizon_days,
            ack_window: chrono::Duration::seconds(settings.renewal.ack_window_s as i64),
        })
    }

    /// The instant `night`'s run is due. A local time skipped by a daylight-saving jump
    /// moves to the first minute that exists; a repeated one takes its first occurrence.
    pub fn run_instant(&self, night: NaiveDate) -> DateTime<Utc> {
        let mut local = night.and_time(self.at);
        for _ in 0..180 {
            if let Some(t) = self.timezone.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(1);
        }
        Utc.from_utc_datetime(&night.and_time(self.at))
    }

    /// The night whose run is the latest one due at `now`.
    pub fn night_due(&self, now: DateTime<Utc>) -> NaiveDate {
        let today = now.with_timezone(&self.timezone).date_naive();
        if now >= self.run_instant(today) {
            today
        } else {
            today.pred_opt().unwrap_or(today)
        }
    }

    /// Whether a night that did not run (workers down at its time, database down) may still
    /// run at `now`: only within [`CATCH_UP_HOURS`] of its time, so renewals stay a night-time
    /// affair and a worker started in the afternoon waits for tonight.
    pub fn may_catch_up(&self, now: DateTime<Utc>) -> bool {
        now < self.run_instant(self.night_due(now)) + chrono::Duration::hours(CATCH_UP_HOURS)
    }

    /// The first run strictly after `now`.
    pub fn next_run_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut night = self.night_due(now);
        loop {
            night = night.succ_opt().unwrap_or(night);
            let at = self.run_instant(night);
            if at > now {
                return at;
            }
        }
    }

    /// The cron expression (seconds first) of the nightly run, in [`Self::timezone`].
    pub fn cron_expression(&self) -> String {
        use chrono::Timelike;
        format!("0 {} {} * * *", self.at.minute(), self.at.hour())
    }
}

//! What a report says, independent of its file format: the domain fills a [`ReportData`]
//! from rollups, the renderers turn it into PDF or XLSX. No database type appears here,
//! so the renderers can be tested (and benchmarked) with made-up data.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::locale::Locale;

/// What a report shows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Consumption per device over the period.
    Consumption,
    /// Devices compared side by side (the comparison comes first).
    DeviceComparison,
}

/// What a device meters; decides the unit its totals are kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeterKind {
    /// Water meter (totals in m³).
    Water,
    /// Energy meter (totals in kWh).
    Energy,
    /// Gas meter (totals in m³).
    Gas,
    /// Temperature sensor (no total).
    Temperature,
}

impl MeterKind {
    /// The unit a kind's totals are given in, when it has totals.
    pub fn total_unit(self) -> Option<&'static str> {
        match self {
            Self::Water | Self::Gas => Some("m³"),
            Self::Energy => Some("kWh"),
            Self::Temperature => None,
        }
    }
}

/// How the period was chosen (shown in the title).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// One local day.
    Day,
    /// One local week, Monday to Sunday.
    Week,
    /// One calendar month.
    Month,
    /// Explicit first and last day.
    Custom,
}

/// The days a report covers, in the account's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// How it was chosen.
    pub kind: PeriodKind,
    /// First local day (inclusive).
    pub first_day: NaiveDate,
    /// Last local day (inclusive).
    pub last_day: NaiveDate,
    /// Start instant: local midnight of `first_day`.
    pub from: DateTime<Utc>,
    /// End instant (exclusive): local midnight after `last_day`.
    pub to: DateTime<Utc>,
}

impl Period {
    /// The local days of the period, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.first_day
            .iter_days()
            .take_while(|d| *d <= self.last_day)
            .collect()
    }
}

/// The tenant a report is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Account name.
    pub name: String,
    /// CNPJ, 14 digits, when the account has one.
    pub tax_id: Option<String>,
}

/// Readings received against readings expected from the gateway's reporting interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Completeness {
    /// Readings stored.
    pub received: i64,
    /// Readings the reporting interval promises over the covered time.
    pub expected: i64,
}

impl Completeness {
    /// Received ÷ expected (capped at 1), or `None` when nothing was expected.
    pub fn ratio(&self) -> Option<f64> {
        (self.expected > 0).then(|| (self.received as f64 / self.expected as f64).min(1.0))
    }

    /// Adds another span's counts.
    pub fn add(&mut self, other: Completeness) {
        self.received += other.received;
        self.expected += other.expected;
    }
}

/// A device's figures over a span (the period or one day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figures {
    /// A register: its increase (SPEC §2), in the device's unit.
    Cumulative {
        /// Increase over the span; 0 without readings.
        consumption: f64,
    },
    /// A momentary value: `None` without readings.
    Instant {
        /// Smallest value.
        min: Option<f64>,
        /// Mean of the readings.
        avg: Option<f64>,
        /// Largest value.
        max: Option<f64>,
    },
}

impl Figures {
    /// The consumption of a cumulative device.
    pub fn consumption(&self) -> Option<f64> {
        match self {
            Self::Cumulative { consumption } => Some(*consumption),
            Self::Instant { .. } => None,
        }
    }
}

/// One day of one device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyValue {
    /// Local day.
    pub day: NaiveDate,
    /// The day's figures.
    pub figures: Figures,
    /// The day's completeness.
    pub completeness: Completeness,
}

/// One device's part of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceReport {
    /// Device id.
    pub id: Uuid,
    /// Gateway code.
    pub gateway_code: String,
    /// Gateway name.
    pub gateway_name: String,
    /// Device code (`D01` …).
    pub code: String,
    /// Device name.
    pub name: String,
    /// What it meters.
    pub kind: MeterKind,
    /// Unit of its values.
    pub unit: String,
    /// Figures over the whole period.
    pub figures: Figures,
    /// Every day of the period, in order (days without readings included).
    pub daily: Vec<DailyValue>,
    /// Completeness over the period.
    pub completeness: Completeness,
}

/// The total of one kind of meter, in the kind's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct KindTotal {
    /// Kind.
    pub kind: MeterKind,
    /// m³ or kWh.
    pub unit: &'static str,
    /// Sum over the devices whose unit converts.
    pub consumption: f64,
    /// Total per day, aligned with [`Period::days`].
    pub daily: Vec<f64>,
    /// Devices counted.
    pub devices: usize,
    /// Codes of devices of this kind left out because their unit does not convert.
    pub excluded: Vec<String>,
}

/// A cumulative device against the others of its kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Index into [`ReportData::devices`].
    pub device: usize,
    /// Consumption in the kind's unit.
    pub consumption: f64,
    /// Share of its kind's total (0–1), `None` when the total is 0.
    pub share: Option<f64>,
    /// Mean consumption per day of the period.
    pub daily_average: f64,
    /// 1 for the largest consumer of its kind.
    pub rank: usize,
}

/// Everything a report file shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportData {
    /// Consumption or device comparison.
    pub kind: ReportKind,
    /// Whose report.
    pub account: AccountInfo,
    /// Language and number/date formats.
    pub locale: Locale,
    /// The account's time zone: days and times are shown in it.
    pub timezone: Tz,
    /// Covered days.
    pub period: Period,
    /// When it was built.
    pub generated_at: DateTime<Utc>,
    /// The devices, by gateway code then device code.
    pub devices: Vec<DeviceReport>,
    /// Totals of water, energy and gas (kinds without devices left out).
    pub totals: Vec<KindTotal>,
    /// Cumulative devices ranked within their kind, kind by kind.
    pub comparison: Vec<ComparisonRow>,
}

/// One raw reading for the Readings sheet; the device is an index into
/// [`ReportData::devices`] so a million rows carry no strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadingRow {
    /// Index into [`ReportData::devices`].
    pub device: usize,
    /// Measurement time.
    pub time: DateTime<Utc>,
    /// Value in the device's unit.
    pub value: f64,
}

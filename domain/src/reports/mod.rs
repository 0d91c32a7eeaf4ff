//! Reports (issue 11): the data of a consumption or comparison report for a tenant,
//! built from rollups in the account's time zone and locale, ready for the renderers of
//! `tds-reports`; completeness for any range; and a keyset cursor over raw readings for
//! the Readings sheet, the one part of a report that reads raw rows.
//!
//! Nothing here queues, stores or sends a file: the report worker does that, calling
//! [`build_report`], then the renderer, feeding it [`ReadingCursor`] pages.

mod build;
mod completeness;
mod period;
mod readings;
mod select;

pub use build::{ReportRequest, build_report, meter_kind, to_total_unit};
pub use completeness::{DeviceCompleteness, completeness, expected_between, reporting_since};
pub use period::{MAX_DAYS, PeriodSpec, day_start};
pub use readings::{DEFAULT_PAGE, ReadingCursor};
pub use select::Selection;

use crate::tenant::Tenant;

/// The account's time zone (São Paulo when the stored name does not parse).
fn tenant_tz(tenant: &Tenant) -> chrono_tz::Tz {
    tenant
        .timezone
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo)
}

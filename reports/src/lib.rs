//! Consumption reports: the data a report shows ([`model`]), its language and formats
//! ([`locale`]), and, with the `render` feature, its PDF and XLSX renderers.
//!
//! The domain fills a [`model::ReportData`] from rollups; nothing here reads a
//! database, so renderers are tested and measured with made-up data. The domain uses
//! this crate without `render` and so does not compile the file formats.

pub mod locale;
pub mod model;
#[cfg(feature = "render")]
pub mod output;
#[cfg(feature = "render")]
pub mod pdf;
#[cfg(feature = "render")]
pub mod xlsx;

pub use locale::Locale;
pub use model::*;
#[cfg(feature = "render")]
pub use output::{FileMeta, NoProgress, Progress, RenderError, RenderedFile};
#[cfg(feature = "render")]
pub use pdf::render_pdf;
#[cfg(feature = "render")]
pub use xlsx::{XlsxReport, render_xlsx};

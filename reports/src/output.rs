//! What a renderer hands back: the file, its digest and its size in pages or rows, and
//! the progress it reports on the way (so a job can show RUNNING with a percentage).

use sha2::{Digest, Sha256};

/// A finished report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// The file.
    pub bytes: Vec<u8>,
    /// Facts to store beside it.
    pub meta: FileMeta,
}

/// Size, digest and extent of a report file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// Bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Pages (PDF).
    pub pages: Option<u32>,
    /// Data rows of the Readings sheet (XLSX).
    pub rows: Option<u64>,
    /// `application/pdf` or the XLSX media type.
    pub content_type: &'static str,
    /// `pdf` or `xlsx`.
    pub extension: &'static str,
}

/// Media type of an XLSX workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Media type of a PDF.
pub const PDF_CONTENT_TYPE: &str = "application/pdf";

impl FileMeta {
    /// Size and digest of `bytes`.
    pub(crate) fn of(bytes: &[u8], content_type: &'static str, extension: &'static str) -> Self {
        Self {
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            pages: None,
            rows: None,
            content_type,
            extension,
        }
    }
}

/// Receives progress as a fraction from 0 to 1; called a few hundred times at most.
/// Any `FnMut(f64)` is one (e.g. a closure that sends it on a channel).
pub trait Progress {
    /// `done` of the work is finished (0–1).
    fn report(&mut self, done: f64);
}

impl<F: FnMut(f64)> Progress for F {
    fn report(&mut self, done: f64) {
        self(done)
    }
}

/// Progress nobody watches.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&mut self, _done: f64) {}
}

/// Why a report file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded font did not parse (a broken build).
    #[error("the report font cannot be read")]
    Font,
    /// The spreadsheet writer failed (temporary file, zip …).
    #[error("spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A reading names a device the report does not have.
    #[error("reading of unknown device index {0}")]
    UnknownDevice(usize),
}

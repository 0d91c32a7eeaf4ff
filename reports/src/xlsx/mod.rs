//! The XLSX report: Summary, Daily, Daily totals (with a native chart) and Readings.
//!
//! The Readings sheet may hold a million rows, so it is written in rust_xlsxwriter's
//! constant-memory mode: each finished row goes to a temporary file, and memory holds
//! one row. The caller feeds readings page by page ([`XlsxReport::push_readings`]), so
//! an async caller can fetch the next page from the database between two pushes.

mod sheets;

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use sha2::{Digest, Sha256};

use crate::model::{ReadingRow, ReportData};
use crate::output::{FileMeta, Progress, RenderError, RenderedFile, XLSX_CONTENT_TYPE};
use sheets::Formats;

/// Data rows one sheet holds: Excel's 1,048,576 rows minus the header.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// A workbook being written. It is `Send`, so a job can hold it across the awaits
/// that fetch the next page of readings.
pub struct XlsxReport<'a> {
    data: &'a ReportData,
    workbook: Workbook,
    formats: Formats,
    /// The value format of each device (its unit), by device index.
    device_formats: Vec<Format>,
    /// Index of the Readings sheet being filled and its next row.
    sheet: Option<(usize, u32)>,
    sheets: u32,
    rows: u64,
    expected_rows: u64,
    progress: &'a mut (dyn Progress + Send),
    reported: f64,
}

impl<'a> XlsxReport<'a> {
    /// Writes the small sheets; readings follow with [`Self::push_readings`]. Temporary
    /// files of the Readings sheet go to `tempdir` (the system's by default).
    pub fn new(
        data: &'a ReportData,
        tempdir: Option<&Path>,
        progress: &'a mut (dyn Progress + Send),
    ) -> Result<Self, RenderError> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tempdir {
            workbook.set_tempdir(dir)?;
        }
        let mut formats = Formats::new(data);
        sheets::summary(&mut workbook, data, &mut formats)?;
        sheets::daily_totals(&mut workbook, data, &mut formats)?;
        sheets::daily(&mut workbook, data, &mut formats)?;
        // The rollups counted every reading: that is how many rows will come.
        let expected_rows = data
            .devices
            .iter()
            .map(|d| d.completeness.received.max(0) as u64)
            .sum();
        let device_formats = data
            .devices
            .iter()
            .map(|d| formats.unit(&d.unit).clone())
            .collect();
        progress.report(0.05);
        Ok(Self {
            data,
            workbook,
            formats,
            device_formats,
            sheet: None,
            sheets: 0,
            rows: 0,
            expected_rows,
            progress,
            reported: 0.05,
        })
    }

    fn readings_header(&mut self) -> Result<usize, RenderError> {
        let l = self.data.locale.labels();
        self.sheets += 1;
        let name = if self.sheets == 1 {
            l.readings_sheet.to_owned()
        } else {
            format!("{} {}", l.readings_sheet, self.sheets)
        };
        let header = self.formats.header.clone();
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (col, title) in [l.time, l.gateway, l.code, l.value, l.unit]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(0, col as u16, *title, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.set_column_width(0, 20)?;
        sheet.set_column_width(3, 16)?;
        Ok(self.workbook.worksheets().len() - 1)
    }

    fn close_sheet(&mut self) -> Result<(), RenderError> {
        if let Some((index, next)) = self.sheet.take() {
            let sheet = self.workbook.worksheet_from_index(index)?;
            sheet.autofilter(0, 0, next.saturating_sub(1).max(1), 4)?;
        }
        Ok(())
    }

    /// Appends readings to the Readings sheet (a new sheet after [`ROWS_PER_SHEET`]).
    pub fn push_readings(&mut self, rows: &[ReadingRow]) -> Result<(), RenderError> {
        let tz = self.data.timezone;
        for r in rows {
            let device = self
                .data
                .devices
                .get(r.device)
                .ok_or(RenderError::UnknownDevice(r.device))?;
            let (index, next) = match self.sheet {
                Some((index, next)) if next <= ROWS_PER_SHEET => (index, next),
                _ => {
                    self.close_sheet()?;
                    (self.readings_header()?, 1)
                }
            };
            let value_format = &self.device_formats[r.device];
            let time_format = &self.formats.date_time;
            let sheet: &mut Worksheet = self.workbook.worksheet_from_index(index)?;
            let local = r.time.with_timezone(&tz).naive_local();
            sheet.write_datetime_with_format(next, 0, local, time_format)?;
            sheet.write_string(next, 1, &device.gateway_code)?;
            sheet.write_string(next, 2, &device.code)?;
            sheet.write_number_with_format(next, 3, r.value, value_format)?;
            sheet.write_string(next, 4, &device.unit)?;
            self.sheet = Some((index, next + 1));
            self.rows += 1;
        }
        if self.expected_rows > 0 {
            let done = 0.05 + 0.85 * (self.rows as f64 / self.expected_rows as f64).min(1.0);
            if done - self.reported >= 0.01 {
                self.progress.report(done);
                self.reported = done;
            }
        }
        Ok(())
    }

    /// Readings written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn close(&mut self) -> Result<(), RenderError> {
        if self.sheets == 0 {
            // An empty Readings sheet still says what its columns would be.
            let index = self.readings_header()?;
            self.sheet = Some((index, 1));
        }
        self.close_sheet()
    }

    /// Writes the workbook to `out`, hashing it on the way (the file can be large).
    pub fn finish_to(mut self, out: impl Write + Send) -> Result<FileMeta, RenderError> {
        self.close()?;
        let mut counting = Hashing {
            inner: out,
            hasher: Sha256::new(),
            size: 0,
        };
        self.workbook.save_to_writer(&mut counting)?;
        self.progress.report(1.0);
        Ok(FileMeta {
            size: counting.size,
            sha256: hex::encode(counting.hasher.finalize()),
            pages: None,
            rows: Some(self.rows),
            content_type: XLSX_CONTENT_TYPE,
            extension: "xlsx",
        })
    }

    /// Writes the workbook into memory.
    pub fn finish(mut self) -> Result<RenderedFile, RenderError> {
        self.close()?;
        let bytes = self.workbook.save_to_buffer()?;
        self.progress.report(1.0);
        let mut meta = FileMeta::of(&bytes, XLSX_CONTENT_TYPE, "xlsx");
        meta.rows = Some(self.rows);
        Ok(RenderedFile { bytes, meta })
    }
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Renders `data` and `readings` into an in-memory workbook.
pub fn render_xlsx(
    data: &ReportData,
    readings: impl IntoIterator<Item = ReadingRow>,
    progress: &mut (dyn Progress + Send),
) -> Result<RenderedFile, RenderError> {
    let mut report = XlsxReport::new(data, None, progress)?;
    let mut page = Vec::with_capacity(4096);
    for r in readings {
        page.push(r);
        if page.len() == page.capacity() {
            report.push_readings(&page)?;
            page.clear();
        }
    }
    report.push_readings(&page)?;
    report.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_workbook_in_progress_can_cross_an_await_in_a_spawned_job() {
        fn send<T: Send>() {}
        send::<super::XlsxReport<'static>>();
    }
}

//! The small sheets, written whole: Summary (facts, totals, devices), Daily (one row
//! per device and day) and Daily totals (one row per day, with a native chart).

use std::collections::HashMap;

use rust_xlsxwriter::{
    Chart, ChartType, Format, FormatAlign, ObjectMovement, Workbook, Worksheet, XlsxError,
};

use crate::locale::format_cnpj;
use crate::model::{Completeness, Figures, ReportData};
use crate::pdf::decimals;

/// Formats shared by the sheets; one number format per unit, the unit shown in the cell.
pub struct Formats {
    pub header: Format,
    pub title: Format,
    pub label: Format,
    pub percent: Format,
    pub integer: Format,
    pub date: Format,
    pub date_time: Format,
    by_unit: HashMap<String, Format>,
}

impl Formats {
    /// The formats of a report in `data`'s locale.
    pub fn new(data: &ReportData) -> Self {
        Self {
            header: Format::new()
                .set_bold()
                .set_background_color("DCE6F1")
                .set_align(FormatAlign::Center),
            title: Format::new().set_bold().set_font_size(16),
            label: Format::new().set_bold(),
            percent: Format::new().set_num_format("0.0%"),
            integer: Format::new().set_num_format("#,##0"),
            date: Format::new().set_num_format(data.locale.excel_date()),
            date_time: Format::new().set_num_format(data.locale.excel_date_time()),
            by_unit: HashMap::new(),
        }
    }

    /// `#,##0.000" m³"` and the like: a number shown with its unit, still a number.
    pub fn unit(&mut self, unit: &str) -> &Format {
        self.by_unit.entry(unit.to_owned()).or_insert_with(|| {
            let places = "0".repeat(decimals(unit));
            let escaped = unit.replace('"', "");
            Format::new().set_num_format(format!("#,##0.{places}\" {escaped}\""))
        })
    }
}

fn write_completeness(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    c: Completeness,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.write_number_with_format(row, col, c.received as f64, &f.integer)?;
    sheet.write_number_with_format(row, col + 1, c.expected as f64, &f.integer)?;
    if let Some(r) = c.ratio() {
        sheet.write_number_with_format(row, col + 2, r, &f.percent)?;
    }
    Ok(())
}

fn header(sheet: &mut Worksheet, row: u32, titles: &[&str], f: &Formats) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *title, &f.header)?;
    }
    Ok(())
}

/// The Summary sheet; returns nothing but the sheet written.
pub fn summary(wb: &mut Workbook, data: &ReportData, f: &mut Formats) -> Result<(), XlsxError> {
    let (l, loc) = (data.locale.labels(), data.locale);
    let sheet = wb.add_worksheet();
    sheet.set_name(l.summary_sheet)?;
    let title = match data.kind {
        crate::model::ReportKind::Consumption => l.consumption_report,
        crate::model::ReportKind::DeviceComparison => l.comparison_report,
    };
    sheet.write_string_with_format(0, 0, title, &f.title)?;
    let facts = [
        (l.account, data.account.name.clone()),
        (
            l.tax_id,
            data.account
                .tax_id
                .as_deref()
                .map(format_cnpj)
                .unwrap_or_default(),
        ),
        (
            l.period,
            format!(
                "{}: {} – {}",
                l.period_kind(data.period.kind),
                loc.date(data.period.first_day),
                loc.date(data.period.last_day)
            ),
        ),
        (l.time_zone, data.timezone.name().to_owned()),
        (
            l.generated_at,
            loc.date_time(data.generated_at, data.timezone),
        ),
    ];
    for (i, (label, value)) in facts.iter().enumerate() {
        sheet.write_string_with_format(1 + i as u32, 0, *label, &f.label)?;
        sheet.write_string(1 + i as u32, 1, value)?;
    }
    // Totals per kind.
    let mut row = 7;
    header(sheet, row, &[l.kind, l.devices, l.consumption, l.unit], f)?;
    for t in &data.totals {
        row += 1;
        sheet.write_string(row, 0, l.meter(t.kind))?;
        sheet.write_number_with_format(row, 1, t.devices as f64, &f.integer)?;
        sheet.write_number_with_format(row, 2, t.consumption, f.unit(t.unit))?;
        sheet.write_string(row, 3, t.unit)?;
    }
    // Devices, one per row: the table the header freeze and the filter are for.
    row += 2;
    let top = row;
    header(
        sheet,
        row,
        &[
            l.gateway,
            l.code,
            l.name,
            l.kind,
            l.unit,
            l.consumption,
            l.minimum,
            l.average,
            l.maximum,
            l.received,
            l.expected,
            l.completeness,
            l.share,
            l.rank,
        ],
        f,
    )?;
    for (i, d) in data.devices.iter().enumerate() {
        row += 1;
        sheet.write_string(row, 0, &d.gateway_code)?;
        sheet.write_string(row, 1, &d.code)?;
        sheet.write_string(row, 2, &d.name)?;
        sheet.write_string(row, 3, l.meter(d.kind))?;
        sheet.write_string(row, 4, &d.unit)?;
        match d.figures {
            Figures::Cumulative { consumption } => {
                sheet.write_number_with_format(row, 5, consumption, f.unit(&d.unit))?;
            }
            Figures::Instant { min, avg, max } => {
                for (col, v) in [(6, min), (7, avg), (8, max)] {
                    if let Some(v) = v {
                        sheet.write_number_with_format(row, col, v, f.unit(&d.unit))?;
                    }
                }
            }
        }
        write_completeness(sheet, row, 9, d.completeness, f)?;
        if let Some(c) = data.comparison.iter().find(|c| c.device == i) {
            if let Some(share) = c.share {
                sheet.write_number_with_format(row, 12, share, &f.percent)?;
            }
            sheet.write_number(row, 13, c.rank as f64)?;
        }
    }
    sheet.set_freeze_panes(top + 1, 0)?;
    sheet.autofilter(top, 0, row.max(top + 1), 13)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 10)?;
    sheet.set_column_width(2, 28)?;
    for col in 3..14 {
        sheet.set_column_width(col, 14)?;
    }
    Ok(())
}

/// The Daily sheet: one row per device and day.
pub fn daily(wb: &mut Workbook, data: &ReportData, f: &mut Formats) -> Result<(), XlsxError> {
    let l = data.locale.labels();
    let sheet = wb.add_worksheet();
    sheet.set_name(l.daily_sheet)?;
    header(
        sheet,
        0,
        &[
            l.day,
            l.gateway,
            l.code,
            l.name,
            l.kind,
            l.unit,
            l.consumption,
            l.minimum,
            l.average,
            l.maximum,
            l.received,
            l.expected,
            l.completeness,
        ],
        f,
    )?;
    let mut row = 0;
    for d in &data.devices {
        for v in &d.daily {
            row += 1;
            sheet.write_datetime_with_format(row, 0, v.day, &f.date)?;
            sheet.write_string(row, 1, &d.gateway_code)?;
            sheet.write_string(row, 2, &d.code)?;
            sheet.write_string(row, 3, &d.name)?;
            sheet.write_string(row, 4, l.meter(d.kind))?;
            sheet.write_string(row, 5, &d.unit)?;
            match v.figures {
                Figures::Cumulative { consumption } => {
                    sheet.write_number_with_format(row, 6, consumption, f.unit(&d.unit))?;
                }
                Figures::Instant { min, avg, max } => {
                    for (col, x) in [(7, min), (8, avg), (9, max)] {
                        if let Some(x) = x {
                            sheet.write_number_with_format(row, col, x, f.unit(&d.unit))?;
                        }
                    }
                }
            }
            write_completeness(sheet, row, 10, v.completeness, f)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, row.max(1), 12)?;
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(3, 28)?;
    for col in 6..13 {
        sheet.set_column_width(col, 14)?;
    }
    Ok(())
}

/// The Daily totals sheet: a row per day, a column per kind, and a column chart of it.
pub fn daily_totals(
    wb: &mut Workbook,
    data: &ReportData,
    f: &mut Formats,
) -> Result<(), XlsxError> {
    let l = data.locale.labels();
    let sheet = wb.add_worksheet();
    let name = l.daily_totals.to_owned();
    sheet.set_name(&name)?;
    let titles: Vec<String> = data
        .totals
        .iter()
        .map(|t| format!("{} ({})", l.meter(t.kind), t.unit))
        .collect();
    let mut all = vec![l.day];
    all.extend(titles.iter().map(String::as_str));
    header(sheet, 0, &all, f)?;
    let days = data.period.days();
    for (i, day) in days.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_datetime_with_format(row, 0, *day, &f.date)?;
        for (k, t) in data.totals.iter().enumerate() {
            let value = t.daily.get(i).copied().unwrap_or(0.0);
            sheet.write_number_with_format(row, 1 + k as u16, value, f.unit(t.unit))?;
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    let last = days.len().max(1) as u32;
    sheet.autofilter(0, 0, last, data.totals.len() as u16)?;
    sheet.set_column_width(0, 12)?;
    for k in 0..data.totals.len() {
        sheet.set_column_width(1 + k as u16, 16)?;
    }
    if !data.totals.is_empty() {
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name(l.daily_consumption);
        for (k, _) in data.totals.iter().enumerate() {
            let col = 1 + k as u16;
            chart
                .add_series()
                .set_name((name.as_str(), 0, col))
                .set_categories((name.as_str(), 1, 0, last, 0))
                .set_values((name.as_str(), 1, col, last, col));
        }
        chart.x_axis().set_name(l.day);
        chart.set_object_movement(ObjectMovement::DontMoveOrSizeWithCells);
        sheet.insert_chart(1, 2 + data.totals.len() as u16, &chart)?;
    }
    Ok(())
}

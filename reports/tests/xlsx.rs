//! The workbook read back by Python's openpyxl: sheets, frozen headers, filters, the
//! native chart, number formats with units, and values equal to the report's figures.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{readings, run, sample, scratch};
use serde_json::Value;
use tds_reports::{Locale, XlsxReport};

fn read(path: &std::path::Path) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/read_xlsx.py");
    serde_json::from_str(&run("python3", &[script, path.to_str().unwrap()])).unwrap()
}

fn cell(sheet: &Value, row: usize, col: usize) -> &Value {
    &sheet["rows"][row][col]
}

#[test]
fn the_workbook_reads_back_with_its_sheets_formats_and_figures() {
    let data = sample(Locale::PtBr, 5);
    let dir = scratch();
    let mut seen = Vec::new();
    let mut progress = |p: f64| seen.push(p);
    let mut report = XlsxReport::new(&data, Some(&dir), &mut progress).unwrap();
    let all: Vec<_> = readings(&data, 2_000).collect();
    for page in all.chunks(300) {
        report.push_readings(page).unwrap();
    }
    let file = report.finish().unwrap();
    let path = dir.join("report.xlsx");
    std::fs::write(&path, &file.bytes).unwrap();
    assert_eq!(file.meta.rows, Some(2_000));
    assert_eq!(file.meta.size, file.bytes.len() as u64);
    assert_eq!(seen.last(), Some(&1.0));

    let book = read(&path);
    assert_eq!(
        book["sheets"],
        serde_json::json!(["Resumo", "Totais diários", "Diário", "Leituras"])
    );
    let summary = &book["detail"]["Resumo"];
    assert_eq!(cell(summary, 0, 0)["v"], "Relatório de consumo");
    assert_eq!(cell(summary, 1, 1)["v"], "Condomínio Açaí Ltda");
    assert_eq!(cell(summary, 2, 1)["v"], "11.222.333/0001-81");
    // Totals: water then energy, numbers with their unit in the format.
    assert_eq!(cell(summary, 8, 0)["v"], "Água");
    assert_eq!(cell(summary, 8, 2)["v"], 12.345);
    assert_eq!(cell(summary, 8, 2)["f"], "#,##0.000\" m³\"");
    let energy: f64 = (0..5).map(|i| 1234.5 + f64::from(i)).sum();
    assert_eq!(cell(summary, 9, 2)["v"], energy);
    assert_eq!(cell(summary, 9, 2)["f"], "#,##0.00\" kWh\"");
    // The device table starts below the totals: frozen under its header, filtered.
    assert_eq!(cell(summary, 11, 0)["v"], "Gateway");
    assert_eq!(summary["freeze"], "A13");
    assert_eq!(summary["filter"], "A12:N19");
    assert_eq!(cell(summary, 12, 5)["v"], 1234.5);
    assert_eq!(cell(summary, 12, 11)["v"], 0.5, "device 0 received half");
    assert_eq!(cell(summary, 12, 11)["f"], "0.0%");
    // The thermometer: min / avg / max in °C.
    assert_eq!(cell(summary, 18, 6)["v"], -2.5);
    assert_eq!(cell(summary, 18, 7)["f"], "#,##0.0\" °C\"");

    let totals = &book["detail"]["Totais diários"];
    assert_eq!(totals["charts"], 1, "a native chart");
    assert_eq!(totals["freeze"], "B2");
    assert_eq!(totals["filter"], "A1:C31");
    assert_eq!(cell(totals, 1, 0)["v"], "2026-11-01T00:00:00");
    assert_eq!(cell(totals, 1, 0)["f"], "dd/mm/yyyy");

    let daily = &book["detail"]["Diário"];
    assert_eq!(daily["freeze"], "A2");
    assert_eq!(daily["max_row"], 1 + 7 * 30);
    assert_eq!(daily["filter"], "A1:M211");

    let sheet = &book["detail"]["Leituras"];
    assert_eq!(sheet["max_row"], 2_001);
    assert_eq!(sheet["freeze"], "A2");
    assert_eq!(sheet["filter"], "A1:E2001");
    assert_eq!(cell(sheet, 0, 0)["v"], "Data e hora");
    // The first reading: 00:00 of 1 November in São Paulo, device 0.
    assert_eq!(cell(sheet, 1, 0)["v"], "2026-11-01T00:00:00");
    assert_eq!(cell(sheet, 1, 0)["f"], "dd/mm/yyyy hh:mm:ss");
    assert_eq!(cell(sheet, 1, 2)["v"], "D01");
    assert_eq!(cell(sheet, 1, 3)["v"], 1000.0);
    assert_eq!(cell(sheet, 1, 4)["v"], "kWh");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn english_workbooks_use_english_names_and_iso_dates() {
    let data = sample(Locale::En, 2);
    let file =
        tds_reports::render_xlsx(&data, readings(&data, 10), &mut tds_reports::NoProgress).unwrap();
    let dir = scratch();
    let path = dir.join("report.xlsx");
    std::fs::write(&path, &file.bytes).unwrap();
    let book = read(&path);
    assert_eq!(
        book["sheets"],
        serde_json::json!(["Summary", "Daily totals", "Daily", "Readings"])
    );
    assert_eq!(
        cell(&book["detail"]["Readings"], 1, 0)["f"],
        "yyyy-mm-dd hh:mm:ss"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

//! The PDF read back by poppler (`pdfinfo`, `pdftotext`, `pdffonts`): what a reader of
//! the file sees, not what we think we wrote.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::{run, sample, scratch};
use tds_reports::{Locale, render_pdf};

#[test]
fn a_long_report_has_numbered_pages_repeated_headers_and_portuguese_text() {
    let data = sample(Locale::PtBr, 90);
    let mut seen = Vec::new();
    let file = render_pdf(&data, &mut |p: f64| seen.push(p)).unwrap();
    let dir = scratch();
    let path = dir.join("report.pdf");
    std::fs::write(&path, &file.bytes).unwrap();
    let path = path.to_str().unwrap();

    let info = run("pdfinfo", &[path]);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages > 1, "{info}");
    assert_eq!(file.meta.pages, Some(pages));
    assert!(
        info.contains("CreationDate:") && info.contains("2026"),
        "{info}"
    );

    let text = run("pdftotext", &["-layout", path, "-"]);
    for expected in [
        "Relatório de consumo",
        "Condomínio Açaí Ltda",
        "11.222.333/0001-81",
        "01/11/2026 – 30/11/2026",
        "m³",
        "°C",
        "Hidrômetro da portaria",
        // Device 3 consumed 1237.5 kWh; the water meter 12.345 m³.
        "1.237,50",
        "12,345",
        // The thermometer's minimum, below zero.
        "-2,5",
        // Device 0 received half its readings.
        "50,0 %",
        &format!("Página 1/{pages}"),
        &format!("Página {pages}/{pages}"),
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // The device table crosses pages: every page holding a device row shows the header.
    let mut pages_with_rows = 0;
    for page in 1..=pages {
        let p = page.to_string();
        let text = run("pdftotext", &["-layout", "-f", &p, "-l", &p, path, "-"]);
        if text.contains("Medidor de energia nº") {
            pages_with_rows += 1;
            assert!(
                text.lines()
                    .any(|l| l.contains("Gateway") && l.contains("Código")),
                "page {page} lists devices without the header:\n{text}"
            );
        }
    }
    assert!(pages_with_rows >= 2, "the table should cross a page");

    // printpdf names the embedded font with a random tag; what matters is that every
    // font is embedded (the `emb` column), so the text renders on any machine.
    let fonts = run("pdffonts", &[path]);
    let rows: Vec<Vec<&str>> = fonts
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in &rows {
        assert_eq!(
            row.iter().rev().nth(4),
            Some(&"yes"),
            "font not embedded: {fonts}"
        );
        assert!(fonts.contains("TrueType"), "{fonts}");
    }

    assert_eq!(file.meta.size, file.bytes.len() as u64);
    assert_eq!(file.meta.sha256.len(), 64);
    assert_eq!(seen.last(), Some(&1.0));
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {seen:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn english_reports_use_english_labels_and_number_formats() {
    let data = sample(Locale::En, 3);
    let file = render_pdf(&data, &mut tds_reports::NoProgress).unwrap();
    let dir = scratch();
    let path = dir.join("report.pdf");
    std::fs::write(&path, &file.bytes).unwrap();
    let text = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    for expected in [
        "Consumption report",
        "2026-11-01 – 2026-11-30",
        "1,235.50",
        "Page 1/",
        "Completeness",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("Relatório"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_report_without_devices_still_says_whose_and_which_period() {
    let mut data = sample(Locale::PtBr, 0);
    data.devices.clear();
    data.totals.clear();
    data.comparison.clear();
    let file = render_pdf(&data, &mut tds_reports::NoProgress).unwrap();
    assert_eq!(file.meta.pages, Some(1));
    let dir = scratch();
    let path = dir.join("empty.pdf");
    std::fs::write(&path, &file.bytes).unwrap();
    let text = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    for expected in [
        "Condomínio Açaí Ltda",
        "Nenhum dispositivo selecionado.",
        "Página 1/1",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let xlsx = tds_reports::render_xlsx(&data, [], &mut tds_reports::NoProgress).unwrap();
    assert_eq!(xlsx.meta.rows, Some(0));
    std::fs::remove_dir_all(dir).unwrap();
}

//! Writes 1,000,000 readings into an XLSX report and prints the time and the process's
//! peak resident memory (VmHWM), the figures SPEC §6 sets targets for (≤ 15 s, ≤ 300 MB).
//!
//! `cargo run --release -p tds-reports --example xlsx_million [ROWS] [OUT]`
#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let out = args
        .next()
        .unwrap_or_else(|| "/tmp/tds-million.xlsx".into());
    let data = common::sample(tds_reports::Locale::PtBr, 100);
    let before = peak_rss_kib();
    let started = Instant::now();
    let mut progress = tds_reports::NoProgress;
    let mut report = tds_reports::XlsxReport::new(&data, None, &mut progress).expect("workbook");
    // Pages of 10,000, as the domain's keyset cursor hands them over.
    let mut page = Vec::with_capacity(10_000);
    for r in common::readings(&data, rows) {
        page.push(r);
        if page.len() == 10_000 {
            report.push_readings(&page).expect("rows");
            page.clear();
        }
    }
    report.push_readings(&page).expect("rows");
    let file = std::fs::File::create(&out).expect("output file");
    let meta = report
        .finish_to(std::io::BufWriter::new(file))
        .expect("save");
    println!(
        "{{\"rows\": {}, \"seconds\": {:.2}, \"bytes\": {}, \"peak_rss_mib\": {:.1}, \"rss_before_mib\": {:.1}, \"file\": \"{out}\"}}",
        meta.rows.unwrap_or(0),
        started.elapsed().as_secs_f64(),
        meta.size,
        peak_rss_kib() as f64 / 1024.0,
        before as f64 / 1024.0,
    );
}

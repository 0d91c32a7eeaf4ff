//! Writes the test sample as a PDF and prints its size, pages and render time.
//!
//! `cargo run --release -p tds-reports --example sample_pdf [OUT] [DEVICES]`
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample.pdf".into());
    let devices: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(90);
    let data = common::sample(tds_reports::Locale::PtBr, devices);
    let started = std::time::Instant::now();
    let file = tds_reports::render_pdf(&data, &mut tds_reports::NoProgress).expect("pdf");
    std::fs::write(&out, &file.bytes).expect("write");
    println!(
        "{out}: {devices} devices, {} bytes, {:?} pages, {:.3} s",
        file.meta.size,
        file.meta.pages,
        started.elapsed().as_secs_f64()
    );
}

//! Writes the test sample as a PDF to the path given (for looking at it).
#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample.pdf".into());
    let data = common::sample(tds_reports::Locale::PtBr, 90);
    let file = tds_reports::render_pdf(&data, &mut tds_reports::NoProgress).expect("pdf");
    std::fs::write(&out, &file.bytes).expect("write");
    println!(
        "{out}: {} bytes, {:?} pages",
        file.meta.size, file.meta.pages
    );
}

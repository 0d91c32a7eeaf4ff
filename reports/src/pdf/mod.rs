//! The PDF report: title block, totals, a daily chart per kind, device tables that
//! break across pages with their header repeated, a comparison, daily totals, and
//! "Página 1/3" footers. Text is set in DejaVu Sans, embedded (fonts/, licence beside
//! it), because the 14 standard PDF fonts cannot show "m³" or "ã" reliably.

mod canvas;
mod chart;
mod sections;

use std::sync::OnceLock;

use printpdf::{Mm, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions};

use crate::locale::{Locale, format_cnpj};
use crate::model::{ReportData, ReportKind};
use crate::output::{FileMeta, PDF_CONTENT_TYPE, Progress, RenderError, RenderedFile};
use canvas::{Canvas, MARGIN, PAGE_H, PAGE_W, ink, rgb};

static FONT_BYTES: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

fn font() -> Result<&'static ParsedFont, RenderError> {
    static FONT: OnceLock<Option<ParsedFont>> = OnceLock::new();
    FONT.get_or_init(|| ParsedFont::from_bytes(FONT_BYTES, 0, &mut Vec::new()))
        .as_ref()
        .ok_or(RenderError::Font)
}

/// Decimal places a value in `unit` is shown with.
pub(crate) fn decimals(unit: &str) -> usize {
    match unit {
        "m³" | "m3" => 3,
        "L" | "l" | "°C" | "%" => 1,
        _ => 2,
    }
}

fn completeness_text(locale: Locale, c: crate::model::Completeness) -> String {
    c.ratio().map_or_else(|| "–".into(), |r| locale.percent(r))
}

/// Renders `data` as a PDF.
pub fn render_pdf(
    data: &ReportData,
    progress: &mut dyn Progress,
) -> Result<RenderedFile, RenderError> {
    let font = font()?;
    let title = match data.kind {
        ReportKind::Consumption => data.locale.labels().consumption_report,
        ReportKind::DeviceComparison => data.locale.labels().comparison_report,
    };
    let mut doc = PdfDocument::new(title);
    let font_id = doc.add_font(font);
    let mut canvas = Canvas::new(font, font_id);
    title_block(&mut canvas, data, title);
    sections::totals(&mut canvas, data);
    progress.report(0.2);
    for total in &data.totals {
        let labels: Vec<String> = data
            .period
            .days()
            .into_iter()
            .map(|d| data.locale.short_date(d))
            .collect();
        let heading = format!(
            "{} — {} ({})",
            data.locale.labels().daily_consumption,
            data.locale.labels().meter(total.kind),
            total.unit
        );
        chart::daily_bars(&mut canvas, &heading, &labels, &total.daily, data.locale);
    }
    progress.report(0.4);
    if data.kind == ReportKind::DeviceComparison {
        sections::comparison(&mut canvas, data);
        sections::devices(&mut canvas, data);
    } else {
        sections::devices(&mut canvas, data);
        sections::comparison(&mut canvas, data);
    }
    progress.report(0.7);
    sections::daily_totals(&mut canvas, data);
    canvas.note(data.locale.labels().completeness_note);
    let footer = format!(
        "{} · {} · {} {}",
        data.account.name,
        title,
        data.locale.labels().generated_at,
        data.locale.date_time(data.generated_at, data.timezone)
    );
    let pages = canvas.finish(&footer, data.locale.labels().page);
    let page_count = pages.len() as u32;
    let pages = pages
        .into_iter()
        .map(|ops| {
            PdfPage::new(
                Mm::from(printpdf::Pt(PAGE_W)),
                Mm::from(printpdf::Pt(PAGE_H)),
                ops,
            )
        })
        .collect();
    if let Ok(date) =
        printpdf::date::OffsetDateTime::from_unix_timestamp(data.generated_at.timestamp())
    {
        doc.metadata.info.creation_date = date;
        doc.metadata.info.modification_date = date;
        doc.metadata.info.metadata_date = date;
    }
    doc.metadata.info.author = data.account.name.clone();
    doc.metadata.info.creator = "TDS".into();
    progress.report(0.8);
    let bytes = doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut Vec::new());
    progress.report(1.0);
    let mut meta = FileMeta::of(&bytes, PDF_CONTENT_TYPE, "pdf");
    meta.pages = Some(page_count);
    Ok(RenderedFile { bytes, meta })
}

fn title_block(canvas: &mut Canvas<'_>, data: &ReportData, title: &str) {
    let l = data.locale.labels();
    canvas.fill_rect(
        MARGIN,
        canvas.y - 8.0,
        PAGE_W - 2.0 * MARGIN,
        4.0,
        rgb(13, 71, 161),
    );
    canvas.y -= 30.0;
    canvas.text(MARGIN, canvas.y, 20.0, rgb(13, 71, 161), title);
    canvas.y -= 22.0;
    canvas.text(MARGIN, canvas.y, 13.0, ink(), &data.account.name);
    canvas.y -= 16.0;
    let mut facts = Vec::new();
    if let Some(cnpj) = &data.account.tax_id {
        facts.push((l.tax_id, format_cnpj(cnpj)));
    }
    facts.push((
        l.period,
        format!(
            "{}: {} – {}",
            l.period_kind(data.period.kind),
            data.locale.date(data.period.first_day),
            data.locale.date(data.period.last_day)
        ),
    ));
    facts.push((l.time_zone, data.timezone.name().to_owned()));
    facts.push((
        l.generated_at,
        data.locale.date_time(data.generated_at, data.timezone),
    ));
    for (label, value) in facts {
        canvas.text(MARGIN, canvas.y, 9.0, rgb(90, 90, 90), label);
        canvas.text(MARGIN + 90.0, canvas.y, 9.0, ink(), &value);
        canvas.y -= 13.0;
    }
    canvas.y -= 6.0;
}

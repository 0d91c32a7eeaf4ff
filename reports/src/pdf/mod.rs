//! The PDF report: title block, totals, a daily chart per kind, device tables that
//! break across pages with their header repeated, a comparison, daily totals, and
//! "Página 1/3" footers. Text is set in DejaVu Sans, embedded (fonts/, licence beside
//! it), because the 14 standard PDF fonts cannot show "m³" or "ã" reliably.

mod canvas;
mod chart;

use std::sync::OnceLock;

use printpdf::{Mm, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions};

use crate::locale::{Locale, format_cnpj};
use crate::model::{Figures, MeterKind, ReportData, ReportKind};
use crate::output::{FileMeta, PDF_CONTENT_TYPE, Progress, RenderError, RenderedFile};
use canvas::{Align, Canvas, Column, MARGIN, PAGE_H, PAGE_W, ink, rgb};

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
    totals(&mut canvas, data);
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
        comparison(&mut canvas, data);
        devices(&mut canvas, data);
    } else {
        devices(&mut canvas, data);
        comparison(&mut canvas, data);
    }
    progress.report(0.7);
    daily_totals(&mut canvas, data);
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

fn totals(canvas: &mut Canvas<'_>, data: &ReportData) {
    let (l, loc) = (data.locale.labels(), data.locale);
    canvas.heading(l.totals, 40.0);
    if data.devices.is_empty() {
        canvas.note(l.no_devices);
        return;
    }
    let columns = [
        Column {
            title: l.kind,
            width: 140.0,
            align: Align::Left,
        },
        Column {
            title: l.devices,
            width: 80.0,
            align: Align::Right,
        },
        Column {
            title: l.consumption,
            width: 140.0,
            align: Align::Right,
        },
        Column {
            title: l.unit,
            width: 60.0,
            align: Align::Left,
        },
        Column {
            title: l.completeness,
            width: 95.0,
            align: Align::Right,
        },
    ];
    let rows = data.totals.iter().map(|t| {
        let mut c = crate::model::Completeness::default();
        for d in data.devices.iter().filter(|d| d.kind == t.kind) {
            c.add(d.completeness);
        }
        vec![
            l.meter(t.kind).to_owned(),
            t.devices.to_string(),
            loc.number(t.consumption, decimals(t.unit)),
            t.unit.to_owned(),
            completeness_text(loc, c),
        ]
    });
    canvas.table(&columns, rows.collect::<Vec<_>>());
    for t in data.totals.iter().filter(|t| !t.excluded.is_empty()) {
        canvas.note(&format!(
            "{} — {}: {}",
            l.meter(t.kind),
            l.excluded_units,
            t.excluded.join(", ")
        ));
    }
}

fn devices(canvas: &mut Canvas<'_>, data: &ReportData) {
    let (l, loc) = (data.locale.labels(), data.locale);
    let cumulative: Vec<_> = data
        .devices
        .iter()
        .filter(|d| d.figures.consumption().is_some())
        .collect();
    if !cumulative.is_empty() {
        canvas.heading(&format!("{} — {}", l.devices, l.consumption), 60.0);
        let columns = [
            Column {
                title: l.gateway,
                width: 70.0,
                align: Align::Left,
            },
            Column {
                title: l.code,
                width: 45.0,
                align: Align::Left,
            },
            Column {
                title: l.name,
                width: 140.0,
                align: Align::Left,
            },
            Column {
                title: l.kind,
                width: 60.0,
                align: Align::Left,
            },
            Column {
                title: l.consumption,
                width: 90.0,
                align: Align::Right,
            },
            Column {
                title: l.unit,
                width: 40.0,
                align: Align::Left,
            },
            Column {
                title: l.completeness,
                width: 70.0,
                align: Align::Right,
            },
        ];
        let rows = cumulative.iter().map(|d| {
            vec![
                d.gateway_code.clone(),
                d.code.clone(),
                d.name.clone(),
                l.meter(d.kind).to_owned(),
                loc.number(d.figures.consumption().unwrap_or(0.0), decimals(&d.unit)),
                d.unit.clone(),
                completeness_text(loc, d.completeness),
            ]
        });
        canvas.table(&columns, rows.collect::<Vec<_>>());
    }
    let instant: Vec<_> = data
        .devices
        .iter()
        .filter(|d| d.figures.consumption().is_none())
        .collect();
    if !instant.is_empty() {
        canvas.heading(
            &format!(
                "{} — {} / {} / {}",
                l.devices, l.minimum, l.average, l.maximum
            ),
            60.0,
        );
        let columns = [
            Column {
                title: l.gateway,
                width: 70.0,
                align: Align::Left,
            },
            Column {
                title: l.code,
                width: 45.0,
                align: Align::Left,
            },
            Column {
                title: l.name,
                width: 120.0,
                align: Align::Left,
            },
            Column {
                title: l.minimum,
                width: 60.0,
                align: Align::Right,
            },
            Column {
                title: l.average,
                width: 60.0,
                align: Align::Right,
            },
            Column {
                title: l.maximum,
                width: 60.0,
                align: Align::Right,
            },
            Column {
                title: l.unit,
                width: 35.0,
                align: Align::Left,
            },
            Column {
                title: l.completeness,
                width: 65.0,
                align: Align::Right,
            },
        ];
        let value = |v: Option<f64>, unit: &str| {
            v.map_or_else(|| "–".into(), |v| loc.number(v, decimals(unit)))
        };
        let rows = instant.iter().map(|d| {
            let (min, avg, max) = match d.figures {
                Figures::Instant { min, avg, max } => (min, avg, max),
                Figures::Cumulative { .. } => (None, None, None),
            };
            vec![
                d.gateway_code.clone(),
                d.code.clone(),
                d.name.clone(),
                value(min, &d.unit),
                value(avg, &d.unit),
                value(max, &d.unit),
                d.unit.clone(),
                completeness_text(loc, d.completeness),
            ]
        });
        canvas.table(&columns, rows.collect::<Vec<_>>());
    }
}

fn comparison(canvas: &mut Canvas<'_>, data: &ReportData) {
    let (l, loc) = (data.locale.labels(), data.locale);
    if data.comparison.is_empty() {
        return;
    }
    canvas.heading(l.comparison, 60.0);
    let columns = [
        Column {
            title: l.rank,
            width: 40.0,
            align: Align::Right,
        },
        Column {
            title: l.gateway,
            width: 60.0,
            align: Align::Left,
        },
        Column {
            title: l.code,
            width: 40.0,
            align: Align::Left,
        },
        Column {
            title: l.name,
            width: 110.0,
            align: Align::Left,
        },
        Column {
            title: l.kind,
            width: 55.0,
            align: Align::Left,
        },
        Column {
            title: l.consumption,
            width: 75.0,
            align: Align::Right,
        },
        Column {
            title: l.share,
            width: 60.0,
            align: Align::Right,
        },
        Column {
            title: l.daily_average,
            width: 75.0,
            align: Align::Right,
        },
    ];
    let rows = data.comparison.iter().filter_map(|row| {
        let d = data.devices.get(row.device)?;
        let unit = d.kind.total_unit().unwrap_or("");
        Some(vec![
            row.rank.to_string(),
            d.gateway_code.clone(),
            d.code.clone(),
            d.name.clone(),
            l.meter(d.kind).to_owned(),
            format!("{} {unit}", loc.number(row.consumption, decimals(unit))),
            row.share.map_or_else(|| "–".into(), |s| loc.percent(s)),
            format!("{} {unit}", loc.number(row.daily_average, decimals(unit))),
        ])
    });
    canvas.table(&columns, rows.collect::<Vec<_>>());
}

fn daily_totals(canvas: &mut Canvas<'_>, data: &ReportData) {
    let (l, loc) = (data.locale.labels(), data.locale);
    let kinds: Vec<(MeterKind, String)> = data
        .totals
        .iter()
        .map(|t| (t.kind, format!("{} ({})", l.meter(t.kind), t.unit)))
        .collect();
    let mut columns = vec![Column {
        title: l.day,
        width: 80.0,
        align: Align::Left,
    }];
    let width = if kinds.is_empty() {
        100.0
    } else {
        (355.0 / kinds.len() as f32).min(120.0)
    };
    for (_, title) in &kinds {
        columns.push(Column {
            title,
            width,
            align: Align::Right,
        });
    }
    columns.push(Column {
        title: l.completeness,
        width: 80.0,
        align: Align::Right,
    });
    canvas.heading(l.daily_totals, 60.0);
    let rows = data.period.days().into_iter().enumerate().map(|(i, day)| {
        let mut row = vec![loc.date(day)];
        for t in &data.totals {
            row.push(loc.number(t.daily.get(i).copied().unwrap_or(0.0), decimals(t.unit)));
        }
        let mut c = crate::model::Completeness::default();
        for d in &data.devices {
            if let Some(v) = d.daily.get(i) {
                c.add(v.completeness);
            }
        }
        row.push(completeness_text(loc, c));
        row
    });
    canvas.table(&columns, rows.collect::<Vec<_>>());
}

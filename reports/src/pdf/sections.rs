//! The tables of the PDF: totals per kind, devices (cumulative, then instant), the
//! comparison and the daily totals. Each is a [`Canvas::table`], so each repeats its
//! header on every page it crosses.

use super::canvas::{Align, Canvas, Column};
use super::{completeness_text, decimals};
use crate::model::{Completeness, Figures, MeterKind, ReportData};

pub(super) fn totals(canvas: &mut Canvas<'_>, data: &ReportData) {
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
        let mut c = Completeness::default();
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

pub(super) fn devices(canvas: &mut Canvas<'_>, data: &ReportData) {
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

pub(super) fn comparison(canvas: &mut Canvas<'_>, data: &ReportData) {
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

pub(super) fn daily_totals(canvas: &mut Canvas<'_>, data: &ReportData) {
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
        let mut c = Completeness::default();
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

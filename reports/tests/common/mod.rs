//! A made-up report the renderer tests share: known figures, a long device list.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test (or a broken example)

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use tds_reports::{
    AccountInfo, ComparisonRow, Completeness, DailyValue, DeviceReport, Figures, KindTotal, Locale,
    MeterKind, Period, PeriodKind, ReadingRow, ReportData, ReportKind,
};
use uuid::Uuid;

/// November 2026 in São Paulo.
pub fn november() -> Period {
    let tz: Tz = "America/Sao_Paulo".parse().unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    Period {
        kind: PeriodKind::Month,
        first_day: first,
        last_day: last,
        from: midnight(first),
        to: midnight(last.succ_opt().unwrap()),
    }
}

/// `energy` energy meters consuming 1234.5 + i kWh each (41.15 + i/30 a day), one
/// water meter of 12.345 m³ and one thermometer; device i=0 has a 50 % gap.
pub fn sample(locale: Locale, energy: usize) -> ReportData {
    let period = november();
    let days = period.days();
    let mut devices = Vec::new();
    for i in 0..energy {
        let total = 1234.5 + i as f64;
        let per_day = total / days.len() as f64;
        let complete = if i == 0 { 144 } else { 288 };
        devices.push(DeviceReport {
            id: Uuid::new_v4(),
            gateway_code: format!("GW{:02}", i / 8),
            gateway_name: format!("Bloco {}", i / 8),
            code: format!("D{:02}", i % 8 + 1),
            name: format!("Medidor de energia nº {i} – Salão"),
            kind: MeterKind::Energy,
            unit: "kWh".into(),
            figures: Figures::Cumulative { consumption: total },
            daily: days
                .iter()
                .map(|d| DailyValue {
                    day: *d,
                    figures: Figures::Cumulative {
                        consumption: per_day,
                    },
                    completeness: Completeness {
                        received: complete,
                        expected: 288,
                    },
                })
                .collect(),
            completeness: Completeness {
                received: complete * days.len() as i64,
                expected: 288 * days.len() as i64,
            },
        });
    }
    devices.push(DeviceReport {
        id: Uuid::new_v4(),
        gateway_code: "GW99".into(),
        gateway_name: "Portaria".into(),
        code: "A01".into(),
        name: "Hidrômetro da portaria".into(),
        kind: MeterKind::Water,
        unit: "m³".into(),
        figures: Figures::Cumulative {
            consumption: 12.345,
        },
        daily: days
            .iter()
            .map(|d| DailyValue {
                day: *d,
                figures: Figures::Cumulative {
                    consumption: 12.345 / 30.0,
                },
                completeness: Completeness {
                    received: 288,
                    expected: 288,
                },
            })
            .collect(),
        completeness: Completeness {
            received: 8640,
            expected: 8640,
        },
    });
    devices.push(DeviceReport {
        id: Uuid::new_v4(),
        gateway_code: "GW99".into(),
        gateway_name: "Portaria".into(),
        code: "T01".into(),
        name: "Temperatura da câmara".into(),
        kind: MeterKind::Temperature,
        unit: "°C".into(),
        figures: Figures::Instant {
            min: Some(-2.5),
            avg: Some(3.25),
            max: Some(8.0),
        },
        daily: days
            .iter()
            .map(|d| DailyValue {
                day: *d,
                figures: Figures::Instant {
                    min: Some(-2.5),
                    avg: Some(3.25),
                    max: Some(8.0),
                },
                completeness: Completeness {
                    received: 288,
                    expected: 288,
                },
            })
            .collect(),
        completeness: Completeness {
            received: 8640,
            expected: 8640,
        },
    });
    let energy_total: f64 = (0..energy).map(|i| 1234.5 + i as f64).sum();
    let totals = vec![
        KindTotal {
            kind: MeterKind::Water,
            unit: "m³",
            consumption: 12.345,
            daily: vec![12.345 / 30.0; days.len()],
            devices: 1,
            excluded: vec![],
        },
        KindTotal {
            kind: MeterKind::Energy,
            unit: "kWh",
            consumption: energy_total,
            daily: vec![energy_total / 30.0; days.len()],
            devices: energy,
            excluded: vec![],
        },
    ];
    let mut comparison: Vec<ComparisonRow> = (0..energy)
        .rev()
        .enumerate()
        .map(|(rank, i)| ComparisonRow {
            device: i,
            consumption: 1234.5 + i as f64,
            share: Some((1234.5 + i as f64) / energy_total),
            daily_average: (1234.5 + i as f64) / 30.0,
            rank: rank + 1,
        })
        .collect();
    comparison.insert(
        0,
        ComparisonRow {
            device: energy,
            consumption: 12.345,
            share: Some(1.0),
            daily_average: 12.345 / 30.0,
            rank: 1,
        },
    );
    ReportData {
        kind: ReportKind::Consumption,
        account: AccountInfo {
            name: "Condomínio Açaí Ltda".into(),
            tax_id: Some("11222333000181".into()),
        },
        locale,
        timezone: "America/Sao_Paulo".parse().unwrap(),
        period,
        generated_at: "2026-12-01T09:00:00Z".parse().unwrap(),
        devices,
        totals,
        comparison,
    }
}

/// `n` readings of the report's devices, 5 minutes apart per device.
pub fn readings(data: &ReportData, n: usize) -> impl Iterator<Item = ReadingRow> + '_ {
    let devices = data.devices.len();
    let start: DateTime<Utc> = data.period.from;
    (0..n).map(move |i| ReadingRow {
        device: i % devices,
        time: start + Duration::minutes(5 * (i / devices) as i64),
        value: 1000.0 + i as f64 * 0.25,
    })
}

/// A fresh directory under the system's temporary one.
pub fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tds-reports-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a command and returns its standard output; fails the test when it cannot run.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (poppler-utils / python3-openpyxl): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

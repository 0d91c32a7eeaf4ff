//! Report data against real databases: readings stored by the telemetry writer (which
//! keeps the rollups the report reads), figures checked as a person would by hand, a
//! gap seen in completeness, another account's objects not found, the raw-readings
//! cursor, and the rendered files read back by poppler and openpyxl.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use tds_bus::{EventBus, InboundMessage, TelemetryBatch};
use tds_domain::devices::{DevicePatch, update_device};
use tds_domain::gateways::{GatewayPatch, update_gateway};
use tds_domain::reports::{
    PeriodSpec, ReadingCursor, ReportRequest, Selection, build_report, completeness,
};
use tds_entity::{DeviceKind, ReportKind};
use tds_reports::{Figures, Locale, MeterKind};
use tds_testkit::{Backend, TestDb, admin_of, backend_tests, payload, seed_fleet, telemetry_topic};
use tds_workers::fleet::FleetCache;
use tds_workers::telemetry::TelemetryWriter;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Hour `h` counted from 00:00 of 10 November 2026 in São Paulo (03:00 UTC).
fn hour(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, 3, 0, 0).unwrap() + Duration::hours(h)
}

/// D01 energy: 2 kWh an hour from 998 at h = -1, reset to 5 at h = 60.
fn energy(h: i64) -> f64 {
    if h < 60 {
        1000.0 + 2.0 * h as f64
    } else {
        5.0 + 2.0 * (h - 60) as f64
    }
}

async fn report_figures_match_a_hand_count(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let now = Utc::now();
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x31, 1, 4, true).await;
    let (_, others) = seed_fleet(&db.db, "America/Sao_Paulo", 0x32, 1, 2, false).await;
    let tenant = admin_of(&db.db, account.id).await;
    let gw = &gateways[0];
    let id = |code: &str| gw.devices.iter().find(|(c, _)| c == code).unwrap().1;
    // Hourly reporting; D03 becomes a water meter counting litres.
    let patch = GatewayPatch {
        reporting_interval_s: Some(3600),
        ..Default::default()
    };
    update_gateway(&db.db, &tenant, gw.id, patch, now)
        .await
        .unwrap();
    let patch = DevicePatch {
        kind: Some(DeviceKind::Water),
        unit: Some("L".into()),
        name: Some("Hidrômetro".into()),
        ..Default::default()
    };
    update_device(&db.db, &tenant, id("D03"), patch, now)
        .await
        .unwrap();

    // 10–12 November, hourly, plus one reading the hour before. D03 is silent for 12
    // hours of the 11th; D04 (a thermometer) never reports.
    let writer = TelemetryWriter::new(db.db.clone(), FleetCache::default(), EventBus::in_process());
    let mut messages = Vec::new();
    for h in -1..72 {
        let mut items: Vec<(&str, f64)> = vec![("D01", energy(h))];
        if h >= 0 {
            items.push(("D02", 20.0 + (h % 5) as f64));
        }
        if !(30..42).contains(&h) {
            items.push(("D03", 500.0 + 10.0 * h as f64));
        }
        messages.push(InboundMessage {
            topic: telemetry_topic(&gw.mac),
            payload: payload(&gw.mac, hour(h), &items),
            received_at: now,
            truncated_from: None,
        });
    }
    let report = writer
        .write(&[TelemetryBatch { messages }], now)
        .await
        .unwrap();
    assert_eq!(report.stored, 73 + 72 + 61);

    let request = ReportRequest {
        kind: ReportKind::Consumption,
        period: PeriodSpec::Custom {
            first: d("2026-11-10"),
            last: d("2026-11-12"),
        },
        selection: Selection::Gateway(gw.id),
    };
    let data = build_report(&db.db, &tenant, &request, now).await.unwrap();
    assert_eq!(data.account.name, account.name);
    assert_eq!(data.locale, Locale::PtBr);
    assert_eq!(data.period.days().len(), 3);
    let codes: Vec<&str> = data.devices.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["D01", "D02", "D03", "D04"]);

    // Energy: 998 → 1118 before the reset (120), then 5 → 27 (22): 142 kWh; by day
    // 48 (from the 998 of the hour before), 48, and 24 + 0 + 22 = 46.
    let d01 = &data.devices[0];
    assert_eq!(d01.figures, Figures::Cumulative { consumption: 142.0 });
    let by_day: Vec<f64> = d01
        .daily
        .iter()
        .map(|v| v.figures.consumption().unwrap())
        .collect();
    assert_eq!(by_day, [48.0, 48.0, 46.0]);
    assert_eq!(
        (d01.completeness.received, d01.completeness.expected),
        (72, 72)
    );

    // Thermometer: 20..24 repeating over 72 hours.
    let avg = 20.0 + 141.0 / 72.0;
    match data.devices[1].figures {
        Figures::Instant { min, avg: a, max } => {
            assert_eq!((min, max), (Some(20.0), Some(24.0)));
            assert!((a.unwrap() - avg).abs() < 1e-9, "{a:?}");
        }
        other => panic!("{other:?}"),
    }

    // Water: 490 L → 1210 L is 720 L = 0.72 m³ whatever the gap; the gap shows in
    // completeness (60 of 72; on the 11th, 12 of 24).
    let d03 = &data.devices[2];
    assert_eq!(d03.figures, Figures::Cumulative { consumption: 720.0 });
    assert_eq!(
        (d03.completeness.received, d03.completeness.expected),
        (60, 72)
    );
    let day2 = d03.daily[1].completeness;
    assert_eq!((day2.received, day2.expected), (12, 24));
    assert_eq!(d03.daily[1].figures.consumption(), Some(240.0));

    // The silent thermometer, registered today, was not expected to report in November.
    assert_eq!(data.devices[3].completeness.expected, 0);
    assert_eq!(
        data.devices[3].figures,
        Figures::Instant {
            min: None,
            avg: None,
            max: None
        }
    );

    let water = data
        .totals
        .iter()
        .find(|t| t.kind == MeterKind::Water)
        .unwrap();
    assert!((water.consumption - 0.72).abs() < 1e-9);
    assert_eq!(water.unit, "m³");
    let power = data
        .totals
        .iter()
        .find(|t| t.kind == MeterKind::Energy)
        .unwrap();
    assert_eq!((power.consumption, power.unit), (142.0, "kWh"));
    assert_eq!(power.daily, [48.0, 48.0, 46.0]);
    assert_eq!(data.comparison.len(), 2);
    assert!(
        data.comparison
            .iter()
            .all(|c| c.rank == 1 && c.share == Some(1.0))
    );

    // Completeness for any range (the GraphQL field): the 11th only, by the hour.
    let c = completeness(
        &db.db,
        &tenant,
        &[id("D03"), id("D01")],
        hour(24),
        hour(48),
        now,
    )
    .await
    .unwrap();
    assert_eq!(c[0].device_id, id("D03"));
    assert_eq!((c[0].counts.received, c[0].counts.expected), (12, 24));
    assert_eq!((c[1].counts.received, c[1].counts.expected), (24, 24));

    // The Readings sheet's cursor hands out every reading of the period once, in
    // pages, device by device, straight into the workbook as a report job would.
    let mut progress = |_: f64| {};
    let mut workbook = tds_reports::XlsxReport::new(&data, None, &mut progress).unwrap();
    let mut cursor = ReadingCursor::new(&tenant, &data, 25);
    let mut all = Vec::new();
    loop {
        let page = cursor.next_page(&db.db).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 25);
        workbook.push_readings(&page).unwrap();
        all.extend(page);
    }
    let xlsx = workbook.finish().unwrap();
    assert_eq!(all.len(), 72 + 72 + 60);
    assert_eq!(all[0].device, 0);
    assert_eq!(
        all[0].time,
        hour(0),
        "the reading before the period is not in it"
    );
    assert_eq!(all.last().unwrap().device, 2);
    assert!(
        all.windows(2)
            .all(|w| (w[0].device, w[0].time) < (w[1].device, w[1].time))
    );

    // Another account's device or gateway is not found, never "forbidden".
    let foreign = others[0].devices[0].1;
    for selection in [
        Selection::Devices(vec![id("D01"), foreign]),
        Selection::Gateway(others[0].id),
    ] {
        let request = ReportRequest {
            selection,
            ..request.clone()
        };
        let err = build_report(&db.db, &tenant, &request, now)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND", "{err}");
    }
    let err = completeness(&db.db, &tenant, &[foreign], hour(0), hour(24), now)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");

    files_show_the_same_figures(&data, &all, xlsx);
}

/// The PDF, read by pdftotext, and the workbook, read by openpyxl, show the figures.
fn files_show_the_same_figures(
    data: &tds_reports::ReportData,
    readings: &[tds_reports::ReadingRow],
    xlsx: tds_reports::RenderedFile,
) {
    let dir = std::env::temp_dir().join(format!("tds-domain-report-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = tds_reports::render_pdf(data, &mut tds_reports::NoProgress).unwrap();
    let pdf_path = dir.join("r.pdf");
    std::fs::write(&pdf_path, &pdf.bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", pdf_path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let text = String::from_utf8(text.stdout).unwrap();
    for expected in [
        "142,00",
        "720,0",
        "0,720",
        "83,3 %",
        "0,240",
        "10/11/2026 – 12/11/2026",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert_eq!(xlsx.meta.rows, Some(readings.len() as u64));
    let xlsx_path = dir.join("r.xlsx");
    std::fs::write(&xlsx_path, &xlsx.bytes).unwrap();
    let script = "import openpyxl,sys,json\n\
        b=openpyxl.load_workbook(sys.argv[1])\n\
        s=b['Resumo']; r=b['Leituras']\n\
        devices=[[c.value for c in row] for row in s.iter_rows(min_row=13, max_row=16, max_col=6)]\n\
        total=sum(row[3].value for row in r.iter_rows(min_row=2) if row[2].value=='D01')\n\
        print(json.dumps({'devices': devices, 'rows': r.max_row-1, 'd01_sum': total}))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, xlsx_path.to_str().unwrap()])
        .output()
        .expect("python3 with openpyxl must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let book: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(book["rows"], readings.len());
    assert_eq!(book["devices"][0][1], "D01");
    assert_eq!(book["devices"][0][5], 142.0);
    assert_eq!(book["devices"][2][5], 720.0);
    let d01: f64 = (0..72).map(energy).sum();
    assert_eq!(book["d01_sum"], d01);
    std::fs::remove_dir_all(dir).unwrap();
}

backend_tests!(report_figures_match_a_hand_count);

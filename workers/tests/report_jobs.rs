//! Report jobs in the real workers: readings stored through the telemetry queue, a report
//! requested as the API does, built by the report worker from a Redis queue, stored in
//! PostgreSQL, and read back by readers that are not ours (pdftotext, openpyxl).

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

use std::process::Command;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use tds_bus::{
    Event, EventBus, InboundMessage, QueueConfig, ReportJob, ReportQueue, TelemetryBatch,
    TelemetryQueue,
};
use tds_domain::DomainError;
use tds_domain::report_requests::{self as reports, NewReport, Selection};
use tds_entity::{ReportFormat, ReportKind, ReportPeriod, ReportState};
use tds_testkit::{
    Backend, TestDb, admin_of, eventually, forget_redis_namespace, hear_until, payload, seed_fleet,
    telemetry_topic,
};
use tds_workers::reports::ReportsConfig;
use tds_workers::service::WorkersConfig;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requested_report_is_built_stored_and_readable() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x78, 1, 2, false).await;
    let (other, _) = seed_fleet(&db.db, "UTC", 0x79, 1, 1, false).await;
    let gateway = &gateways[0];
    let tenant = admin_of(&db.db, account.id).await;
    let stranger = admin_of(&db.db, other.id).await;

    let tag = Uuid::new_v4().simple().to_string();
    let prefix = format!("tds-test:{tag}:");
    let mut telemetry = TelemetryQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}t")))
        .await
        .unwrap();
    let mut report_queue = ReportQueue::connect(&QueueConfig::new(REDIS, &format!("{prefix}r")))
        .await
        .unwrap();
    let events = EventBus::in_process();
    let mut announced = events.subscribe();
    let mut config = WorkersConfig::new(&format!("reports-{tag}"));
    config.offline_scan_every = Duration::from_secs(3600);
    config.reports = Some(ReportsConfig {
        name: format!("reports-{tag}"),
        queue: report_queue.clone(),
        concurrency: 2,
        mail: None,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(tds_workers::service::run(
        config,
        db.db.clone(),
        telemetry.clone(),
        events,
        async move {
            let _ = stopped.await;
        },
    ));

    // Two energy meters, a reading every hour of 2 May 2026: D01 climbs 10 kWh an
    // hour, D02 5 kWh (24 readings each, 23 steps of consumption inside the day).
    let day = Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap();
    let codes: Vec<String> = gateway.devices.iter().map(|(c, _)| c.clone()).collect();
    let messages: Vec<InboundMessage> = (0..24)
        .map(|h| InboundMessage {
            topic: telemetry_topic(&gateway.mac),
            payload: payload(
                &gateway.mac,
                day + chrono::Duration::hours(h),
                &[
                    (codes[0].as_str(), 1_000.0 + 10.0 * h as f64),
                    (codes[1].as_str(), 500.0 + 5.0 * h as f64),
                ],
            ),
            received_at: Utc::now(),
            truncated_from: None,
        })
        .collect();
    telemetry.push(TelemetryBatch { messages }).await.unwrap();
    eventually(Duration::from_secs(30), "the readings stored", || {
        let mut q = telemetry.clone();
        async move { q.backlog().await.unwrap() == 0 }
    })
    .await;

    let request = |format| NewReport {
        kind: ReportKind::Consumption,
        period: ReportPeriod::Custom,
        date: None,
        from: NaiveDate::from_ymd_opt(2026, 5, 2),
        to: NaiveDate::from_ymd_opt(2026, 5, 2),
        selection: Selection::Gateway(gateway.id),
        format,
    };
    let pdf = reports::request_report(&db.db, &tenant, request(ReportFormat::Pdf), Utc::now())
        .await
        .unwrap();
    let xlsx = reports::request_report(&db.db, &tenant, request(ReportFormat::Xlsx), Utc::now())
        .await
        .unwrap();
    for id in [pdf.id, xlsx.id] {
        report_queue
            .push(ReportJob { report_id: id })
            .await
            .unwrap();
    }
    for id in [pdf.id, xlsx.id] {
        let db = &db;
        let tenant = &tenant;
        eventually(Duration::from_secs(60), "the report built", || async move {
            let state = reports::get_report(&db.db, tenant, id).await.unwrap().state;
            assert_ne!(state, ReportState::Failed, "the report failed");
            state == ReportState::Done
        })
        .await;
    }

    // The PDF, read by poppler: the account and D01's 230 kWh in the account's locale.
    let done = reports::get_report(&db.db, &tenant, pdf.id).await.unwrap();
    assert!(done.pages.unwrap() >= 1);
    let file = reports::report_file(&db.db, &tenant, pdf.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(Some(file.size), done.file_size);
    assert!(
        file.file_name.ends_with("2026-05-02.pdf"),
        "{}",
        file.file_name
    );
    let dir = std::env::temp_dir().join(format!("tds-report-{tag}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.pdf");
    std::fs::write(&path, &file.content).unwrap();
    let text = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&account.name), "{text}");
    let total = if account.locale.starts_with("en") {
        "230.00"
    } else {
        "230,00"
    };
    assert!(text.contains(total), "{total} in {text}");

    // The workbook, read by openpyxl: one row per stored reading.
    let done = reports::get_report(&db.db, &tenant, xlsx.id).await.unwrap();
    assert_eq!(done.rows, Some(48));
    let file = reports::report_file(&db.db, &tenant, xlsx.id, Utc::now())
        .await
        .unwrap();
    let path = dir.join("r.xlsx");
    std::fs::write(&path, &file.content).unwrap();
    let script = "import openpyxl,sys\nwb=openpyxl.load_workbook(sys.argv[1])\nprint(wb.sheetnames[-1], wb[wb.sheetnames[-1]].max_row - 1)";
    let out = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.trim().ends_with(" 48"), "{out}");

    // Another account sees neither the report nor its file.
    assert!(matches!(
        reports::report_file(&db.db, &stranger, pdf.id, Utc::now()).await,
        Err(DomainError::NotFound(_))
    ));
    // The live view saw each report run and finish.
    let mut seen = Vec::new();
    hear_until(
        &mut announced,
        Duration::from_secs(10),
        "the report announced done",
        |event| {
            if let Event::ReportChanged {
                report_id, state, ..
            } = event
                && *report_id == pdf.id
            {
                seen.push(state.clone());
            }
            seen.last().map(String::as_str) == Some("DONE")
        },
    )
    .await;
    assert_eq!(
        seen.first().map(String::as_str),
        Some("RUNNING"),
        "{seen:?}"
    );
    assert_eq!(seen.last().map(String::as_str), Some("DONE"), "{seen:?}");

    // A replayed job changes nothing.
    report_queue
        .push(ReportJob { report_id: pdf.id })
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = stop.send(());
    forget_redis_namespace(REDIS, &prefix).await;
}

//! The XLSX export path end to end on PostgreSQL: 1,000,000 stored readings (100
//! devices × 10,000, inserted by SQL: this measures the export, not ingest) read by
//! [`ReadingCursor`] page by page into the constant-memory workbook, written to a file.
//! Prints one JSON object: seconds and the process's peak RSS (VmHWM).
//!
//! `cargo run -p tds-domain --example report_export [DEVICES_PER_GATEWAY_AND_GATEWAYS] [READINGS_PER_DEVICE]`
#![allow(clippy::unwrap_used)] // a measurement program: any failure is fatal

use std::time::Instant;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tds_domain::reports::{PeriodSpec, ReadingCursor, ReportRequest, Selection, build_report};
use tds_testkit::{Backend, TestDb, admin_of, seed_fleet};

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let side: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let per_device: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let db = TestDb::migrated(Backend::Postgres).await;
    let (account, _) = seed_fleet(&db.db, "America/Sao_Paulo", 0x77, side, side, false).await;
    // Every 4 minutes from 1 November, 00:00 in São Paulo: 10,000 readings fit the month.
    db.db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO readings (device_id, time, account_id, gateway_id, value, unit, raw) \
             SELECT d.id, timestamptz '2026-11-01 03:00:00+00' + g * interval '4 minutes', \
                    d.account_id, d.gateway_id, 1000 + g * 0.1, d.unit, '{}'::jsonb \
             FROM devices d, generate_series(0, $2 - 1) g WHERE d.account_id = $1",
            [account.id.into(), per_device.into()],
        ))
        .await
        .unwrap();
    db.db.execute_unprepared("ANALYZE readings").await.unwrap();
    let tenant = admin_of(&db.db, account.id).await;
    let rss_before = peak_rss_mib();
    let started = Instant::now();
    let request = ReportRequest {
        kind: tds_entity::ReportKind::Consumption,
        period: PeriodSpec::Month {
            year: 2026,
            month: 11,
        },
        selection: Selection::All,
    };
    let data = build_report(&db.db, &tenant, &request, Utc::now())
        .await
        .unwrap();
    let built = started.elapsed().as_secs_f64();
    let mut progress = |_: f64| {};
    let mut workbook = tds_reports::XlsxReport::new(&data, None, &mut progress).unwrap();
    let mut cursor = ReadingCursor::new(&tenant, &data, tds_domain::reports::DEFAULT_PAGE);
    loop {
        let page = cursor.next_page(&db.db).await.unwrap();
        if page.is_empty() {
            break;
        }
        workbook.push_readings(&page).unwrap();
    }
    let path = std::env::temp_dir().join(format!("tds-export-{}.xlsx", account.id));
    let file = std::fs::File::create(&path).unwrap();
    let meta = workbook.finish_to(std::io::BufWriter::new(file)).unwrap();
    println!(
        "{{\"rows\": {}, \"devices\": {}, \"build_report_s\": {built:.3}, \"total_s\": {:.2}, \"bytes\": {}, \"peak_rss_mib\": {:.1}, \"rss_before_mib\": {rss_before:.1}}}",
        meta.rows.unwrap_or(0),
        data.devices.len(),
        started.elapsed().as_secs_f64(),
        meta.size,
        peak_rss_mib(),
    );
    std::fs::remove_file(path).ok();
}

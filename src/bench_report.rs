//! `tds bench report`: last month's consumption report for a bench account, built the
//! way the report worker builds it (rollups and readings in PostgreSQL → report data →
//! renderer), once as a PDF and once as an XLSX whose Readings sheet holds every raw
//! reading. Seeding the account is timed apart and is not the measured figure; the data
//! is kept and reused by the next run when it still matches.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    Statement,
};
use tds_domain::Tenant;
use tds_domain::config::Settings;
use tds_domain::readings::MAX_CONSUMPTION_DEVICES;
use tds_domain::reports::{PeriodSpec, ReadingCursor, ReportRequest, Selection, build_report};
use tds_reports::{NoProgress, Period, PeriodKind, XlsxReport, render_pdf};
use tds_workers::reports::READINGS_PAGE;
use uuid::Uuid;

/// The bench account (found again by name, so a second run reuses its data).
const ACCOUNT: &str = "bench report";
/// MAC tag of its gateways (`02:5e:be:…`), see [`crate::simulate::ensure_fleet`].
const MAC_TAG: u8 = 0xbe;
/// Devices per bench gateway.
const DEVICES_PER_GATEWAY: u32 = 10;
/// Targets of the issue.
const PDF_TARGET_S: f64 = 1.0;
const XLSX_TARGET_S: f64 = 15.0;
const XLSX_TARGET_PEAK_MB: f64 = 300.0;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Devices in the report.
    pub devices: u32,
    /// Raw readings over the month, spread evenly over the devices.
    pub readings: u64,
}

/// Seeds (or reuses) the bench account, then measures the PDF and the XLSX.
pub async fn run(settings: Settings, scenario: Scenario) -> anyhow::Result<serde_json::Value> {
    let n = scenario.devices as usize;
    if n == 0 || n > MAX_CONSUMPTION_DEVICES || scenario.readings < u64::from(scenario.devices) {
        bail!("--devices must be 1..={MAX_CONSUMPTION_DEVICES} and --readings at least --devices");
    }
    let db = crate::cli::database(&settings).await?;
    if db.get_database_backend() != DatabaseBackend::Postgres {
        bail!("the report bench seeds with PostgreSQL SQL: point DATABASE_URL at PostgreSQL");
    }
    let fleet = crate::simulate::ensure_fleet(
        &db,
        ACCOUNT,
        MAC_TAG,
        scenario.devices.div_ceil(DEVICES_PER_GATEWAY),
        // Always full gateways: their capacity is set once, and a later run may want more.
        DEVICES_PER_GATEWAY,
    )
    .await
    .context("cannot set up the bench account (MACs 02:5e:be:… taken by another account?)")?;
    let tenant = Tenant::for_job(&db, fleet.account_id).await?;
    let tz = tenant
        .timezone()
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo);
    let spec = PeriodSpec::previous(PeriodKind::Month, Utc::now(), tz);
    let period = spec.resolve(tz)?;
    let devices = report_devices(&db, fleet.account_id, n).await?;

    let started = Instant::now();
    let reused = seed::ensure(&db, &tenant, &devices, &period, scenario.readings).await?;
    let seed_s = started.elapsed().as_secs_f64();
    let request = ReportRequest {
        kind: tds_entity::ReportKind::Consumption,
        period: spec,
        selection: Selection::Devices(devices),
    };

    // PDF first: the XLSX's peak is then its own once the high-water mark is reset.
    let stage = Stage::start(&db).await;
    let data = build_report(&db, &tenant, &request, Utc::now()).await?;
    let build_s = stage.started.elapsed().as_secs_f64();
    let pdf = tokio::task::spawn_blocking(move || render_pdf(&data, &mut NoProgress)).await??;
    let mut pdf_figures = stage.finish(&db).await;
    pdf_figures["build_s"] = round(build_s).into();
    pdf_figures["pages"] = pdf.meta.pages.into();
    pdf_figures["bytes"] = pdf.meta.size.into();
    drop(pdf);

    // The same steps as the worker's XLSX job (`tds_workers::reports`), file in memory.
    let stage = Stage::start(&db).await;
    let data = build_report(&db, &tenant, &request, Utc::now()).await?;
    let build_s = stage.started.elapsed().as_secs_f64();
    let mut cursor = ReadingCursor::new(&tenant, &data, READINGS_PAGE);
    let mut progress = NoProgress;
    let mut workbook = XlsxReport::new(&data, None, &mut progress)?;
    let (mut fetch, mut write) = (Duration::ZERO, Duration::ZERO);
    loop {
        let t = Instant::now();
        let page = cursor.next_page(&db).await?;
        fetch += t.elapsed();
        if page.is_empty() {
            break;
        }
        let t = Instant::now();
        tokio::task::block_in_place(|| workbook.push_readings(&page))?;
        write += t.elapsed();
    }
    let rows = workbook.rows();
    let t = Instant::now();
    let mut out = Vec::new();
    let meta = tokio::task::block_in_place(|| workbook.finish_to(&mut out))?;
    let finish_s = t.elapsed().as_secs_f64();
    let mut xlsx_figures = stage.finish(&db).await;
    drop(out);
    xlsx_figures["build_s"] = round(build_s).into();
    xlsx_figures["fetch_readings_s"] = round(fetch.as_secs_f64()).into();
    xlsx_figures["write_readings_s"] = round(write.as_secs_f64()).into();
    xlsx_figures["finish_s"] = round(finish_s).into();
    xlsx_figures["rows"] = rows.into();
    xlsx_figures["bytes"] = meta.size.into();

    let (pdf_s, xlsx_s) = (&pdf_figures["wall_s"], &xlsx_figures["wall_s"]);
    let xlsx_peak = &xlsx_figures["peak_rss_mb"];
    let met = serde_json::json!({
        "pdf_time": pdf_s.as_f64().map(|s| s <= PDF_TARGET_S),
        "xlsx_time": xlsx_s.as_f64().map(|s| s <= XLSX_TARGET_S),
        "xlsx_peak_rss": xlsx_peak.as_f64().map(|mb| mb <= XLSX_TARGET_PEAK_MB),
        "xlsx_rows": rows == scenario.readings,
    });
    Ok(serde_json::json!({
        "scenario": "report_generation",
        "devices": n,
        "readings": scenario.readings,
        "period": format!("{}..={}", period.first_day, period.last_day),
        "timezone": tenant.timezone(),
        "readings_page": READINGS_PAGE,
        "seed": {"reused": reused, "seconds": round(seed_s)},
        "peak_rss_source": "VmHWM of /proc/self/status, in MB (10^6 bytes)",
        "pdf": pdf_figures,
        "xlsx": xlsx_figures,
        "targets": {"pdf_s": PDF_TARGET_S, "xlsx_s": XLSX_TARGET_S, "xlsx_peak_rss_mb": XLSX_TARGET_PEAK_MB},
        "met": met,
    }))
}

fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The report's devices: the account's first `n`, by gateway code then device code.
async fn report_devices(
    db: &DatabaseConnection,
    account_id: Uuid,
    n: usize,
) -> anyhow::Result<Vec<Uuid>> {
    let gateways: HashMap<Uuid, String> = tds_entity::gateway::Entity::find()
        .filter(tds_entity::gateway::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.code))
        .collect();
    let mut devices: Vec<(String, String, Uuid)> = tds_entity::device::Entity::find()
        .filter(tds_entity::device::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            (
                gateways.get(&d.gateway_id).cloned().unwrap_or_default(),
                d.code,
                d.id,
            )
        })
        .collect();
    devices.sort();
    if devices.len() < n {
        bail!("the bench account has {} devices, not {n}", devices.len());
    }
    Ok(devices.into_iter().take(n).map(|d| d.2).collect())
}

/// Wall time, CPU (this process and the database's backends) and resident memory of
/// one stage.
struct Stage {
    started: Instant,
    cpu: Option<Duration>,
    postgres: HashMap<u32, Duration>,
    high_water_before_kb: Option<u64>,
    reset: bool,
}

impl Stage {
    async fn start(db: &DatabaseConnection) -> Self {
        let high_water_before_kb = memory::status_kb("VmHWM");
        let reset = memory::reset_high_water();
        let postgres = crate::cpu::postgres_backends(db).await;
        Self {
            started: Instant::now(),
            cpu: crate::cpu::own(),
            postgres,
            high_water_before_kb,
            reset,
        }
    }

    async fn finish(self, db: &DatabaseConnection) -> serde_json::Value {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = crate::cpu::own()
            .zip(self.cpu)
            .map(|(after, before)| round(after.saturating_sub(before).as_secs_f64()));
        let after = crate::cpu::postgres_backends(db).await;
        let postgres = (!after.is_empty())
            .then(|| round(crate::cpu::backends_delta(&self.postgres, &after).as_secs_f64()));
        let mb = |kb: Option<u64>| kb.map(|kb| round(kb as f64 * 1024.0 / 1e6));
        serde_json::json!({
            "wall_s": round(wall),
            "cpu_s_tds": cpu,
            "cpu_s_postgres": postgres,
            "vm_hwm_mb_before": mb(self.high_water_before_kb),
            // With the reset this is the stage's own peak; without it, the process's so far.
            "peak_rss_mb": mb(memory::status_kb("VmHWM")),
            "peak_rss_reset_before_stage": self.reset,
            "rss_mb_after": mb(memory::status_kb("VmRSS")),
        })
    }
}

/// This process's resident memory, from `/proc/self/status`.
mod memory {
    /// A `kB` line of `/proc/self/status` (`VmHWM`, `VmRSS`).
    pub fn status_kb(field: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Resets the peak resident size to the current one (Linux ≥ 4.0: "5" written to
    /// `clear_refs`); true when the kernel took it.
    pub fn reset_high_water() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
            && status_kb("VmHWM")
                .zip(status_kb("VmRSS"))
                .is_some_and(|(hwm, rss)| hwm <= rss + 1024)
    }
}

/// The bench account's readings and rollups, written in SQL on the server.
mod seed {
    use super::*;

    /// Makes `devices` hold `readings` readings spread evenly over `period`, with the
    /// rollups the telemetry worker would have written for them. True when the data was
    /// there already.
    pub async fn ensure(
        db: &DatabaseConnection,
        tenant: &Tenant,
        devices: &[Uuid],
        period: &Period,
        readings: u64,
    ) -> anyhow::Result<bool> {
        let account = tenant.account_id();
        let ids = devices.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>();
        let ids = ids.join(",");
        let (from, to) = (stamp(period.from), stamp(period.to));
        let check = format!(
            "SELECT (SELECT count(*) FROM readings WHERE account_id = '{account}' \
               AND device_id IN ({ids}) AND time >= {from} AND time < {to}) AS in_report, \
             (SELECT count(*) FROM readings WHERE account_id = '{account}') AS total, \
             (SELECT count(*) FROM rollups WHERE account_id = '{account}' AND period = 'DAY' \
               AND device_id IN ({ids}) AND bucket_start >= {from} AND bucket_start < {to}) AS days"
        );
        let row = db
            .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, check))
            .await?
            .context("the seed check returned no row")?;
        let count = |column: &str| row.try_get::<i64>("", column);
        let (in_report, total, days) = (count("in_report")?, count("total")?, count("days")?);
        let expected_days = (devices.len() * period.days().len()) as i64;
        if in_report == readings as i64 && total == in_report && days == expected_days {
            eprintln!("bench: reusing {readings} readings of account '{ACCOUNT}'");
            return Ok(true);
        }
        eprintln!(
            "bench: seeding {readings} readings over {} devices",
            devices.len()
        );
        db.execute_unprepared(&format!(
            "DELETE FROM rollups WHERE account_id = '{account}'; \
             DELETE FROM readings WHERE account_id = '{account}'"
        ))
        .await?;
        let span_ms = (period.to - period.from).num_milliseconds();
        let n = devices.len() as u64;
        // A cumulative register per device, 0.25 a step, evenly spaced over the month.
        for (chunk_index, chunk) in devices.chunks(10).enumerate() {
            let rows: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    let k = (chunk_index * 10 + i) as u64;
                    let per = readings / n + u64::from(k < readings % n);
                    format!(
                        "('{id}'::uuid, {per}::int8, {}::int8, {})",
                        span_ms / per as i64,
                        k + 1
                    )
                })
                .collect();
            db.execute_unprepared(&format!(
                "INSERT INTO readings (device_id, time, account_id, gateway_id, value, unit, raw) \
                 SELECT d.id, {from} + (i * s.step_ms) * interval '1 millisecond', d.account_id, \
                   d.gateway_id, 1000.0 * s.k + 0.25 * i, d.unit, jsonb_build_object( \
                   'dispositivo_codigo', d.code, 'valor', 1000.0 * s.k + 0.25 * i, 'unidade', d.unit) \
                 FROM (VALUES {}) AS s(id, n, step_ms, k) JOIN devices d ON d.id = s.id \
                 CROSS JOIN LATERAL generate_series(0, s.n - 1) AS i",
                rows.join(",")
            ))
            .await?;
        }
        // SPEC §2 as the worker applies it: a bucket's consumption is the sum of the
        // increases since the reading before (a drop counts 0); buckets in local time.
        let zone = tenant.timezone().replace('\'', "''");
        db.execute_unprepared(&format!(
            "INSERT INTO rollups (device_id, period, bucket_start, account_id, count, sum, min, max, \
               first_value, first_time, last_value, last_time, consumption, updated_at) \
             SELECT device_id, p.name, date_trunc(p.unit, time AT TIME ZONE '{zone}') AT TIME ZONE '{zone}', \
               account_id, count(*), sum(value), min(value), max(value), \
               (array_agg(value ORDER BY time))[1], min(time), \
               (array_agg(value ORDER BY time DESC))[1], max(time), \
               CASE WHEN bool_and(cumulative) THEN sum(step) END, now() \
             FROM (SELECT r.device_id, r.account_id, r.time, r.value, \
                     d.measurement = 'CUMULATIVE' AS cumulative, \
                     COALESCE(GREATEST(r.value - lag(r.value) OVER w, 0), 0) AS step \
                   FROM readings r JOIN devices d ON d.id = r.device_id \
                   WHERE r.account_id = '{account}' \
                   WINDOW w AS (PARTITION BY r.device_id ORDER BY r.time)) AS r \
             CROSS JOIN (VALUES ('HOUR', 'hour'), ('DAY', 'day'), ('MONTH', 'month')) AS p(name, unit) \
             GROUP BY 1, 2, 3, 4"
        ))
        .await?;
        // Statistics as a table that has lived would have them.
        db.execute_unprepared("ANALYZE readings; ANALYZE rollups")
            .await?;
        Ok(false)
    }

    fn stamp(t: DateTime<Utc>) -> String {
        format!("'{}'::timestamptz", t.to_rfc3339())
    }
}

//! The report job: QUEUED → RUNNING → DONE (the file stored in the database, where
//! every api replica serves it) or FAILED with a reason people can read. Progress is
//! recorded and announced as the renderer reports it.
//!
//! Rendering is CPU work that runs for seconds on a large export, so it runs on the
//! blocking pool, not on the async workers that carry telemetry.

use std::sync::Arc;

use apalis::prelude::{BoxDynError, Data};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tds_bus::{Event, EventBus, NotificationQueue, ReportJob, ReportQueue};
use tds_domain::auth::TokenKeys;
use tds_domain::report_requests::{self as requests, BuiltReport};
use tds_domain::reports::{ReadingCursor, build_report};
use tds_domain::{DomainError, Tenant};
use tds_entity::{ReportFormat, ReportState, report};
use tds_reports::{RenderError, XlsxReport, render_pdf};

/// Readings fetched per page for the Readings sheet.
pub const READINGS_PAGE: u64 = 10_000;

/// What the report worker needs.
#[derive(Clone)]
pub struct ReportsConfig {
    /// Worker name in the queue (stable per replica).
    pub name: String,
    /// The queue it consumes.
    pub queue: ReportQueue,
    /// Reports built at once.
    pub concurrency: usize,
    /// How scheduled reports reach their recipients; none: they are built, not sent,
    /// and their schedules say so.
    pub mail: Option<ReportMail>,
}

/// How scheduled reports are e-mailed.
#[derive(Clone)]
pub struct ReportMail {
    /// The notification queue.
    pub queue: NotificationQueue,
    /// Signs download links (the api's token key); none: files are only attached.
    pub keys: Option<TokenKeys>,
    /// Largest file attached; a larger one goes as a link.
    pub attach_max_bytes: i64,
}

impl std::fmt::Debug for ReportsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportsConfig")
            .field("name", &self.name)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// What a report job reaches.
#[derive(Clone)]
pub struct ReportContext {
    /// The database (reports, rollups, readings, stored files).
    pub db: DatabaseConnection,
    /// Where report changes are announced (`reportStatus`).
    pub events: EventBus,
    /// How scheduled reports are e-mailed.
    pub mail: Option<ReportMail>,
}

/// Why a report failed, as its reader sees it.
#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("the file could not be written: {0}")]
    Render(#[from] RenderError),
    #[error("the file could not be written: {0}")]
    Io(#[from] std::io::Error),
    #[error("the build stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error(
        "{0} readings are more than one workbook holds ({MAX_XLSX_READINGS}): choose fewer devices or a shorter period"
    )]
    TooLarge(i64),
}

async fn announce(events: &EventBus, report: &report::Model) {
    // A lost event only delays a live view: the state is in the database.
    if let Err(e) = events
        .publish(&Event::report_changed(report, Utc::now()))
        .await
    {
        tracing::warn!(report = %report.id, error = %e, "report change not announced");
    }
}

/// How long a report may keep failing on its database before it is FAILED for good
/// (a repeatable error must not rebuild it forever).
const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::minutes(30);

/// Most readings one workbook holds (its Readings sheets); more fail with a reason.
pub const MAX_XLSX_READINGS: i64 = 5_000_000;

/// How often a build says it is alive (well inside `requests::STALLED_AFTER`).
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(20);

/// Touches the report while its build runs, so no other worker takes it over.
async fn keep_building(db: DatabaseConnection, running: report::Model) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        match requests::keep_building(&db, &running, Utc::now()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(report = %running.id, error = %e, "report heartbeat failed"),
        }
    }
}

/// Runs one report job.
pub async fn handle(job: ReportJob, ctx: Data<ReportContext>) -> Result<(), BoxDynError> {
    let Some(running) = requests::start_report(&ctx.db, job.report_id, Utc::now()).await? else {
        // Done, failed or deleted already: a replayed job changes nothing.
        return Ok(());
    };
    announce(&ctx.events, &running).await;
    let heartbeat = tokio::spawn(keep_building(ctx.db.clone(), running.clone()));
    let outcome = build(&ctx, &running).await;
    heartbeat.abort();
    let now = Utc::now();
    let finished = match outcome {
        Ok(built) => requests::finish_report(&ctx.db, running.id, built, now).await?,
        Err(BuildError::Domain(DomainError::Database(e)))
            if now - running.created_at < GIVE_UP_AFTER =>
        {
            // The database went away: the job fails, and the report is queued again
            // once it looks stalled; past GIVE_UP_AFTER the error is its reason.
            crate::job_ran(tds_bus::JobKind::ReportBuild, "retried");
            return Err(Box::new(e));
        }
        Err(e) => {
            tracing::warn!(report = %running.id, error = %e, "report failed");
            requests::fail_report(&ctx.db, running.id, &e.to_string(), now).await?
        }
    };
    if let Some(report) = finished {
        let outcome = if report.state == ReportState::Done {
            "done"
        } else {
            "failed"
        };
        crate::job_ran(tds_bus::JobKind::ReportBuild, outcome);
        announce(&ctx.events, &report).await;
        match (report.schedule_id, report.state) {
            (Some(_), ReportState::Done) => {
                crate::report_runs::deliver_notice(&ctx, report.id).await;
            }
            (Some(schedule_id), _) => {
                let reason = format!(
                    "the report failed: {}",
                    report.error.as_deref().unwrap_or_default()
                );
                crate::report_runs::record_outcome(&ctx, schedule_id, Some(&reason)).await;
            }
            (None, _) => {}
        }
    }
    Ok(())
}

/// Progress into the database and onto the event stream, at most every 5 %.
fn progress_reporter(
    ctx: &ReportContext,
    report: &report::Model,
) -> impl FnMut(f64) + Send + 'static {
    let handle = tokio::runtime::Handle::current();
    let (db, events, mut row) = (ctx.db.clone(), ctx.events.clone(), report.clone());
    let last = Arc::new(std::sync::atomic::AtomicI32::new(0));
    move |done: f64| {
        let percent = (done.clamp(0.0, 1.0) * 99.0) as i32;
        if percent < last.load(std::sync::atomic::Ordering::Relaxed) + 5 {
            return;
        }
        last.store(percent, std::sync::atomic::Ordering::Relaxed);
        row.progress = percent;
        let (db, events, row) = (db.clone(), events.clone(), row.clone());
        handle.spawn(async move {
            if let Ok(true) = requests::report_progress(&db, row.id, percent, Utc::now()).await {
                announce(&events, &row).await;
            }
        });
    }
}

async fn build(ctx: &ReportContext, report: &report::Model) -> Result<BuiltReport, BuildError> {
    let tenant = Tenant::for_job(&ctx.db, report.account_id).await?;
    let tz = tenant
        .timezone()
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo);
    let spec = requests::build_spec(report, tz);
    let data = build_report(&ctx.db, &tenant, &spec, Utc::now()).await?;
    let mut progress = progress_reporter(ctx, report);
    let stem = file_stem(report, tz);
    match report.format {
        ReportFormat::Pdf => {
            let rendered =
                tokio::task::spawn_blocking(move || render_pdf(&data, &mut progress)).await??;
            Ok(BuiltReport {
                file_name: format!("{stem}.{}", rendered.meta.extension),
                content_type: rendered.meta.content_type.to_owned(),
                pages: rendered.meta.pages.and_then(|p| i32::try_from(p).ok()),
                rows: None,
                content: rendered.bytes,
            })
        }
        ReportFormat::Xlsx => {
            let readings: i64 = data.devices.iter().map(|d| d.completeness.received).sum();
            if readings > MAX_XLSX_READINGS {
                return Err(BuildError::TooLarge(readings));
            }
            let mut cursor = ReadingCursor::new(&tenant, &data, READINGS_PAGE);
            let mut workbook = XlsxReport::new(&data, None, &mut progress)?;
            loop {
                let page = cursor.next_page(&ctx.db).await?;
                if page.is_empty() {
                    break;
                }
                tokio::task::block_in_place(|| workbook.push_readings(&page))?;
            }
            let rows = workbook.rows();
            let mut out = Vec::new();
            let meta = tokio::task::block_in_place(|| workbook.finish_to(&mut out))?;
            Ok(BuiltReport {
                file_name: format!("{stem}.{}", meta.extension),
                content_type: meta.content_type.to_owned(),
                pages: None,
                rows: i64::try_from(rows).ok(),
                content: out,
            })
        }
    }
}

/// `consumo-2026-11` / `consumption-2026-11-30`: what the download is saved as.
fn file_stem(report: &report::Model, tz: chrono_tz::Tz) -> String {
    let first = report.range_start.with_timezone(&tz).date_naive();
    let name = if report.locale.to_ascii_lowercase().starts_with("en") {
        "consumption"
    } else {
        "consumo"
    };
    match report.period {
        tds_entity::ReportPeriod::Month => format!("{name}-{}", first.format("%Y-%m")),
        _ => format!("{name}-{}", first.format("%Y-%m-%d")),
    }
}

//! Reports as people request and follow them: QUEUED → RUNNING (with progress) → DONE
//! (a stored file, its size, SHA-256 and page or row count) or FAILED (a reason). The
//! api requests and lists; the report worker moves a report along.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_entity::{
    ReportFormat, ReportKind, ReportPeriod, ReportState, Role, account, device, report,
};
use uuid::Uuid;

use crate::devices::get_device;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::files::{self, NewFile, Purpose};
use crate::gateways::get_gateway;
use crate::page::{Page, PageRequest};
use crate::reports::PeriodSpec;
pub use crate::reports::Selection;
use crate::tenant::Tenant;
use tds_reports::PeriodKind;

/// Most devices one report names.
pub const MAX_DEVICES: usize = 1000;
/// Longest failure reason kept.
const MAX_ERROR_CHARS: usize = 2000;

/// What a report covers, before validation.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Consumption, or device comparison.
    pub kind: ReportKind,
    /// DAY, WEEK, MONTH (around `date`) or CUSTOM (`from` to `to`).
    pub period: ReportPeriod,
    /// A day inside the wanted period; none: the last finished one.
    pub date: Option<NaiveDate>,
    /// First day of a CUSTOM range (local).
    pub from: Option<NaiveDate>,
    /// Last day of a CUSTOM range, included (local).
    pub to: Option<NaiveDate>,
    /// Which devices.
    pub selection: Selection,
    /// PDF or XLSX.
    pub format: ReportFormat,
}

/// The DAY, WEEK or MONTH holding local day `date`.
fn around(period: ReportPeriod, date: NaiveDate) -> PeriodSpec {
    match period {
        ReportPeriod::Week => PeriodSpec::Week(date),
        ReportPeriod::Month => PeriodSpec::Month {
            year: date.year(),
            month: date.month(),
        },
        ReportPeriod::Day | ReportPeriod::Custom => PeriodSpec::Day(date),
    }
}

/// The last DAY, WEEK or MONTH that finished by `now` in `tz` (what a schedule reports).
pub fn last_finished(period: ReportPeriod, now: DateTime<Utc>, tz: Tz) -> PeriodSpec {
    let kind = match period {
        ReportPeriod::Week => PeriodKind::Week,
        ReportPeriod::Month => PeriodKind::Month,
        ReportPeriod::Day | ReportPeriod::Custom => PeriodKind::Day,
    };
    PeriodSpec::previous(kind, now, tz)
}

fn zone(account: &account::Model) -> Tz {
    account
        .timezone
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo)
}

/// The range a request covers, with every wrong field reported.
fn requested_range(
    req: &NewReport,
    tz: Tz,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let spec = match (req.period, req.from, req.to) {
        (ReportPeriod::Custom, Some(first), Some(last)) => PeriodSpec::Custom { first, last },
        (ReportPeriod::Custom, from, to) => {
            if from.is_none() {
                errors.push(FieldError::new("from", "required for a CUSTOM period"));
            }
            if to.is_none() {
                errors.push(FieldError::new("to", "required for a CUSTOM period"));
            }
            return None;
        }
        (period, ..) => req
            .date
            .map_or_else(|| last_finished(period, now, tz), |d| around(period, d)),
    };
    match spec.resolve(tz) {
        Ok(period) => Some((period.from, period.to)),
        Err(DomainError::Validation(mut wrong)) => {
            errors.append(&mut wrong);
            None
        }
        Err(other) => {
            errors.push(FieldError::new("period", other.to_string()));
            None
        }
    }
}

/// Checks that a selection names only the caller's devices or gateway.
async fn checked_selection(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    selection: &Selection,
    errors: &mut Vec<FieldError>,
) -> DomainResult<(Vec<Uuid>, Option<Uuid>)> {
    match selection {
        Selection::All => Ok((Vec::new(), None)),
        Selection::Gateway(id) => {
            get_gateway(db, tenant, *id).await?;
            Ok((Vec::new(), Some(*id)))
        }
        Selection::Devices(ids) => {
            if ids.is_empty() {
                errors.push(FieldError::new("deviceIds", "name at least one device"));
            }
            if ids.len() > MAX_DEVICES {
                errors.push(FieldError::new(
                    "deviceIds",
                    format!("at most {MAX_DEVICES} devices"),
                ));
                return Ok((Vec::new(), None));
            }
            let mut unique: Vec<Uuid> = Vec::with_capacity(ids.len());
            for id in ids {
                if !unique.contains(id) {
                    unique.push(*id);
                }
            }
            let found = device::Entity::find()
                .filter(device::Column::AccountId.eq(tenant.account_id))
                .filter(device::Column::Id.is_in(unique.iter().copied()))
                .count(db)
                .await?;
            if usize::try_from(found).ok() != Some(unique.len()) {
                // Which one is not the caller's is not told apart from not existing.
                for id in &unique {
                    get_device(db, tenant, *id).await?;
                }
            }
            Ok((unique, None))
        }
    }
}

/// Queues a report (EDITOR). The report worker picks it up from the queue the caller
/// pushes its id to.
pub async fn request_report(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    req: NewReport,
    now: DateTime<Utc>,
) -> DomainResult<report::Model> {
    tenant.require(Role::Editor)?;
    let account = account::Entity::find_by_id(tenant.account_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    let mut errors = Vec::new();
    let range = requested_range(&req, zone(&account), now, &mut errors);
    let (device_ids, gateway_id) =
        checked_selection(db, tenant, &req.selection, &mut errors).await?;
    let Some((start, end)) = range.filter(|_| errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    insert_report(
        db,
        &account,
        &req,
        start,
        end,
        device_ids,
        gateway_id,
        None,
        Some(tenant.user_id),
        now,
    )
    .await
}

/// Inserts a QUEUED report (a request, or a schedule's run).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_report(
    db: &impl ConnectionTrait,
    account: &account::Model,
    req: &NewReport,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    device_ids: Vec<Uuid>,
    gateway_id: Option<Uuid>,
    schedule_id: Option<Uuid>,
    requested_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<report::Model> {
    Ok(report::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account.id),
        kind: Set(req.kind),
        period: Set(req.period),
        range_start: Set(start),
        range_end: Set(end),
        device_ids: Set(serde_json::json!(device_ids)),
        format: Set(req.format),
        state: Set(ReportState::Queued),
        file_path: Set(None),
        file_size: Set(None),
        file_sha256: Set(None),
        error: Set(None),
        schedule_id: Set(schedule_id),
        requested_by: Set(requested_by),
        completed_at: Set(None),
        progress: Set(0),
        file_id: Set(None),
        pages: Set(None),
        rows: Set(None),
        gateway_id: Set(gateway_id),
        locale: Set(account.locale.clone()),
        expires_at: Set(None),
        started_at: Set(None),
        notify_due_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// One of the caller's reports.
pub async fn get_report(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<report::Model> {
    report::Entity::find_by_id(id)
        .filter(report::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("report"))
}

/// A page of the caller's reports, newest first.
pub async fn list_reports(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    page: PageRequest,
) -> DomainResult<Page<report::Model>> {
    let mut query = report::Entity::find().filter(report::Column::AccountId.eq(tenant.account_id));
    if let Some(after) = page.after {
        query = query.filter(report::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(report::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// The devices a report covers, as its selection names them.
pub fn selection_of(report: &report::Model) -> Selection {
    selection_from(&report.device_ids, report.gateway_id)
}

/// A selection from its stored columns (device ids as a JSON array, or a gateway).
pub fn selection_from(device_ids: &serde_json::Value, gateway_id: Option<Uuid>) -> Selection {
    if let Some(gateway) = gateway_id {
        return Selection::Gateway(gateway);
    }
    let ids: Vec<Uuid> = serde_json::from_value(device_ids.clone()).unwrap_or_default();
    if ids.is_empty() {
        Selection::All
    } else {
        Selection::Devices(ids)
    }
}

/// A RUNNING report untouched this long was left by a worker that stopped: its build
/// reports progress far more often than this.
pub const STALLED_AFTER: Duration = Duration::minutes(2);

/// The worker takes a report: QUEUED, or RUNNING but stalled (see [`STALLED_AFTER`]),
/// becomes RUNNING. `None` when it is DONE or FAILED already (a replayed job), being
/// built elsewhere, or gone.
pub async fn start_report(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<report::Model>> {
    let takeable = Condition::any()
        .add(report::Column::State.eq(ReportState::Queued))
        .add(
            Condition::all()
                .add(report::Column::State.eq(ReportState::Running))
                .add(report::Column::UpdatedAt.lt(now - STALLED_AFTER)),
        );
    let done = report::Entity::update_many()
        .col_expr(report::Column::State, Expr::value(ReportState::Running))
        .col_expr(report::Column::Progress, Expr::value(0))
        .col_expr(report::Column::StartedAt, Expr::value(now))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(id))
        .filter(takeable)
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    Ok(report::Entity::find_by_id(id).one(db).await?)
}

/// Reports a worker should be building but is not: QUEUED or RUNNING, untouched for
/// [`STALLED_AFTER`] (their job was lost with the queue, or their worker stopped). The
/// workers queue them again; taking one twice is harmless (see [`start_report`]). A
/// QUEUED one is marked as touched, so a long backlog is not queued again every tick.
pub async fn stranded_reports(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<Uuid>> {
    let stranded: Vec<Uuid> = report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .filter(report::Column::State.is_in([ReportState::Queued, ReportState::Running]))
        .filter(report::Column::UpdatedAt.lt(now - STALLED_AFTER))
        .order_by_asc(report::Column::UpdatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if !stranded.is_empty() {
        report::Entity::update_many()
            .col_expr(report::Column::UpdatedAt, Expr::value(now))
            .filter(report::Column::Id.is_in(stranded.iter().copied()))
            .filter(report::Column::State.eq(ReportState::Queued))
            .exec(db)
            .await?;
    }
    Ok(stranded)
}

/// Records how far a RUNNING report got (0–100); false when it is RUNNING no more (a
/// late progress write must not be announced after DONE or FAILED).
pub async fn report_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    percent: i32,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let done = report::Entity::update_many()
        .col_expr(report::Column::Progress, Expr::value(percent.clamp(0, 100)))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::State.eq(ReportState::Running))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A built report's file and counts.
#[derive(Debug, Clone)]
pub struct BuiltReport {
    /// The file's name for downloads.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// Pages of a PDF.
    pub pages: Option<i32>,
    /// Rows of a spreadsheet's readings sheet.
    pub rows: Option<i64>,
}

/// Stores a RUNNING report's file and marks it DONE, kept for the account's report
/// retention. `None` when it is no longer RUNNING (then nothing is stored).
pub async fn finish_report(
    db: &sea_orm::DatabaseConnection,
    id: Uuid,
    built: BuiltReport,
    now: DateTime<Utc>,
) -> DomainResult<Option<report::Model>> {
    let txn = db.begin().await?;
    let Some(current) = report::Entity::find_by_id(id)
        .filter(report::Column::State.eq(ReportState::Running))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let retention = account::Entity::find_by_id(current.account_id)
        .one(&txn)
        .await?
        .map_or(crate::accounts::DEFAULT_REPORT_RETENTION_DAYS, |a| {
            a.report_retention_days
        });
    let expires_at = now + Duration::days(i64::from(retention.max(1)));
    let file = files::store_file(
        &txn,
        NewFile {
            id: None,
            account_id: current.account_id,
            purpose: Purpose::Report,
            file_name: built.file_name,
            content_type: built.content_type,
            content: built.content,
            expires_at,
        },
        now,
    )
    .await?;
    // Compared and set in one statement: of two builders finishing at once (one took
    // over a stalled build), one marks it DONE; the other's file is rolled back.
    let marked = report::Entity::update_many()
        .col_expr(report::Column::State, Expr::value(ReportState::Done))
        .col_expr(report::Column::Progress, Expr::value(100))
        .col_expr(report::Column::FileId, Expr::value(file.id))
        .col_expr(report::Column::FileSize, Expr::value(file.size))
        .col_expr(report::Column::FileSha256, Expr::value(file.sha256.clone()))
        .col_expr(report::Column::Pages, Expr::value(built.pages))
        .col_expr(report::Column::Rows, Expr::value(built.rows))
        .col_expr(report::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(report::Column::CompletedAt, Expr::value(now))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            report::Column::NotifyDueAt,
            Expr::value(current.schedule_id.map(|_| now)),
        )
        .filter(report::Column::Id.eq(current.id))
        .filter(report::Column::State.eq(ReportState::Running))
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Ok(None);
    }
    let done = report::Entity::find_by_id(current.id).one(&txn).await?;
    txn.commit().await?;
    Ok(done)
}

/// How long a claim on a scheduled report's e-mails lasts: a worker that dies while
/// queueing them leaves them to the sweep after this.
pub const NOTICE_LEASE: Duration = Duration::minutes(5);

/// Scheduled reports whose e-mails are due by `now` and not queued yet (oldest first).
pub async fn notices_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<Uuid>> {
    Ok(report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .filter(report::Column::NotifyDueAt.lte(now))
        .order_by_asc(report::Column::NotifyDueAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Takes the e-mails of a scheduled report for [`NOTICE_LEASE`]: one process queues
/// them. `None` when they are not due (queued already, or claimed by another).
pub async fn claim_notice(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<report::Model>> {
    let claimed = report::Entity::update_many()
        .col_expr(report::Column::NotifyDueAt, Expr::value(now + NOTICE_LEASE))
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::NotifyDueAt.lte(now))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(report::Entity::find_by_id(id).one(db).await?)
}

/// The e-mails of a scheduled report are queued (or cannot be, for a reason its schedule
/// shows): nothing is due any more.
pub async fn notice_done(db: &impl ConnectionTrait, id: Uuid) -> DomainResult<()> {
    report::Entity::update_many()
        .col_expr(
            report::Column::NotifyDueAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(report::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Keeps a RUNNING report from looking stalled while its build goes on (see
/// [`STALLED_AFTER`]); false when it is no longer this build's to keep.
pub async fn keep_building(
    db: &impl ConnectionTrait,
    running: &report::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let touched = report::Entity::update_many()
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(running.id))
        .filter(report::Column::State.eq(ReportState::Running))
        .filter(report::Column::StartedAt.eq(running.started_at))
        .exec(db)
        .await?;
    Ok(touched.rows_affected == 1)
}

/// Marks a QUEUED or RUNNING report FAILED with a reason people can read.
pub async fn fail_report(
    db: &impl ConnectionTrait,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<Option<report::Model>> {
    let reason: String = reason.chars().take(MAX_ERROR_CHARS).collect();
    let done = report::Entity::update_many()
        .col_expr(report::Column::State, Expr::value(ReportState::Failed))
        .col_expr(report::Column::Error, Expr::value(reason))
        .col_expr(report::Column::CompletedAt, Expr::value(now))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::State.is_in([ReportState::Queued, ReportState::Running]))
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Ok(None);
    }
    Ok(report::Entity::find_by_id(id).one(db).await?)
}

/// What the report worker builds for a stored report: its kind, its days as the
/// request named them (the range in the account's zone) and its selection.
pub fn build_spec(report: &report::Model, tz: Tz) -> crate::reports::ReportRequest {
    use crate::reports::PeriodSpec;
    let first = report.range_start.with_timezone(&tz).date_naive();
    let last = (report.range_end - Duration::seconds(1))
        .with_timezone(&tz)
        .date_naive();
    let period = match report.period {
        ReportPeriod::Day => PeriodSpec::Day(first),
        ReportPeriod::Week => PeriodSpec::Week(first),
        ReportPeriod::Month => PeriodSpec::Month {
            year: first.year(),
            month: first.month(),
        },
        ReportPeriod::Custom => PeriodSpec::Custom { first, last },
    };
    crate::reports::ReportRequest {
        kind: report.kind,
        period,
        selection: selection_of(report),
    }
}

/// The stored file of one of the caller's DONE reports; an expired one is not found.
pub async fn report_file(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<tds_entity::stored_file::Model> {
    let report = get_report(db, tenant, id).await?;
    let file_id = report.file_id.ok_or(DomainError::NotFound("report file"))?;
    files::get_file(db, tenant, file_id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn periods_follow_the_local_calendar() {
        let tz: Tz = chrono_tz::America::Sao_Paulo;
        let range = |period, date| {
            let p = around(period, date)
                .resolve(tz)
                .unwrap_or_else(|e| panic!("{e}"));
            (p.from, p.to)
        };
        let (start, end) = range(ReportPeriod::Month, day(2026, 2, 18));
        assert_eq!(start.to_rfc3339(), "2026-02-01T03:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-03-01T03:00:00+00:00");
        // 2026-12-02 is a Wednesday: its week runs from Monday the 30th of November.
        let (start, end) = range(ReportPeriod::Week, day(2026, 12, 2));
        assert_eq!(start.to_rfc3339(), "2026-11-30T03:00:00+00:00");
        assert_eq!(end - start, Duration::days(7));
    }

    #[test]
    fn the_last_finished_period_ends_before_today() {
        let tz: Tz = chrono_tz::America::Sao_Paulo;
        // 01:00 UTC on 1 December is still 30 November in São Paulo.
        let now: DateTime<Utc> = "2026-12-01T01:00:00Z".parse().unwrap_or_default();
        assert_eq!(
            last_finished(ReportPeriod::Day, now, tz),
            PeriodSpec::Day(day(2026, 11, 29))
        );
        assert_eq!(
            last_finished(ReportPeriod::Month, now, tz),
            PeriodSpec::Month {
                year: 2026,
                month: 10
            }
        );
        let later: DateTime<Utc> = "2026-12-01T04:00:00Z".parse().unwrap_or_default();
        assert_eq!(
            last_finished(ReportPeriod::Month, later, tz),
            PeriodSpec::Month {
                year: 2026,
                month: 11
            }
        );
    }
}

//! Report schedules: a cron expression in the account's time zone, a period relative to
//! the run (the last finished day, week or month), a format and the recipients the file
//! is e-mailed to. EDITOR edits them; VIEWER reads. Each run is a report like a requested
//! one, and a run that failed shows on its schedule.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_entity::{ReportFormat, ReportKind, ReportPeriod, Role, account, report, report_schedule};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, FieldError};
use crate::report_requests::{NewReport, Selection, insert_report, last_finished, selection_from};
use crate::tenant::Tenant;
use crate::values::{Email, parse_name};

/// Most recipients of one schedule.
pub const MAX_RECIPIENTS: usize = 20;
/// Longest failure reason kept on a schedule.
const MAX_ERROR_CHARS: usize = 2000;

/// A schedule as its editor writes it, before validation.
#[derive(Debug, Clone)]
pub struct ScheduleDraft {
    /// Display name.
    pub name: String,
    /// Six fields, seconds first (`0 0 6 1 * *`: 06:00 on the 1st), account's zone.
    pub cron: String,
    /// Consumption, or device comparison.
    pub kind: ReportKind,
    /// DAY, WEEK or MONTH: the last one finished when the run starts.
    pub period: ReportPeriod,
    /// Which devices.
    pub selection: Selection,
    /// PDF or XLSX.
    pub format: ReportFormat,
    /// Who receives the file.
    pub recipients: Vec<String>,
    /// Whether it runs.
    pub enabled: bool,
}

/// The next time `cron` fires after `after`, in `tz`; the error says what is wrong with it.
pub fn next_run(cron: &str, tz: Tz, after: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let fields = cron.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "six fields, seconds first (e.g. '0 0 6 1 * *'); this has {fields}"
        ));
    }
    let schedule = cron::Schedule::from_str(cron).map_err(|e| e.to_string())?;
    schedule
        .after(&after.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| "never fires".to_owned())
}

fn zone(account: &account::Model) -> Tz {
    account
        .timezone
        .parse()
        .unwrap_or(chrono_tz::America::Sao_Paulo)
}

async fn account_of(db: &impl ConnectionTrait, id: Uuid) -> DomainResult<account::Model> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("account"))
}

/// A validated draft as columns: (name, cron, recipients, device ids, gateway, next run).
struct Checked {
    name: String,
    cron: String,
    recipients: Vec<String>,
    device_ids: Vec<Uuid>,
    gateway_id: Option<Uuid>,
    next_run_at: Option<DateTime<Utc>>,
}

async fn check(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    draft: &ScheduleDraft,
    tz: Tz,
    now: DateTime<Utc>,
) -> DomainResult<Checked> {
    let mut errors = Vec::new();
    let name = parse_name(&draft.name).unwrap_or_else(|m| {
        errors.push(FieldError::new("name", m));
        String::new()
    });
    let cron = draft.cron.split_whitespace().collect::<Vec<_>>().join(" ");
    let next = next_run(&cron, tz, now)
        .map_err(|m| errors.push(FieldError::new("cron", m)))
        .ok();
    if draft.period == ReportPeriod::Custom {
        errors.push(FieldError::new(
            "period",
            "a schedule reports the last DAY, WEEK or MONTH",
        ));
    }
    let mut recipients: Vec<String> = Vec::new();
    if draft.recipients.is_empty() {
        errors.push(FieldError::new("recipients", "name at least one address"));
    }
    if draft.recipients.len() > MAX_RECIPIENTS {
        errors.push(FieldError::new(
            "recipients",
            format!("at most {MAX_RECIPIENTS} addresses"),
        ));
    }
    for (i, raw) in draft.recipients.iter().enumerate() {
        match Email::parse(raw) {
            Ok(e) if recipients.iter().any(|r| r == e.as_str()) => {}
            Ok(e) => recipients.push(e.as_str().to_owned()),
            Err(m) => errors.push(FieldError::new(&format!("recipients[{i}]"), m)),
        }
    }
    let (device_ids, gateway_id) = match &draft.selection {
        Selection::All => (Vec::new(), None),
        Selection::Gateway(id) => {
            crate::gateways::get_gateway(db, tenant, *id).await?;
            (Vec::new(), Some(*id))
        }
        Selection::Devices(ids) => {
            if ids.is_empty() {
                errors.push(FieldError::new("deviceIds", "name at least one device"));
            }
            for id in ids {
                crate::devices::get_device(db, tenant, *id).await?;
            }
            (ids.clone(), None)
        }
    };
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    Ok(Checked {
        name,
        cron,
        recipients,
        device_ids,
        gateway_id,
        next_run_at: draft.enabled.then_some(next).flatten(),
    })
}

/// The caller's schedules, by name.
pub async fn list_schedules(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> DomainResult<Vec<report_schedule::Model>> {
    Ok(report_schedule::Entity::find()
        .filter(report_schedule::Column::AccountId.eq(tenant.account_id))
        .order_by_asc(report_schedule::Column::Name)
        .order_by_asc(report_schedule::Column::Id)
        .all(db)
        .await?)
}

/// One of the caller's schedules.
pub async fn get_schedule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<report_schedule::Model> {
    report_schedule::Entity::find_by_id(id)
        .filter(report_schedule::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("report schedule"))
}

/// Creates a schedule (EDITOR).
pub async fn create_schedule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    draft: ScheduleDraft,
    now: DateTime<Utc>,
) -> DomainResult<report_schedule::Model> {
    tenant.require(Role::Editor)?;
    let account = account_of(db, tenant.account_id).await?;
    let c = check(db, tenant, &draft, zone(&account), now).await?;
    Ok(report_schedule::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(tenant.account_id),
        name: Set(c.name),
        cron: Set(c.cron),
        kind: Set(draft.kind),
        period: Set(draft.period),
        device_ids: Set(serde_json::json!(c.device_ids)),
        gateway_id: Set(c.gateway_id),
        format: Set(draft.format),
        recipients: Set(serde_json::json!(c.recipients)),
        enabled: Set(draft.enabled),
        last_run_at: Set(None),
        next_run_at: Set(c.next_run_at),
        last_report_id: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(tenant.user_id)),
    }
    .insert(db)
    .await?)
}

/// Replaces a schedule's settings (EDITOR); its next run is computed again.
pub async fn update_schedule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    draft: ScheduleDraft,
    now: DateTime<Utc>,
) -> DomainResult<report_schedule::Model> {
    tenant.require(Role::Editor)?;
    let current = get_schedule(db, tenant, id).await?;
    let account = account_of(db, tenant.account_id).await?;
    let c = check(db, tenant, &draft, zone(&account), now).await?;
    let mut row: report_schedule::ActiveModel = current.into();
    row.name = Set(c.name);
    row.cron = Set(c.cron);
    row.kind = Set(draft.kind);
    row.period = Set(draft.period);
    row.device_ids = Set(serde_json::json!(c.device_ids));
    row.gateway_id = Set(c.gateway_id);
    row.format = Set(draft.format);
    row.recipients = Set(serde_json::json!(c.recipients));
    row.enabled = Set(draft.enabled);
    row.next_run_at = Set(c.next_run_at);
    row.updated_at = Set(now);
    Ok(row.update(db).await?)
}

/// Deletes a schedule (EDITOR); the reports it made stay.
pub async fn delete_schedule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<()> {
    tenant.require(Role::Editor)?;
    let current = get_schedule(db, tenant, id).await?;
    report_schedule::Entity::delete_by_id(current.id)
        .exec(db)
        .await?;
    Ok(())
}

/// The recipients a schedule e-mails.
pub fn recipients_of(schedule: &report_schedule::Model) -> Vec<String> {
    serde_json::from_value(schedule.recipients.clone()).unwrap_or_default()
}

/// Starts every enabled schedule due by `now` (at most `limit`): each gets a QUEUED
/// report of its last finished period and its next run. A schedule is taken by one
/// process only (its due time is compared and moved in one statement). Returns the
/// reports to build.
pub async fn start_due_schedules(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<report::Model>> {
    let due = report_schedule::Entity::find()
        .filter(report_schedule::Column::Enabled.eq(true))
        .filter(report_schedule::Column::NextRunAt.lte(now))
        .order_by_asc(report_schedule::Column::NextRunAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut started = Vec::new();
    for schedule in due {
        let txn = db.begin().await?;
        let account = account_of(&txn, schedule.account_id).await?;
        let tz = zone(&account);
        let next = next_run(&schedule.cron, tz, now).ok();
        let taken = report_schedule::Entity::update_many()
            .col_expr(report_schedule::Column::NextRunAt, Expr::value(next))
            .col_expr(report_schedule::Column::LastRunAt, Expr::value(now))
            .col_expr(report_schedule::Column::UpdatedAt, Expr::value(now))
            .filter(report_schedule::Column::Id.eq(schedule.id))
            .filter(report_schedule::Column::NextRunAt.eq(schedule.next_run_at))
            .exec(&txn)
            .await?;
        if taken.rows_affected == 0 {
            continue;
        }
        let period = last_finished(schedule.period, now, tz).resolve(tz)?;
        let (start, end) = (period.from, period.to);
        let selection = selection_from(&schedule.device_ids, schedule.gateway_id);
        let request = NewReport {
            kind: schedule.kind,
            period: schedule.period,
            date: Some(period.first_day),
            from: None,
            to: None,
            selection,
            format: schedule.format,
        };
        let created = insert_report(
            &txn,
            &account,
            &request,
            start,
            end,
            match &request.selection {
                Selection::Devices(ids) => ids.clone(),
                _ => Vec::new(),
            },
            schedule.gateway_id,
            Some(schedule.id),
            None,
            now,
        )
        .await?;
        report_schedule::Entity::update_many()
            .col_expr(
                report_schedule::Column::LastReportId,
                Expr::value(created.id),
            )
            .filter(report_schedule::Column::Id.eq(schedule.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        started.push(created);
    }
    Ok(started)
}

/// Records the outcome of a schedule's run: `None` clears the last error.
pub async fn record_schedule_outcome(
    db: &impl ConnectionTrait,
    schedule_id: Uuid,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let error: Option<String> = error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect());
    report_schedule::Entity::update_many()
        .col_expr(report_schedule::Column::LastError, Expr::value(error))
        .col_expr(report_schedule::Column::UpdatedAt, Expr::value(now))
        .filter(report_schedule::Column::Id.eq(schedule_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_fires_in_the_accounts_zone() {
        let tz: Tz = chrono_tz::America::Sao_Paulo;
        let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap_or_default();
        // 06:00 on the 1st in São Paulo is 09:00 UTC: already past today, so January.
        let next = next_run("0 0 6 1 * *", tz, now);
        assert_eq!(
            next.map(|t| t.to_rfc3339()),
            Ok("2027-01-01T09:00:00+00:00".to_owned())
        );
        assert!(next_run("0 6 1 * *", tz, now).is_err_and(|e| e.contains("six fields")));
        assert!(next_run("0 0 25 * * *", tz, now).is_err());
    }
}

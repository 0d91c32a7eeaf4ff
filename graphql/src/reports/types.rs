//! The report objects, enums and inputs of the API.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use tds_domain::downloads::{self, BROWSER_LINK_TTL, DownloadGrant};
use tds_domain::report_requests::{self as requests, Selection};
use tds_domain::{DomainError, FieldError, report_schedules as schedules};
use tds_entity::{report, report_schedule};
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::parse_id;

/// What a report shows.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::ReportKind")]
pub enum ReportKind {
    /// Consumption per device, totals per kind, a daily series and completeness.
    Consumption,
    /// Devices side by side, ranked by consumption.
    DeviceComparison,
}

/// The period a report covers, in the account's time zone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::ReportPeriod")]
pub enum ReportPeriod {
    /// One day.
    Day,
    /// One week, Monday to Sunday.
    Week,
    /// One calendar month.
    Month,
    /// `from` to `to`, both days included.
    Custom,
}

/// File format of a report.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::ReportFormat")]
pub enum ReportFormat {
    /// PDF document.
    Pdf,
    /// Excel workbook (Summary, Daily and Readings sheets).
    Xlsx,
}

/// Where a report is in its life.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::ReportState")]
pub enum ReportState {
    /// Waiting for a worker.
    Queued,
    /// Being built (`progress`).
    Running,
    /// The file is ready (`downloadUrl`).
    Done,
    /// Could not be built (`error`).
    Failed,
}

/// Which devices: exactly one of `deviceIds`, `gatewayId` or `all: true`.
pub(super) fn selection(
    device_ids: Option<Vec<ID>>,
    gateway_id: Option<ID>,
    all: Option<bool>,
) -> ApiResult<Selection> {
    match (device_ids, gateway_id, all.unwrap_or(false)) {
        (Some(ids), None, false) => Ok(Selection::Devices(
            ids.iter()
                .map(|id| parse_id(id, "device"))
                .collect::<ApiResult<_>>()?,
        )),
        (None, Some(id), false) => Ok(Selection::Gateway(parse_id(&id, "gateway")?)),
        (None, None, true) => Ok(Selection::All),
        _ => Err(DomainError::Validation(vec![FieldError::new(
            "deviceIds",
            "choose the devices: exactly one of deviceIds, gatewayId or all: true",
        )])
        .into()),
    }
}

/// A report to build.
#[derive(InputObject)]
pub struct RequestReportInput {
    /// What it shows (CONSUMPTION by default).
    #[graphql(default_with = "ReportKind::Consumption")]
    pub kind: ReportKind,
    /// DAY, WEEK or MONTH around `date`, or CUSTOM from `from` to `to`.
    pub period: ReportPeriod,
    /// A day inside the wanted DAY, WEEK or MONTH; left out: the last one finished.
    pub date: Option<NaiveDate>,
    /// First day of a CUSTOM period (account's zone).
    pub from: Option<NaiveDate>,
    /// Last day of a CUSTOM period, included.
    pub to: Option<NaiveDate>,
    /// These devices (at most 1,000).
    pub device_ids: Option<Vec<ID>>,
    /// Every device of this gateway.
    pub gateway_id: Option<ID>,
    /// Every device of the account.
    pub all: Option<bool>,
    /// PDF or XLSX.
    pub format: ReportFormat,
}

/// A schedule's settings (all of them, on create and on update).
#[derive(InputObject)]
pub struct ReportScheduleInput {
    /// Shown in lists and in the e-mail's subject.
    pub name: String,
    /// When it runs, six fields with seconds first, in the account's zone
    /// (`0 0 6 1 * *`: 06:00 on the 1st of each month).
    pub cron: String,
    /// What the report shows (CONSUMPTION by default).
    #[graphql(default_with = "ReportKind::Consumption")]
    pub kind: ReportKind,
    /// The period before the run it covers: DAY, WEEK or MONTH.
    pub period: ReportPeriod,
    /// PDF or XLSX.
    pub format: ReportFormat,
    /// These devices.
    pub device_ids: Option<Vec<ID>>,
    /// Every device of this gateway.
    pub gateway_id: Option<ID>,
    /// Every device of the account.
    pub all: Option<bool>,
    /// Who receives it (at most 20 addresses).
    pub recipients: Vec<String>,
    /// Off: it does not run.
    #[graphql(default = true)]
    pub enabled: bool,
}

impl ReportScheduleInput {
    pub(super) fn draft(self) -> ApiResult<schedules::ScheduleDraft> {
        Ok(schedules::ScheduleDraft {
            selection: selection(self.device_ids, self.gateway_id, self.all)?,
            name: self.name,
            cron: self.cron,
            kind: self.kind.into(),
            period: self.period.into(),
            format: self.format.into(),
            recipients: self.recipients,
            enabled: self.enabled,
        })
    }
}

fn ids(json: &serde_json::Value) -> Vec<ID> {
    serde_json::from_value::<Vec<Uuid>>(json.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|id| ID(id.to_string()))
        .collect()
}

/// A PDF or XLSX report: queued, being built, done with its file, or failed.
pub struct Report(pub report::Model);

#[Object]
impl Report {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> ReportKind {
        self.0.kind.into()
    }
    async fn period(&self) -> ReportPeriod {
        self.0.period.into()
    }
    async fn format(&self) -> ReportFormat {
        self.0.format.into()
    }
    async fn state(&self) -> ReportState {
        self.0.state.into()
    }
    /// Percent built (100 when DONE).
    async fn progress(&self) -> i32 {
        if self.0.state == tds_entity::ReportState::Done {
            100
        } else {
            self.0.progress
        }
    }
    /// Start of the covered time (local midnight of its first day).
    async fn from(&self) -> DateTime<Utc> {
        self.0.range_start
    }
    /// End of the covered time, excluded.
    async fn to(&self) -> DateTime<Utc> {
        self.0.range_end
    }
    /// The devices it names (empty for a gateway's or the whole account's).
    async fn device_ids(&self) -> Vec<ID> {
        ids(&self.0.device_ids)
    }
    /// The gateway whose devices it covers.
    async fn gateway_id(&self) -> Option<ID> {
        self.0.gateway_id.map(|g| ID(g.to_string()))
    }
    /// Language it is written in (`pt-BR`, `en`).
    async fn locale(&self) -> &str {
        &self.0.locale
    }
    /// Size of the file in bytes.
    async fn file_size(&self) -> Option<i64> {
        self.0.file_size
    }
    /// SHA-256 of the file, hex.
    async fn sha256(&self) -> Option<&str> {
        self.0.file_sha256.as_deref()
    }
    /// Pages of a PDF.
    async fn pages(&self) -> Option<i32> {
        self.0.pages
    }
    /// Rows of the XLSX Readings sheet.
    async fn rows(&self) -> Option<i64> {
        self.0.rows
    }
    /// Why it failed, for people.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The schedule that made it.
    async fn schedule_id(&self) -> Option<ID> {
        self.0.schedule_id.map(|s| ID(s.to_string()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// When the file is deleted (the account's report retention).
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// `GET` this path (relative to the api) with the same headers as GraphQL to
    /// download the file; none until DONE or after it expired.
    async fn download_path(&self) -> Option<String> {
        self.downloadable()
            .then(|| downloads::download_path(self.0.id))
    }
    /// The same download as a link a browser can follow without headers, signed for
    /// the caller and valid for five minutes; ask again for a fresh one.
    async fn download_url(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        if !self.downloadable() {
            return Ok(None);
        }
        let tenant = ctx.tenant()?;
        let grant = DownloadGrant {
            report_id: self.0.id,
            account_id: tenant.account_id(),
            user_id: Some(tenant.user_id()),
        };
        let until = Utc::now() + BROWSER_LINK_TTL;
        Ok(Some(downloads::signed_path(
            &ctx.state().keys,
            grant,
            until,
        )?))
    }
}

impl Report {
    fn downloadable(&self) -> bool {
        self.0.file_id.is_some() && self.0.expires_at.is_none_or(|e| e > Utc::now())
    }
}

/// A report built and e-mailed on a schedule.
pub struct ReportSchedule(pub report_schedule::Model);

#[Object]
impl ReportSchedule {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Six fields, seconds first, in the account's zone.
    async fn cron(&self) -> &str {
        &self.0.cron
    }
    async fn kind(&self) -> ReportKind {
        self.0.kind.into()
    }
    /// The DAY, WEEK or MONTH finished before each run.
    async fn period(&self) -> ReportPeriod {
        self.0.period.into()
    }
    async fn format(&self) -> ReportFormat {
        self.0.format.into()
    }
    async fn device_ids(&self) -> Vec<ID> {
        ids(&self.0.device_ids)
    }
    async fn gateway_id(&self) -> Option<ID> {
        self.0.gateway_id.map(|g| ID(g.to_string()))
    }
    async fn recipients(&self) -> Vec<String> {
        schedules::recipients_of(&self.0)
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn last_run_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_run_at
    }
    /// None when disabled.
    async fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_run_at
    }
    /// Why the last run did not reach its recipients; none when it did.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// The report of the last run.
    async fn last_report(&self, ctx: &Context<'_>) -> ApiResult<Option<Report>> {
        let Some(id) = self.0.last_report_id else {
            return Ok(None);
        };
        match requests::get_report(&ctx.state().db, ctx.tenant()?, id).await {
            Ok(r) => Ok(Some(Report(r))),
            Err(DomainError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Received and expected readings of one device over a time range.
#[derive(SimpleObject)]
pub struct DeviceCompleteness {
    /// The device.
    pub device_id: ID,
    /// Its gateway's reporting interval, seconds.
    pub interval_s: i32,
    /// Readings stored.
    pub received: i64,
    /// Readings the reporting interval promises over the time it was reporting.
    pub expected: i64,
    /// received ÷ expected, at most 1; none when nothing was expected.
    pub ratio: Option<f64>,
}

//! Reports in the API: request a PDF or XLSX, follow it (`report`, `reports`, the live
//! `reportStatus`), download it, and schedule reports that are e-mailed. Building is the
//! report worker's job; the api only queues it.

mod live;
mod types;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use tds_domain::page::PageRequest;
use tds_domain::report_requests::{self as requests, NewReport};
use tds_domain::{report_schedules as schedules, reports};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::expensive;
use crate::types::{decode_cursor, parse_id};

pub use live::ReportSubscription;
use types::{DeviceCompleteness, ReportScheduleInput, RequestReportInput, selection};
pub use types::{Report, ReportSchedule};

/// How long a request waits for the report queue before leaving the job to the sweep.
const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Report queries.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// One report of the account.
    async fn report(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Report> {
        let id = parse_id(&id, "report")?;
        Ok(Report(
            requests::get_report(&ctx.state().db, ctx.tenant()?, id).await?,
        ))
    }

    /// The account's reports, newest first, a page at a time (at most 100).
    #[graphql(complexity = "crate::limits::page(first, child_complexity)")]
    async fn reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<crate::types::ReportConnection> {
        let page = PageRequest::new(first, decode_cursor(after.as_deref())?)?;
        let page = requests::list_reports(&ctx.state().db, ctx.tenant()?, page).await?;
        Ok(crate::types::ReportConnection::from_page(
            page,
            |r| r.id,
            Report,
        ))
    }

    /// The account's report schedules, by name.
    #[graphql(complexity = "100 * child_complexity")]
    async fn report_schedules(&self, ctx: &Context<'_>) -> ApiResult<Vec<ReportSchedule>> {
        let list = schedules::list_schedules(&ctx.state().db, ctx.tenant()?).await?;
        Ok(list.into_iter().map(ReportSchedule).collect())
    }

    /// One report schedule of the account.
    async fn report_schedule(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ReportSchedule> {
        let id = parse_id(&id, "report schedule")?;
        Ok(ReportSchedule(
            schedules::get_schedule(&ctx.state().db, ctx.tenant()?, id).await?,
        ))
    }

    /// Readings received ÷ expected per device over `[from, to)`, counted by the hour
    /// (what a report's completeness column shows), in the order asked.
    #[graphql(complexity = "10 * child_complexity")]
    async fn completeness(
        &self,
        ctx: &Context<'_>,
        device_ids: Vec<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<Vec<DeviceCompleteness>> {
        let ids = device_ids
            .iter()
            .map(|id| parse_id(id, "device"))
            .collect::<ApiResult<Vec<_>>>()?;
        let list =
            reports::completeness(&ctx.state().db, ctx.tenant()?, &ids, from, to, Utc::now())
                .await?;
        Ok(list
            .into_iter()
            .map(|c| DeviceCompleteness {
                device_id: ID(c.device_id.to_string()),
                interval_s: c.interval_s,
                received: c.counts.received,
                expected: c.counts.expected,
                ratio: c.counts.ratio(),
            })
            .collect())
    }
}

/// Report mutations.
#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Queues a report (EDITOR); follow it with `report(id)` or `reportStatus`.
    async fn request_report(
        &self,
        ctx: &Context<'_>,
        input: RequestReportInput,
    ) -> ApiResult<Report> {
        let tenant = ctx.tenant()?;
        expensive::spend(ctx).await?;
        let state = ctx.state();
        let request = NewReport {
            kind: input.kind.into(),
            period: input.period.into(),
            date: input.date,
            from: input.from,
            to: input.to,
            selection: selection(input.device_ids, input.gateway_id, input.all)?,
            format: input.format.into(),
        };
        let report = requests::request_report(&state.db, tenant, request, Utc::now()).await?;
        // Without a queue here, or with a push lost or slow (Redis away), the report
        // stays QUEUED and the workers' sweep queues it (`requests::stranded_reports`).
        if let Some(mut queue) = state.reports.clone() {
            let job = tds_bus::ReportJob {
                report_id: report.id,
            };
            match tokio::time::timeout(PUSH_TIMEOUT, queue.push(job)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(report = %report.id, error = %e, "report job not queued; the sweep will")
                }
                Err(_) => {
                    tracing::warn!(report = %report.id, "report job not queued in time; the sweep will")
                }
            }
        }
        let event = tds_bus::Event::report_changed(&report, Utc::now());
        if let Err(e) = state.events.publish(&event).await {
            tracing::warn!(report = %report.id, error = %e, "report request not announced");
        }
        Ok(Report(report))
    }

    /// Creates a report schedule (EDITOR).
    async fn create_report_schedule(
        &self,
        ctx: &Context<'_>,
        input: ReportScheduleInput,
    ) -> ApiResult<ReportSchedule> {
        let draft = input.draft()?;
        let schedule =
            schedules::create_schedule(&ctx.state().db, ctx.tenant()?, draft, Utc::now()).await?;
        Ok(ReportSchedule(schedule))
    }

    /// Replaces a report schedule's settings (EDITOR); its next run is computed again.
    async fn update_report_schedule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReportScheduleInput,
    ) -> ApiResult<ReportSchedule> {
        let id = parse_id(&id, "report schedule")?;
        let draft = input.draft()?;
        let schedule =
            schedules::update_schedule(&ctx.state().db, ctx.tenant()?, id, draft, Utc::now())
                .await?;
        Ok(ReportSchedule(schedule))
    }

    /// Deletes a report schedule (EDITOR); the reports it made stay. Returns its id.
    async fn delete_report_schedule(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ID> {
        let uuid = parse_id(&id, "report schedule")?;
        schedules::delete_schedule(&ctx.state().db, ctx.tenant()?, uuid).await?;
        Ok(id)
    }
}

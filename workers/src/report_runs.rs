//! Reports beyond one build: schedules falling due get a QUEUED report, reports whose
//! job was lost are queued again, and a finished scheduled report is e-mailed to the
//! schedule's recipients, attached or, above the size limit, as a signed link.

use apalis::prelude::{BoxDynError, Data};
use apalis_cron::Tick;
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait};
use tds_bus::jobs::{Channel, Locale, Message, ReportNotice};
use tds_bus::{Notification, ReportJob, ReportQueue};
use tds_domain::downloads::{self, DownloadGrant};
use tds_domain::report_requests::{claim_notice, notice_done, notices_due, stranded_reports};
use tds_domain::report_schedules::{recipients_of, record_schedule_outcome, start_due_schedules};
use tds_entity::{ReportState, account, report, report_schedule};
use uuid::Uuid;

use crate::reports::ReportContext;

/// What starts scheduled reports, finds stranded ones and e-mails finished ones.
#[derive(Clone)]
pub(crate) struct ReportScheduling {
    pub(crate) db: DatabaseConnection,
    pub(crate) queue: ReportQueue,
    pub(crate) context: ReportContext,
}

/// [`tds_bus::JobKind::ReportSchedule`]: schedules falling due get their report queued,
/// and reports nobody builds (their job lost, their worker stopped) are queued again.
pub(crate) async fn report_schedule(_: Tick, s: Data<ReportScheduling>) -> Result<(), BoxDynError> {
    let now = Utc::now();
    let mut due = match start_due_schedules(&s.db, now, 100).await {
        Ok(started) => started.into_iter().map(|r| r.id).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "report schedules not started");
            Vec::new()
        }
    };
    match stranded_reports(&s.db, now, 100).await {
        Ok(stranded) if !stranded.is_empty() => {
            tracing::info!(count = stranded.len(), "stranded reports queued again");
            due.extend(stranded);
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "stranded reports not looked for"),
    }
    // Finished scheduled reports whose e-mails their worker did not queue (it stopped,
    // or Redis was away when it tried).
    match notices_due(&s.db, now, 100).await {
        Ok(reports) => {
            for report_id in reports {
                deliver_notice(&s.context, report_id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "report e-mails not looked for"),
    }
    let mut queue = s.queue.clone();
    for report_id in due {
        // Unqueued, it stays QUEUED and is found stranded on a later tick.
        if let Err(e) = queue.push(ReportJob { report_id }).await {
            tracing::warn!(report = %report_id, error = %e, "report not queued");
        }
    }
    crate::job_ran(tds_bus::JobKind::ReportSchedule, "ok");
    Ok(())
}

/// Shows on the schedule why its last run did not reach its recipients (`None`: it did).
pub(crate) async fn record_outcome(ctx: &ReportContext, schedule_id: Uuid, error: Option<&str>) {
    if let Err(e) = record_schedule_outcome(&ctx.db, schedule_id, error, Utc::now()).await {
        tracing::warn!(schedule = %schedule_id, error = %e, "schedule outcome not recorded");
    }
}

/// Queues the e-mails of a finished scheduled report, once across processes: claimed,
/// queued, then marked done. A failure that may pass (Redis, the database) leaves the
/// claim to expire and the sweep to try again; any other shows on the schedule.
pub(crate) async fn deliver_notice(ctx: &ReportContext, report_id: Uuid) {
    let report = match claim_notice(&ctx.db, report_id, Utc::now()).await {
        Ok(Some(report)) => report,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(report = %report_id, error = %e, "report e-mails not claimed");
            return;
        }
    };
    if let Some(schedule_id) = report.schedule_id {
        // Cleared first: a delivery that fails later writes its own error.
        record_outcome(ctx, schedule_id, None).await;
        if let Err(e) = send_scheduled(ctx, &report).await {
            tracing::warn!(report = %report.id, error = %e, "scheduled report not sent");
            record_outcome(ctx, schedule_id, Some(&e.to_string())).await;
            if e.may_pass() {
                return;
            }
        }
    }
    if let Err(e) = notice_done(&ctx.db, report.id).await {
        tracing::warn!(report = %report.id, error = %e, "report e-mails not marked queued");
    }
}

/// Why a scheduled report did not reach its recipients (shown on the schedule).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("the report failed: {0}")]
    Failed(String),
    #[error("no e-mail is configured (SMTP_URL): the report was built but not sent")]
    NoMail,
    #[error(
        "the file ({size} bytes) is over the attachment limit ({limit} bytes) and no download link can be signed here (TDS_JWT_SECRET)"
    )]
    NoLink { size: i64, limit: i64 },
    #[error("the e-mails could not be queued: {0}")]
    Queue(String),
    #[error("{0}")]
    Storage(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Domain(#[from] tds_domain::DomainError),
}

impl SendError {
    /// Whether trying again later may succeed.
    fn may_pass(&self) -> bool {
        matches!(self, SendError::Queue(_) | SendError::Storage(_))
            || matches!(
                self,
                SendError::Domain(tds_domain::DomainError::Database(_))
            )
    }
}

/// Queues the e-mails of a finished scheduled report, one per recipient.
async fn send_scheduled(ctx: &ReportContext, report: &report::Model) -> Result<(), SendError> {
    if report.state == ReportState::Failed {
        return Err(SendError::Failed(report.error.clone().unwrap_or_default()));
    }
    let Some(schedule_id) = report.schedule_id else {
        return Ok(());
    };
    // The schedule or the account went meanwhile: nobody to send to.
    let Some(schedule) = report_schedule::Entity::find_by_id(schedule_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(());
    };
    let Some(account) = account::Entity::find_by_id(report.account_id)
        .one(&ctx.db)
        .await?
    else {
        return Ok(());
    };
    let mail = ctx.mail.as_ref().ok_or(SendError::NoMail)?;
    let size = report.file_size.unwrap_or_default();
    let attach = size <= mail.attach_max_bytes;
    // A link is a long-lived key to the file: made only when the file is not attached.
    let link = match (&mail.keys, report.expires_at) {
        (Some(keys), Some(until)) if !attach => Some(downloads::signed_path(
            keys,
            DownloadGrant {
                report_id: report.id,
                account_id: report.account_id,
                user_id: None,
            },
            until,
        )?),
        _ => None,
    };
    if !attach && link.is_none() {
        return Err(SendError::NoLink {
            size,
            limit: mail.attach_max_bytes,
        });
    }
    let file_name = match report.file_id {
        Some(id) => tds_entity::stored_file::Entity::find_by_id(id)
            .one(&ctx.db)
            .await?
            .map(|f| f.file_name),
        None => None,
    }
    .unwrap_or_default();
    let notice = ReportNotice {
        report_id: report.id,
        schedule_id,
        account_id: report.account_id,
        schedule_name: schedule.name.clone(),
        account_name: account.name,
        locale: Locale::parse(&report.locale),
        timezone: account.timezone,
        from: report.range_start,
        to: report.range_end,
        file_name,
        size,
        attach,
        link,
        expires_at: report.expires_at,
    };
    let mut queue = mail.queue.clone();
    for to in recipients_of(&schedule) {
        let notification =
            Notification::new(Channel::Email { to }, Message::Report(notice.clone()));
        queue
            .push(notification)
            .await
            .map_err(|e| SendError::Queue(e.to_string()))?;
    }
    Ok(())
}

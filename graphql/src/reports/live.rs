//! The live `reportStatus` subscription, fed by `ReportChanged` events from the workers.

use async_graphql::{ComplexObject, Context, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tds_bus::Event;
use tds_domain::report_requests as requests;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::types::{Report, ReportState};
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::types::parse_id;

/// A report queued, started, progressed, done or failed.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReportStatusEvent {
    /// The report's id.
    pub report_id: ID,
    /// Its state now.
    pub state: ReportState,
    /// Percent built.
    pub progress: i32,
    /// When it changed.
    pub at: DateTime<Utc>,
    #[graphql(skip)]
    id: Uuid,
}

#[ComplexObject]
impl ReportStatusEvent {
    /// The report as it is now (its file's size and links once DONE).
    async fn report(&self, ctx: &Context<'_>) -> ApiResult<Report> {
        let report = requests::get_report(&ctx.state().db, ctx.tenant()?, self.id).await?;
        Ok(Report(report))
    }
}

fn parse_state(state: &str) -> Option<ReportState> {
    use tds_entity::ReportState as S;
    [S::Queued, S::Running, S::Done, S::Failed]
        .into_iter()
        .find(|s| s.as_str() == state)
        .map(Into::into)
}

/// The report subscription.
#[derive(Default)]
pub struct ReportSubscription;

#[Subscription]
impl ReportSubscription {
    /// Progress of one report, or of every report of the account.
    async fn report_status(
        &self,
        ctx: &Context<'_>,
        report_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<ReportStatusEvent, ApiError>> + use<>, ApiError> {
        let tenant = ctx.tenant()?.clone();
        let only = match report_id {
            Some(id) => Some(
                requests::get_report(&ctx.state().db, &tenant, parse_id(&id, "report")?)
                    .await?
                    .id,
            ),
            None => None,
        };
        let account = tenant.account_id();
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let changes = events.filter_map(move |event| {
            let change = match event.as_deref() {
                Ok(Event::ReportChanged {
                    account_id,
                    report_id,
                    state,
                    progress,
                    at,
                }) if *account_id == account && only.is_none_or(|r| r == *report_id) => {
                    parse_state(state).map(|state| ReportStatusEvent {
                        report_id: ID(report_id.to_string()),
                        state,
                        progress: *progress,
                        at: *at,
                        id: *report_id,
                    })
                }
                _ => None,
            };
            futures::future::ready(change)
        });
        crate::live::while_allowed(ctx, tds_entity::Role::Viewer, changes)
    }
}

//! The live `alerts` subscription, fed by `AlertChanged` events from any replica.

use async_graphql::{ComplexObject, Context, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tds_bus::Event;
use tds_domain::alerts as domain;
use tokio_stream::wrappers::BroadcastStream;
use uuid::Uuid;

use super::types::{Alert, AlertState, Severity};
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::types::parse_id;

/// An alert opened, acknowledged or resolved.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AlertEvent {
    /// The alert's id.
    pub alert_id: ID,
    /// Its state now.
    pub state: AlertState,
    /// Its severity.
    pub severity: Severity,
    /// The gateway it is about (or its device's).
    pub gateway_id: Option<ID>,
    /// The device it is about.
    pub device_id: Option<ID>,
    /// When it changed.
    pub at: DateTime<Utc>,
    #[graphql(skip)]
    id: Uuid,
}

#[ComplexObject]
impl AlertEvent {
    /// The alert as it is now.
    async fn alert(&self, ctx: &Context<'_>) -> ApiResult<Alert> {
        let alert = domain::get_alert(&ctx.state().db, ctx.tenant()?, self.id).await?;
        Ok(Alert(alert))
    }
}

fn parse_state(state: &str) -> Option<AlertState> {
    use tds_entity::AlertState as S;
    [S::Open, S::Acknowledged, S::Resolved]
        .into_iter()
        .find(|s| s.as_str() == state)
        .map(Into::into)
}

fn parse_severity(severity: &str) -> Option<Severity> {
    use tds_entity::Severity as S;
    [S::Info, S::Warning, S::Critical]
        .into_iter()
        .find(|s| s.as_str() == severity)
        .map(Into::into)
}

/// The alerts subscription.
#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// Alerts opened, acknowledged or resolved: the whole account, or one gateway's.
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<AlertEvent, ApiError>> + use<>, ApiError> {
        let tenant = ctx.tenant()?.clone();
        let gateway = match gateway_id {
            Some(id) => Some(
                tds_domain::gateways::get_gateway(
                    &ctx.state().db,
                    &tenant,
                    parse_id(&id, "gateway")?,
                )
                .await?
                .id,
            ),
            None => None,
        };
        let account = tenant.account_id();
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let changes = events.filter_map(move |event| {
            let change = match event.as_deref() {
                Ok(Event::AlertChanged {
                    account_id,
                    gateway_id,
                    device_id,
                    alert_id,
                    state,
                    severity,
                    at,
                    ..
                }) if *account_id == account && gateway.is_none_or(|g| Some(g) == *gateway_id) => {
                    Some(AlertEvent {
                        alert_id: ID(alert_id.to_string()),
                        state: parse_state(state).unwrap_or(AlertState::Open),
                        severity: parse_severity(severity).unwrap_or(Severity::Warning),
                        gateway_id: gateway_id.map(|g| ID(g.to_string())),
                        device_id: device_id.map(|d| ID(d.to_string())),
                        at: *at,
                        id: *alert_id,
                    })
                }
                _ => None,
            };
            futures::future::ready(change)
        });
        crate::live::while_allowed(ctx, tds_entity::Role::Viewer, changes)
    }
}

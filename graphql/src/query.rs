//! Read side of the API. Resolvers are thin: scope, parse, call the domain, wrap.

use async_graphql::{Context, ID, Object};
use tds_domain::page::PageRequest;
use tds_domain::{accounts, devices, gateways, members};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::*;

/// Queries.
#[derive(async_graphql::MergedObject, Default)]
pub struct QueryRoot(
    AccountQuery,
    crate::telemetry::TelemetryQuery,
    crate::pki::PkiQuery,
    crate::alerts::AlertQuery,
    crate::reports::ReportQuery,
);

/// Accounts, members and the fleet.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User(ctx.scope()?.session.user()?.clone()))
    }

    /// Accounts the caller belongs to, each with the caller's role.
    async fn accounts(&self, ctx: &Context<'_>) -> ApiResult<Vec<Account>> {
        let user = ctx.scope()?.session.user()?;
        let list = accounts::accounts_of_user(&ctx.state().db, user.id).await?;
        Ok(list
            .into_iter()
            .map(|(model, role)| Account { model, role })
            .collect())
    }

    /// The account chosen by `X-Account-Id`.
    async fn account(&self, ctx: &Context<'_>) -> ApiResult<Account> {
        let tenant = ctx.tenant()?;
        let model = accounts::current_account(&ctx.state().db, tenant).await?;
        Ok(Account {
            model,
            role: tenant.role(),
        })
    }

    /// Members of the current account.
    async fn members(&self, ctx: &Context<'_>) -> ApiResult<Vec<Member>> {
        let list = members::list_members(&ctx.state().db, ctx.tenant()?).await?;
        Ok(list.into_iter().map(Member).collect())
    }

    /// Gateways of the current account, a page at a time (at most 100).
    #[graphql(complexity = "crate::limits::page(first, child_complexity)")]
    async fn gateways(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<GatewayFilter>,
    ) -> ApiResult<GatewayConnection> {
        let tenant = ctx.tenant()?;
        let page = PageRequest::new(first, decode_cursor(after.as_deref())?)?;
        let filter = filter.unwrap_or_default();
        let filter = gateways::GatewayFilter {
            status: filter.status.map(Into::into),
            is_online: filter.is_online,
            search: filter.search,
        };
        let page = gateways::list_gateways(&ctx.state().db, tenant, &filter, page).await?;
        Ok(GatewayConnection::from_page(page, |g| g.id, Gateway))
    }

    /// One gateway of the current account.
    async fn gateway(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Gateway> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "gateway")?;
        Ok(Gateway(
            gateways::get_gateway(&ctx.state().db, tenant, id).await?,
        ))
    }

    /// Devices of the current account, a page at a time (at most 100).
    #[graphql(complexity = "crate::limits::page(first, child_complexity)")]
    async fn devices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<DeviceFilter>,
    ) -> ApiResult<DeviceConnection> {
        let tenant = ctx.tenant()?;
        let page = PageRequest::new(first, decode_cursor(after.as_deref())?)?;
        let filter = filter.unwrap_or_default();
        let filter = devices::DeviceFilter {
            gateway_id: filter
                .gateway_id
                .as_ref()
                .map(|id| parse_id(id, "gateway"))
                .transpose()?,
            kind: filter.kind.map(Into::into),
            search: filter.search,
        };
        let page = devices::list_devices(&ctx.state().db, tenant, &filter, page).await?;
        Ok(DeviceConnection::from_page(page, |d| d.id, Device))
    }

    /// One device of the current account.
    async fn device(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Device> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "device")?;
        Ok(Device(
            devices::get_device(&ctx.state().db, tenant, id).await?,
        ))
    }
}

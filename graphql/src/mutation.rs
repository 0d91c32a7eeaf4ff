//! Write side of the API. Role checks live in the domain functions, next to the data.

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use sea_orm::EntityTrait;
use tds_domain::{DomainError, accounts, devices, gateways, members};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::*;

/// Mutations.
#[derive(async_graphql::MergedObject, Default)]
pub struct MutationRoot(
    AccountMutation,
    crate::pki::PkiMutation,
    crate::alerts::AlertMutation,
    crate::reports::ReportMutation,
);

/// Accounts, members and the fleet.
#[derive(Default)]
pub struct AccountMutation;

/// Tells the telemetry workers' caches that a gateway (by MAC) changed. Losing this
/// message only delays the change until the cache entry expires.
async fn announce_fleet_change(ctx: &Context<'_>, mac: &str) {
    let event = tds_bus::Event::FleetChanged {
        gateway_mac: mac.to_owned(),
    };
    if let Err(e) = ctx.state().events.publish(&event).await {
        tracing::warn!(error = %e, "fleet change not announced");
    }
}

/// Tells live sessions (WebSocket connections, on every replica) of this account and/or
/// user to re-check themselves now. Losing this message delays the re-check until the
/// periodic one (at most a minute).
async fn announce_access_change(
    ctx: &Context<'_>,
    account_id: Option<uuid::Uuid>,
    user_id: Option<uuid::Uuid>,
) {
    let event = tds_bus::Event::AccessChanged {
        account_id,
        user_id,
    };
    if let Err(e) = ctx.state().events.publish(&event).await {
        tracing::warn!(error = %e, "access change not announced");
    }
}

/// The MAC of one of the caller's gateways (for announcements after device changes).
async fn gateway_mac(ctx: &Context<'_>, gateway_id: uuid::Uuid) -> ApiResult<String> {
    Ok(
        gateways::get_gateway(&ctx.state().db, ctx.tenant()?, gateway_id)
            .await?
            .mac,
    )
}

#[Object]
impl AccountMutation {
    /// Signs in; send the token as `Authorization: Bearer <token>`. One per request;
    /// failed attempts are limited per e-mail and per address (RATE_LIMITED, with
    /// `extensions.retryAfter` in seconds).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> ApiResult<LoginPayload> {
        crate::auth::login(ctx, &email, &password).await
    }

    /// Accepts an invitation. A new e-mail chooses its password here and gets a session;
    /// an e-mail that already has a user is accepted by that user, signed in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        name: Option<String>,
        password: Option<String>,
    ) -> ApiResult<crate::auth::AcceptedInvitation> {
        crate::auth::accept_invitation(ctx, &token, name, password).await
    }

    /// Creates an account (platform operators).
    async fn create_account(
        &self,
        ctx: &Context<'_>,
        input: CreateAccountInput,
    ) -> ApiResult<Account> {
        let session = &ctx.scope()?.session;
        let operator = session.operator()?;
        let db = &ctx.state().db;
        let admin = match input.admin_email.as_deref() {
            None => session.user()?.id,
            Some(email) => {
                let email = tds_domain::values::Email::parse(email)
                    .map_err(|m| DomainError::invalid("adminEmail", m))?;
                accounts::find_user_by_email(db, &email)
                    .await?
                    .ok_or_else(|| DomainError::invalid("adminEmail", "no user with this e-mail"))?
                    .id
            }
        };
        let new = accounts::NewAccount {
            name: input.name,
            tax_id: input.tax_id,
            timezone: input.timezone,
            locale: input.locale,
            plan: None,
        };
        let model = accounts::create_account(db, &operator, new, admin, Utc::now()).await?;
        Ok(Account {
            model,
            role: tds_entity::Role::Admin,
        })
    }

    /// Changes the current account (ADMIN).
    async fn update_account(
        &self,
        ctx: &Context<'_>,
        input: UpdateAccountInput,
    ) -> ApiResult<Account> {
        let tenant = ctx.tenant()?;
        let patch = accounts::AccountPatch {
            name: input.name,
            tax_id: input.tax_id,
            timezone: input.timezone,
            locale: input.locale,
            retention_days: input.retention_days,
            report_retention_days: input.report_retention_days,
        };
        let model = accounts::update_account(&ctx.state().db, tenant, patch, Utc::now()).await?;
        Ok(Account {
            model,
            role: tenant.role(),
        })
    }

    /// Turns an account's licence on or off (platform operators).
    async fn set_account_active(
        &self,
        ctx: &Context<'_>,
        id: ID,
        active: bool,
    ) -> ApiResult<Account> {
        let session = &ctx.scope()?.session;
        let id = parse_id(&id, "account")?;
        let db = &ctx.state().db;
        let Ok(operator) = session.operator() else {
            return Err(accounts::licence_refusal(db, session.user()?.id, id)
                .await?
                .into());
        };
        let model = accounts::set_account_active(db, &operator, id, active, Utc::now()).await?;
        announce_access_change(ctx, Some(model.id), None).await;
        Ok(Account {
            model,
            role: tds_entity::Role::Admin,
        })
    }

    /// Invites someone into the current account (ADMIN). The token is returned once, and
    /// e-mailed to the invitee when the platform has an SMTP server.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: Role,
    ) -> ApiResult<Invitation> {
        let issued = members::invite_member(
            &ctx.state().db,
            ctx.tenant()?,
            &email,
            role.into(),
            Utc::now(),
        )
        .await?;
        email_invitation(ctx, &issued).await;
        Ok(Invitation {
            id: ID(issued.invitation.id.to_string()),
            email: issued.invitation.email,
            role: issued.invitation.role.into(),
            expires_at: issued.invitation.expires_at,
            token: issued.token,
        })
    }

    /// Changes a member's role (ADMIN); the last ADMIN stays ADMIN.
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        role: Role,
    ) -> ApiResult<Member> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&member_id, "member")?;
        let m = members::change_member_role(&ctx.state().db, tenant, id, role.into(), Utc::now())
            .await?;
        announce_access_change(ctx, Some(m.membership.account_id), Some(m.user.id)).await;
        Ok(Member(m))
    }

    /// Removes a member (ADMIN); the last ADMIN cannot be removed. Returns the member id.
    async fn remove_member(&self, ctx: &Context<'_>, member_id: ID) -> ApiResult<ID> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&member_id, "member")?;
        let removed = members::remove_member(&ctx.state().db, tenant, id).await?;
        announce_access_change(ctx, Some(removed.account_id), Some(removed.user_id)).await;
        Ok(member_id)
    }

    /// Registers a gateway (EDITOR).
    async fn create_gateway(
        &self,
        ctx: &Context<'_>,
        input: CreateGatewayInput,
    ) -> ApiResult<Gateway> {
        let tenant = ctx.tenant()?;
        let draft = gateways::GatewayDraft {
            code: input.code,
            mac: input.mac,
            name: input.name,
            latitude: input.location.as_ref().map(|l| l.latitude),
            longitude: input.location.as_ref().map(|l| l.longitude),
            capacity: input.capacity.unwrap_or(gateways::DEFAULT_CAPACITY),
            reporting_interval_s: input
                .reporting_interval_s
                .unwrap_or(gateways::DEFAULT_REPORTING_INTERVAL_S),
            status: input
                .status
                .map(Into::into)
                .unwrap_or(tds_entity::GatewayStatus::Active),
        };
        let gateway = gateways::create_gateway(&ctx.state().db, tenant, draft, Utc::now()).await?;
        announce_fleet_change(ctx, &gateway.mac).await;
        Ok(Gateway(gateway))
    }

    /// Changes a gateway (EDITOR). A new MAC or the INACTIVE status revokes its
    /// certificates (the CRL is rewritten).
    async fn update_gateway(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateGatewayInput,
    ) -> ApiResult<Gateway> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "gateway")?;
        let (latitude, longitude) = match input.location {
            async_graphql::MaybeUndefined::Undefined => (None, None),
            async_graphql::MaybeUndefined::Null => (Some(None), Some(None)),
            async_graphql::MaybeUndefined::Value(l) => {
                (Some(Some(l.latitude)), Some(Some(l.longitude)))
            }
        };
        let patch = gateways::GatewayPatch {
            code: input.code,
            mac: input.mac,
            name: input.name,
            latitude,
            longitude,
            capacity: input.capacity,
            reporting_interval_s: input.reporting_interval_s,
            status: input.status.map(Into::into),
            renewal_mode: input.renewal_mode.map(Into::into),
        };
        let before = gateways::get_gateway(&ctx.state().db, tenant, id).await?;
        let change =
            gateways::update_gateway(&ctx.state().db, tenant, id, patch, Utc::now()).await?;
        crate::pki::announce_revocations(ctx, &change.revoked).await;
        announce_fleet_change(ctx, &before.mac).await;
        if change.gateway.mac != before.mac {
            announce_fleet_change(ctx, &change.gateway.mac).await;
        }
        Ok(Gateway(change.gateway))
    }

    /// Deletes a gateway with its devices and their data (EDITOR); its certificates are
    /// revoked (the CRL rewritten). Returns its id.
    async fn delete_gateway(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ID> {
        let tenant = ctx.tenant()?;
        let uuid = parse_id(&id, "gateway")?;
        let mac = gateway_mac(ctx, uuid).await?;
        let revoked = gateways::delete_gateway(&ctx.state().db, tenant, uuid, Utc::now()).await?;
        crate::pki::announce_revocations(ctx, &revoked).await;
        announce_fleet_change(ctx, &mac).await;
        Ok(id)
    }

    /// Adds a device to a gateway (EDITOR); a full gateway refuses.
    async fn create_device(
        &self,
        ctx: &Context<'_>,
        input: CreateDeviceInput,
    ) -> ApiResult<Device> {
        let tenant = ctx.tenant()?;
        let gateway_id = parse_id(&input.gateway_id, "gateway")?;
        let draft = devices::DeviceDraft {
            code: input.code,
            name: input.name,
            kind: input.kind.into(),
            unit: input.unit,
            measurement: input.measurement.map(Into::into),
            slave_id: input.slave_id,
            register: input.register,
            conversion_factor: input.conversion_factor.unwrap_or(1.0),
        };
        let device =
            devices::create_device(&ctx.state().db, tenant, gateway_id, draft, Utc::now()).await?;
        announce_fleet_change(ctx, &gateway_mac(ctx, device.gateway_id).await?).await;
        Ok(Device(device))
    }

    /// Changes a device (EDITOR).
    async fn update_device(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateDeviceInput,
    ) -> ApiResult<Device> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "device")?;
        let patch = devices::DevicePatch {
            code: input.code,
            name: input.name,
            kind: input.kind.map(Into::into),
            unit: input.unit,
            measurement: input.measurement.map(Into::into),
            slave_id: input.slave_id,
            register: input.register,
            conversion_factor: input.conversion_factor,
        };
        let device = devices::update_device(&ctx.state().db, tenant, id, patch, Utc::now()).await?;
        announce_fleet_change(ctx, &gateway_mac(ctx, device.gateway_id).await?).await;
        Ok(Device(device))
    }

    /// Deletes a device with its readings (EDITOR). Returns its id.
    async fn delete_device(&self, ctx: &Context<'_>, id: ID) -> ApiResult<ID> {
        let tenant = ctx.tenant()?;
        let uuid = parse_id(&id, "device")?;
        let device = devices::get_device(&ctx.state().db, tenant, uuid).await?;
        devices::delete_device(&ctx.state().db, tenant, uuid).await?;
        announce_fleet_change(ctx, &gateway_mac(ctx, device.gateway_id).await?).await;
        Ok(id)
    }
}

/// Queues the invitation e-mail to the invitee, when e-mail is configured. The invitation
/// stands either way: a queue that cannot be reached is logged, and the admin still has
/// the token from the answer.
async fn email_invitation(ctx: &Context<'_>, issued: &members::IssuedInvitation) {
    use tds_bus::jobs::{Channel, InvitationNotice, Locale, Message};
    let state = ctx.state();
    let Some(queue) = state.notifications.clone() else {
        return;
    };
    let invitation = &issued.invitation;
    let account = tds_entity::account::Entity::find_by_id(invitation.account_id)
        .one(&state.db)
        .await;
    let inviter = match invitation.created_by {
        Some(id) => tds_entity::user::Entity::find_by_id(id)
            .one(&state.db)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Ok(Some(account)) = account else {
        tracing::warn!(invitation = %invitation.id, "invitation not e-mailed: account not read");
        return;
    };
    let notice = InvitationNotice {
        invitation_id: invitation.id,
        account_name: account.name,
        locale: Locale::parse(&account.locale),
        timezone: account.timezone,
        invited_by: inviter.map(|u| {
            if u.name.trim().is_empty() {
                u.email
            } else {
                u.name
            }
        }),
        role: invitation.role.to_string(),
        token: issued.token.clone(),
        expires_at: invitation.expires_at,
    };
    let notification = tds_bus::Notification::new(
        Channel::Email {
            to: invitation.email.clone(),
        },
        Message::Invitation(notice),
    );
    if let Err(e) = queue.clone().push(notification).await {
        tracing::warn!(error = %e, invitation = %invitation.id, "invitation e-mail not queued");
    }
}

//! Alerts of an account: the list with filters and cursor, and the people's side of the
//! life cycle, OPEN → ACKNOWLEDGED → RESOLVED, each step with who, when and a comment.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, UpdateMany,
};
use tds_entity::{AlertState, Role, Severity, alert};
use uuid::Uuid;

use super::rules::get_rule;
use crate::devices::get_device;
use crate::error::{DomainError, DomainResult};
use crate::gateways::{contains_ci, get_gateway};
use crate::page::{Page, PageRequest};
use crate::tenant::Tenant;

/// Longest comment on an acknowledgement or resolution.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Which alerts to list; every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// Only these states (any when empty).
    pub states: Vec<AlertState>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only alerts about this gateway or its devices.
    pub gateway_id: Option<Uuid>,
    /// Only alerts about this device.
    pub device_id: Option<Uuid>,
    /// Only alerts of this rule.
    pub rule_id: Option<Uuid>,
    /// Opened at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Opened before this.
    pub to: Option<DateTime<Utc>>,
    /// Message contains this (case-insensitive).
    pub search: Option<String>,
}

/// One alert of the caller's account.
pub async fn get_alert(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<alert::Model> {
    alert::Entity::find_by_id(id)
        .filter(alert::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("alert"))
}

/// A page of the caller's alerts, newest first. A gateway, device or rule of another
/// account in the filter is not found.
pub async fn list_alerts(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    filter: &AlertFilter,
    page: PageRequest,
) -> DomainResult<Page<alert::Model>> {
    let mut query = alert::Entity::find().filter(alert::Column::AccountId.eq(tenant.account_id));
    if !filter.states.is_empty() {
        query = query.filter(alert::Column::State.is_in(filter.states.iter().copied()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(alert::Column::Severity.eq(severity));
    }
    if let Some(id) = filter.gateway_id {
        get_gateway(db, tenant, id).await?;
        query = query.filter(alert::Column::GatewayId.eq(id));
    }
    if let Some(id) = filter.device_id {
        get_device(db, tenant, id).await?;
        query = query.filter(alert::Column::DeviceId.eq(id));
    }
    if let Some(id) = filter.rule_id {
        get_rule(db, tenant, id).await?;
        query = query.filter(alert::Column::RuleId.eq(id));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(DomainError::invalid("to", "must be after 'from'"));
    }
    if let Some(from) = filter.from {
        query = query.filter(alert::Column::OpenedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(alert::Column::OpenedAt.lt(to));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        query = query.filter(contains_ci(alert::Column::Message, search));
    }
    if let Some(after) = page.after {
        query = query.filter(alert::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(alert::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

fn parse_comment(comment: Option<String>) -> DomainResult<Option<String>> {
    let Some(comment) = comment else {
        return Ok(None);
    };
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(DomainError::invalid(
            "comment",
            format!("at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    Ok((!comment.is_empty()).then(|| comment.to_owned()))
}

/// Why a step of the life cycle cannot happen to `alert` now.
fn refusal(alert: &alert::Model, step: &str) -> DomainError {
    DomainError::Conflict(format!(
        "the alert is {} already: it cannot be {step}",
        alert.state
    ))
}

/// One step of the life cycle as a compare-and-set: `update` applies only while the
/// alert is in one of `from` (an automatic resolution racing it wins or loses whole);
/// otherwise the refusal names the state it is in.
async fn step(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    update: UpdateMany<alert::Entity>,
    from: &[AlertState],
    what: &str,
) -> DomainResult<alert::Model> {
    let current = get_alert(db, tenant, id).await?;
    let done = update
        .filter(alert::Column::Id.eq(current.id))
        .filter(alert::Column::AccountId.eq(tenant.account_id))
        .filter(alert::Column::State.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    let after = get_alert(db, tenant, id).await?;
    if done.rows_affected == 0 {
        return Err(refusal(&after, what));
    }
    Ok(after)
}

/// Acknowledges an OPEN alert (EDITOR): someone is on it.
pub async fn acknowledge_alert(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<alert::Model> {
    tenant.require(Role::Editor)?;
    let comment = parse_comment(comment)?;
    let update = alert::Entity::update_many()
        .col_expr(alert::Column::State, Expr::value(AlertState::Acknowledged))
        .col_expr(alert::Column::AcknowledgedAt, Expr::value(now))
        .col_expr(alert::Column::AcknowledgedBy, Expr::value(tenant.user_id))
        .col_expr(alert::Column::AcknowledgeComment, Expr::value(comment))
        .col_expr(alert::Column::UpdatedAt, Expr::value(now));
    step(db, tenant, id, update, &[AlertState::Open], "acknowledged").await
}

/// Resolves an OPEN or ACKNOWLEDGED alert by hand (EDITOR); its recipients are told.
pub async fn resolve_alert(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<alert::Model> {
    tenant.require(Role::Editor)?;
    let comment = parse_comment(comment)?;
    let update = alert::Entity::update_many()
        .col_expr(alert::Column::State, Expr::value(AlertState::Resolved))
        .col_expr(alert::Column::ResolvedAt, Expr::value(now))
        .col_expr(alert::Column::ResolvedBy, Expr::value(tenant.user_id))
        .col_expr(alert::Column::ResolveComment, Expr::value(comment))
        // Resolution is announced like an automatic one (the outbox).
        .col_expr(alert::Column::NotifyDueAt, Expr::value(now))
        .col_expr(alert::Column::UpdatedAt, Expr::value(now));
    let from = [AlertState::Open, AlertState::Acknowledged];
    step(db, tenant, id, update, &from, "resolved").await
}

/// Alerts not resolved in the caller's account, by severity (every severity listed,
/// INFO first).
pub async fn open_alert_counts(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> DomainResult<Vec<(Severity, u64)>> {
    let rows: Vec<(Severity, i64)> = alert::Entity::find()
        .select_only()
        .column(alert::Column::Severity)
        .column_as(Expr::col(alert::Column::Id).count(), "count")
        .filter(alert::Column::AccountId.eq(tenant.account_id))
        .filter(alert::Column::State.ne(AlertState::Resolved))
        .group_by(alert::Column::Severity)
        .into_tuple()
        .all(db)
        .await?;
    Ok([Severity::Info, Severity::Warning, Severity::Critical]
        .into_iter()
        .map(|s| {
            let n = rows.iter().find(|(r, _)| *r == s).map_or(0, |(_, n)| *n);
            (s, u64::try_from(n).unwrap_or(0))
        })
        .collect())
}

/// The user who acknowledged or resolved an alert of the caller's account: a member of
/// the account, or a platform operator who acted in it. Anyone else is not shown.
pub async fn actor(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    user_id: Uuid,
) -> DomainResult<Option<tds_entity::user::Model>> {
    use tds_entity::{membership, user};
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let member = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(tenant.account_id))
        .filter(membership::Column::UserId.eq(user_id))
        .count(db)
        .await?
        > 0;
    Ok((member || found.is_superuser).then_some(found))
}

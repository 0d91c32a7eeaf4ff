//! Alert rules of an account: CRUD over validated drafts ([`draft`]). ADMIN and EDITOR
//! edit rules; everyone in the account reads them.

mod draft;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use tds_entity::{AlertState, Role, alert, alert_rule};
use uuid::Uuid;

use super::{Condition, Rule, Scope};
use crate::devices::get_device;
use crate::error::{DomainError, DomainResult};
use crate::gateways::get_gateway;
use crate::tenant::Tenant;
use draft::{validate, write};

pub use draft::{
    Channels, MAX_COOLDOWN_S, MAX_EMAILS, MAX_SILENT_MINUTES, MAX_WEBHOOKS, MIN_SECRET_LEN,
    RuleDraft, RulePatch, Webhook, WebhookDraft, parse_webhook_url,
};

/// The scope's device or gateway must be one of the caller's (another account's is not found).
async fn check_scope(db: &impl ConnectionTrait, tenant: &Tenant, scope: Scope) -> DomainResult<()> {
    match scope {
        Scope::Device(id) => get_device(db, tenant, id).await.map(|_| ()),
        Scope::Gateway(id) => get_gateway(db, tenant, id).await.map(|_| ()),
        Scope::Kind(_) | Scope::All => Ok(()),
    }
}

/// One rule of the caller's account.
pub async fn get_rule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<alert_rule::Model> {
    alert_rule::Entity::find_by_id(id)
        .filter(alert_rule::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("alert rule"))
}

/// The caller's rules, oldest first.
pub async fn list_rules(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
) -> DomainResult<Vec<alert_rule::Model>> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::AccountId.eq(tenant.account_id))
        .order_by_asc(alert_rule::Column::Id)
        .all(db)
        .await?)
}

/// Creates a rule (EDITOR).
pub async fn create_rule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    draft: RuleDraft,
    now: DateTime<Utc>,
) -> DomainResult<alert_rule::Model> {
    tenant.require(Role::Editor)?;
    let valid = validate(draft, &Channels::default())?;
    check_scope(db, tenant, valid.scope).await?;
    let mut model = alert_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(tenant.account_id),
        created_at: Set(now),
        created_by: Set(Some(tenant.user_id)),
        ..Default::default()
    };
    write(&mut model, valid, now);
    Ok(model.insert(db).await?)
}

/// A rule as changed, with the alerts the change resolved (publish them).
#[derive(Debug, Clone)]
pub struct RuleChange {
    /// The rule now.
    pub rule: alert_rule::Model,
    /// Its unresolved alerts that the rule no longer watches (it was disabled, or their
    /// subject left its scope or no longer suits its condition), now RESOLVED by the
    /// caller: nothing would ever clear them. Alerts it still watches stay as they are.
    pub resolved: Vec<alert::Model>,
}

/// Whether a rule (as stored now) still judges the subject of `alert`.
async fn still_watches(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    rule: &alert_rule::Model,
    alert: &alert::Model,
) -> DomainResult<bool> {
    let Some(parsed) = Rule::from_model(rule).filter(|_| rule.enabled) else {
        return Ok(false);
    };
    Ok(match (parsed.condition, alert.device_id) {
        (Condition::GatewaySilent { .. }, None) => parsed.scope.covers_gateway(alert.subject_id),
        (Condition::GatewaySilent { .. }, Some(_)) | (_, None) => false,
        (_, Some(device)) => match get_device(db, tenant, device).await {
            Ok(d) => parsed.scope.covers_device(d.id, d.gateway_id, d.kind),
            Err(DomainError::NotFound(_)) => false,
            Err(e) => return Err(e),
        },
    })
}

/// Resolves the unresolved alerts of `rule` that it no longer watches.
async fn resolve_unwatched(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    rule: &alert_rule::Model,
    now: DateTime<Utc>,
) -> DomainResult<Vec<alert::Model>> {
    let open = alert::Entity::find()
        .filter(alert::Column::RuleId.eq(rule.id))
        .filter(alert::Column::AccountId.eq(tenant.account_id))
        .filter(alert::Column::State.ne(AlertState::Resolved))
        .all(db)
        .await?;
    let comment = if rule.enabled {
        "the changed rule no longer watches this"
    } else {
        "the rule was disabled"
    };
    let mut resolved = Vec::new();
    for a in open {
        if still_watches(db, tenant, rule, &a).await? {
            continue;
        }
        let done = alert::Entity::update_many()
            .col_expr(alert::Column::State, Expr::value(AlertState::Resolved))
            .col_expr(alert::Column::ResolvedAt, Expr::value(now))
            .col_expr(alert::Column::ResolvedBy, Expr::value(tenant.user_id))
            .col_expr(alert::Column::ResolveComment, Expr::value(comment))
            .col_expr(alert::Column::UpdatedAt, Expr::value(now))
            .filter(alert::Column::Id.eq(a.id))
            .filter(alert::Column::State.ne(AlertState::Resolved))
            .exec(db)
            .await?;
        if done.rows_affected == 1
            && let Some(now_resolved) = alert::Entity::find_by_id(a.id).one(db).await?
        {
            resolved.push(now_resolved);
        }
    }
    Ok(resolved)
}

/// Changes a rule (EDITOR). Alerts it still watches stay as they are (they resolve when
/// the changed rule finds the condition cleared, or by hand); those it no longer watches
/// are resolved ([`RuleChange::resolved`]).
pub async fn update_rule(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    patch: RulePatch,
    now: DateTime<Utc>,
) -> DomainResult<RuleChange> {
    tenant.require(Role::Editor)?;
    let current = get_rule(db, tenant, id).await?;
    let channels = Channels::of(&current);
    let draft = RuleDraft {
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        scope: patch.scope.unwrap_or(current.scope),
        device_id: patch.device_id.or(current.device_id),
        gateway_id: patch.gateway_id.or(current.gateway_id),
        device_kind: patch.device_kind.or(current.device_kind),
        condition: patch.condition.unwrap_or(current.condition),
        threshold_low: patch.threshold_low.or(current.threshold_low),
        threshold_high: patch.threshold_high.or(current.threshold_high),
        period: patch.period.or(current.period),
        silent_minutes: patch.silent_minutes.or(current.silent_minutes),
        completeness_pct: patch.completeness_pct.or(current.completeness_pct),
        severity: patch.severity.unwrap_or(current.severity),
        cooldown_s: patch.cooldown_s.unwrap_or(current.cooldown_s),
        emails: patch.emails.unwrap_or_else(|| channels.emails.clone()),
        webhooks: patch.webhooks.unwrap_or_else(|| {
            channels
                .webhooks
                .iter()
                .map(|w| WebhookDraft {
                    url: w.url.clone(),
                    secret: Some(w.secret.clone()),
                })
                .collect()
        }),
        enabled: patch.enabled.unwrap_or(current.enabled),
    };
    let valid = validate(draft, &channels)?;
    check_scope(db, tenant, valid.scope).await?;
    let mut model: alert_rule::ActiveModel = current.into();
    write(&mut model, valid, now);
    let rule = model.update(db).await?;
    let resolved = resolve_unwatched(db, tenant, &rule, now).await?;
    Ok(RuleChange { rule, resolved })
}

/// Deletes a rule with its alerts and their notification log (EDITOR).
pub async fn delete_rule(db: &impl ConnectionTrait, tenant: &Tenant, id: Uuid) -> DomainResult<()> {
    tenant.require(Role::Editor)?;
    let rule = get_rule(db, tenant, id).await?;
    alert_rule::Entity::delete_by_id(rule.id).exec(db).await?;
    Ok(())
}

/// The enabled rules of `account` (every account when `None`) whose condition satisfies
/// `wanted`, parsed; rows that do not parse are skipped with a warning.
pub(crate) async fn enabled_rules(
    db: &impl ConnectionTrait,
    account: Option<Uuid>,
    wanted: impl Fn(&Condition) -> bool,
) -> DomainResult<Vec<Rule>> {
    let mut query = alert_rule::Entity::find().filter(alert_rule::Column::Enabled.eq(true));
    if let Some(account) = account {
        query = query.filter(alert_rule::Column::AccountId.eq(account));
    }
    let rows = query.order_by_asc(alert_rule::Column::Id).all(db).await?;
    Ok(rows
        .iter()
        .filter_map(|m| {
            let rule = Rule::from_model(m);
            if rule.is_none() {
                tracing::warn!(rule = %m.id, "skipping an alert rule whose parameters do not fit");
            }
            rule
        })
        .filter(|r| wanted(&r.condition))
        .collect())
}

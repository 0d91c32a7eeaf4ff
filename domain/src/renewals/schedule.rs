//! Scheduling one renewal: the shared step of the night and of "renew now".

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use tds_entity::{
    CertificateStatus, RenewalState, RenewalStep, Role, certificate, certificate_renewal, gateway,
};
use uuid::Uuid;

use super::{in_flight_of_gateway, log_step};
use crate::error::{DomainError, DomainResult};
use crate::operator::Operator;
use crate::tenant::Tenant;

pub(super) async fn schedule(
    db: &impl ConnectionTrait,
    cert: &certificate::Model,
    gw: &gateway::Model,
    run_id: Option<Uuid>,
    requested_by: Option<Uuid>,
    detail: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let earlier = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::OldCertificateId.eq(cert.id))
        .count(db)
        .await?;
    let renewal = certificate_renewal::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(gw.account_id),
        gateway_id: Set(gw.id),
        old_certificate_id: Set(cert.id),
        new_certificate_id: Set(None),
        mode: Set(gw.renewal_mode),
        state: Set(RenewalState::Scheduled),
        attempts: Set(earlier as i32 + 1),
        scheduled_at: Set(now),
        published_at: Set(None),
        acknowledged_at: Set(None),
        completed_at: Set(None),
        error: Set(None),
        run_id: Set(run_id),
        deadline_at: Set(None),
        requested_by: Set(requested_by),
        retained_cleared_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "a renewal of this gateway's certificate is already in flight".into(),
        ),
        _ => e.into(),
    })?;
    let detail = format!(
        "{detail}; attempt {}; mode {}",
        renewal.attempts, renewal.mode
    );
    log_step(db, &renewal, RenewalStep::Scheduled, Some(&detail), now).await?;
    Ok(renewal)
}

/// "Renew now" for one of the caller's gateways (EDITOR): schedules its ACTIVE
/// certificate at once; the workers publish it when told (event) or at their next poll.
pub async fn renew_now(
    db: &DatabaseConnection,
    tenant: &Tenant,
    gateway_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    tenant.require(Role::Editor)?;
    let gw = crate::gateways::get_gateway(db, tenant, gateway_id).await?;
    renew_gateway(db, &gw, Some(tenant.user_id), now).await
}

/// "Renew now" by MAC (platform operators: any account's gateway).
pub async fn renew_by_mac(
    db: &DatabaseConnection,
    operator: &Operator,
    mac: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let mac = crate::values::Mac::parse(mac).map_err(|m| DomainError::invalid("mac", m))?;
    let gw = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::invalid("mac", format!("no gateway has MAC {mac}")))?;
    renew_gateway(db, &gw, operator.user_id(), now).await
}

async fn renew_gateway(
    db: &DatabaseConnection,
    gw: &gateway::Model,
    requested_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let txn = db.begin().await?;
    let cert = certificate::Entity::find()
        .filter(certificate::Column::GatewayId.eq(gw.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .filter(certificate::Column::RevokedAt.is_null())
        .order_by_desc(certificate::Column::NotAfter)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            DomainError::Conflict(format!(
                "gateway {} has no active certificate: issue one first",
                gw.code
            ))
        })?;
    if let Some(open) = in_flight_of_gateway(&txn, gw.id).await? {
        return Err(DomainError::Conflict(format!(
            "a renewal of this gateway's certificate is already in flight ({})",
            open.state
        )));
    }
    let renewal = schedule(&txn, &cert, gw, None, requested_by, "renew now", now).await?;
    txn.commit().await?;
    Ok(renewal)
}

//! How renewals end without an ack (deadline, revocation) and the clearing of the
//! retained update afterwards.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use tds_entity::{
    CertificateStatus, RenewalMode, RenewalState, RenewalStep, certificate, certificate_renewal,
};
use uuid::Uuid;

use super::wire::update_topic;
use super::{Effects, in_flight_of_gateway, in_flight_states, log_step};
use crate::error::{DomainError, DomainResult};

/// Moves an in-flight renewal to a final state, only if it is still in flight with the
/// successor this caller read (another replica, a CSR, the clock or an operator may have
/// moved it meanwhile). True when it moved.
pub(super) async fn finish(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    state: RenewalState,
    error: &str,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let error = (state != RenewalState::Applied).then(|| error.to_owned());
    let done = certificate_renewal::Entity::update_many()
        .col_expr(certificate_renewal::Column::State, Expr::value(state))
        .col_expr(certificate_renewal::Column::CompletedAt, Expr::value(now))
        .col_expr(
            certificate_renewal::Column::DeadlineAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(certificate_renewal::Column::Error, Expr::value(error))
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(match renewal.new_certificate_id {
            Some(id) => certificate_renewal::Column::NewCertificateId.eq(id),
            None => certificate_renewal::Column::NewCertificateId.is_null(),
        })
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

pub(super) async fn revoke_successor(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    successor: &certificate::Model,
    why: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let done = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Revoked),
        )
        .col_expr(certificate::Column::RevokedAt, Expr::value(now))
        .col_expr(
            certificate::Column::RevocationReason,
            Expr::value("cessation-of-operation"),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(now))
        .filter(certificate::Column::Id.eq(successor.id))
        .filter(certificate::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Ok(());
    }
    log_step(
        db,
        renewal,
        RenewalStep::SuccessorRevoked,
        Some(&format!("serial {}: {why}", successor.serial)),
        now,
    )
    .await
}

/// After an operator revoked `cert`: a renewal in flight that replaces it (its key may be
/// compromised: no new key goes to that identity) or that offers it as the successor
/// ends FAILED, and its successor is revoked too. True when one ended.
pub async fn end_after_revocation(
    db: &impl ConnectionTrait,
    cert: &certificate::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let detail = format!(
        "certificate {} was revoked by an operator ({})",
        cert.serial,
        cert.revocation_reason.as_deref().unwrap_or("unspecified")
    );
    // A worker may be moving the renewal on (a successor being issued): read again and
    // retry until the compare-and-set holds or nothing is in flight.
    for _ in 0..5 {
        let Some(renewal) = certificate_renewal::Entity::find()
            .filter(
                Condition::any()
                    .add(certificate_renewal::Column::OldCertificateId.eq(cert.id))
                    .add(certificate_renewal::Column::NewCertificateId.eq(cert.id)),
            )
            .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
            .one(db)
            .await?
        else {
            return Ok(false);
        };
        if !finish(db, &renewal, RenewalState::Failed, &detail, now).await? {
            continue;
        }
        log_step(db, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
        if let Some(id) = renewal.new_certificate_id
            && let Some(successor) = certificate::Entity::find_by_id(id).one(db).await?
        {
            revoke_successor(db, &renewal, &successor, "its renewal was stopped", now).await?;
        }
        return Ok(true);
    }
    Err(DomainError::Conflict(
        "the certificate's renewal kept changing; try again".into(),
    ))
}

/// Ends every in-flight renewal whose deadline passed: a published successor nobody
/// acknowledged → TIMED_OUT; a CSR never sent → TIMED_OUT; a successor whose publication
/// the broker never confirmed → FAILED. The unused successor is revoked and the
/// predecessor stays ACTIVE, due again on a later night.
pub async fn expire_overdue(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Effects>> {
    let overdue = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(certificate_renewal::Column::DeadlineAt.lt(now))
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for renewal in overdue {
        let txn = db.begin().await?;
        let (next, step, detail) = match (renewal.state, renewal.mode) {
            (RenewalState::Published, _) => (
                RenewalState::TimedOut,
                RenewalStep::TimedOut,
                "no acknowledgement from the gateway within the window",
            ),
            (_, RenewalMode::Csr) if renewal.new_certificate_id.is_none() => (
                RenewalState::TimedOut,
                RenewalStep::TimedOut,
                "no CSR from the gateway within the window",
            ),
            _ => (
                RenewalState::Failed,
                RenewalStep::Failed,
                "the broker never confirmed the publication of the successor",
            ),
        };
        // Only if nobody moved it meanwhile (same state, deadline still passed).
        let done = certificate_renewal::Entity::update_many()
            .col_expr(certificate_renewal::Column::State, Expr::value(next))
            .col_expr(certificate_renewal::Column::CompletedAt, Expr::value(now))
            .col_expr(certificate_renewal::Column::Error, Expr::value(detail))
            .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
            .filter(certificate_renewal::Column::Id.eq(renewal.id))
            .filter(certificate_renewal::Column::State.eq(renewal.state))
            .filter(certificate_renewal::Column::DeadlineAt.lt(now))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            continue;
        }
        // Read again after the claim: a CSR may have brought a successor meanwhile.
        let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("renewal"))?;
        log_step(&txn, &renewal, step, Some(detail), now).await?;
        let mut crl_changed = false;
        if let Some(id) = renewal.new_certificate_id
            && let Some(successor) = certificate::Entity::find_by_id(id).one(&txn).await?
        {
            revoke_successor(&txn, &renewal, &successor, "never acknowledged", now).await?;
            crl_changed = true;
        }
        let mac = certificate::Entity::find_by_id(renewal.old_certificate_id)
            .one(&txn)
            .await?
            .map(|c| c.common_name);
        txn.commit().await?;
        out.push(Effects {
            crl_changed,
            clear_retained: mac.map(|m| update_topic(&m)),
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    Ok(out)
}

/// Renewals that ended but whose gateway's retained `cert_update` is not known to be
/// cleared yet (the worker clears it, and retries until it could), with the topic. Left
/// out while the gateway has another renewal in flight: its update is on that topic now.
pub async fn awaiting_clear(
    db: &impl ConnectionTrait,
    limit: u64,
) -> DomainResult<Vec<(certificate_renewal::Model, String)>> {
    let busy_gateways = Query::select()
        .column(certificate_renewal::Column::GatewayId)
        .from(certificate_renewal::Entity)
        .and_where(certificate_renewal::Column::State.is_in(in_flight_states()))
        .to_owned();
    let ended = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.is_not_in(in_flight_states()))
        .filter(certificate_renewal::Column::RetainedClearedAt.is_null())
        .filter(certificate_renewal::Column::GatewayId.not_in_subquery(busy_gateways))
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(ended.len());
    for renewal in ended {
        if let Some(old) = certificate::Entity::find_by_id(renewal.old_certificate_id)
            .one(db)
            .await?
        {
            let topic = update_topic(&old.common_name);
            out.push((renewal, topic));
        }
    }
    Ok(out)
}

/// Whether the retained topic of this gateway may be cleared now (no renewal in flight).
pub async fn may_clear(db: &impl ConnectionTrait, gateway_id: Uuid) -> DomainResult<bool> {
    Ok(in_flight_of_gateway(db, gateway_id).await?.is_none())
}

/// Records that the broker confirmed the clearing of a renewal's retained update.
pub async fn mark_cleared(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    topic: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let done = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::RetainedClearedAt,
            Expr::value(now),
        )
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::RetainedClearedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        log_step(db, renewal, RenewalStep::RetainedCleared, Some(topic), now).await?;
    }
    Ok(())
}

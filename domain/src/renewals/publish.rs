//! Publication: what goes out for a scheduled renewal, and what the broker confirmed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_certs::{Algorithm, CertificateAuthority};
use tds_entity::{
    KeyAlgorithm, RenewalMode, RenewalState, RenewalStep, certificate, certificate_renewal,
};
use uuid::Uuid;

use super::endings::finish;
use super::policy::RenewalPolicy;
use super::wire::{CsrRequest, Outbound, Sent, json, update_payload, update_topic};
use super::{in_flight_states, log_step};
use crate::error::{DomainError, DomainResult};

/// Renewals scheduled and not yet handed to the broker, oldest first.
pub async fn awaiting_publication(
    db: &impl ConnectionTrait,
    limit: u64,
) -> DomainResult<Vec<certificate_renewal::Model>> {
    Ok(certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
        .filter(certificate_renewal::Column::DeadlineAt.is_null())
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

fn algorithm_of(key: KeyAlgorithm) -> Algorithm {
    match key {
        KeyAlgorithm::Rsa2048 => Algorithm::Rsa2048,
        KeyAlgorithm::P256 => Algorithm::P256,
    }
}

/// Prepares what goes out for a SCHEDULED renewal: in server-key mode a successor (same
/// key algorithm) is issued and recorded PENDING; in CSR mode a request for a CSR. The
/// deadline starts now, so from here on the renewal ends by an ack or by the clock, even
/// if the publication is lost (the successor's key exists only in the returned message).
pub async fn prepare(
    db: &DatabaseConnection,
    ca: &CertificateAuthority,
    policy: &RenewalPolicy,
    renewal_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<Outbound>> {
    let txn = db.begin().await?;
    let deadline = now + policy.ack_window;
    // Claimed by whoever sets the deadline first (another replica may be here too).
    let claimed = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::DeadlineAt,
            Expr::value(deadline),
        )
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal_id))
        .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
        .filter(certificate_renewal::Column::DeadlineAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    let renewal = certificate_renewal::Entity::find_by_id(renewal_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    if old.revoked_at.is_some() {
        // Never send a new key to the topic of a revoked (maybe compromised) identity.
        let detail = format!("certificate {} was revoked before publication", old.serial);
        finish(&txn, &renewal, RenewalState::Failed, &detail, now).await?;
        log_step(&txn, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
        txn.commit().await?;
        return Ok(None);
    }
    let mac = old.common_name.clone();
    let (payload, sent, renewal) = match renewal.mode {
        RenewalMode::ServerKey => {
            let issued = ca
                .issue_gateway(&mac, algorithm_of(old.key_algorithm), now)
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            let successor = crate::certificates::record_successor(&txn, &old, &issued, now).await?;
            let mut model: certificate_renewal::ActiveModel = renewal.into();
            model.new_certificate_id = Set(Some(successor.id));
            let renewal = model.update(&txn).await?;
            (
                update_payload(&successor, issued.key_pem.clone(), ca)?,
                Sent::Successor,
                renewal,
            )
        }
        RenewalMode::Csr => {
            let request = CsrRequest {
                action: "csr_request".into(),
                renewal_id: renewal.id,
                serial: old.serial.clone(),
            };
            (json(&request)?, Sent::CsrRequest, renewal)
        }
    };
    txn.commit().await?;
    Ok(Some(Outbound {
        renewal,
        topic: update_topic(&mac),
        payload,
        sent,
    }))
}

/// Records that the broker confirmed an [`Outbound`]: a successor → PUBLISHED (the
/// deadline restarts); a CSR request → logged.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    outbound: &Outbound,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let renewal = &outbound.renewal;
    match outbound.sent {
        Sent::CsrRequest => {
            log_step(
                db,
                renewal,
                RenewalStep::CsrRequested,
                Some("request for a CSR published on cert_update"),
                now,
            )
            .await?;
            Ok(renewal.clone())
        }
        Sent::Successor => {
            let done = certificate_renewal::Entity::update_many()
                .col_expr(
                    certificate_renewal::Column::State,
                    Expr::value(RenewalState::Published),
                )
                .col_expr(certificate_renewal::Column::PublishedAt, Expr::value(now))
                .col_expr(
                    certificate_renewal::Column::DeadlineAt,
                    Expr::value(now + policy.ack_window),
                )
                .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
                .filter(certificate_renewal::Column::Id.eq(renewal.id))
                .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
                .exec(db)
                .await?;
            let successor = match renewal.new_certificate_id {
                Some(id) => certificate::Entity::find_by_id(id).one(db).await?,
                None => None,
            };
            if done.rows_affected == 1 {
                let detail = successor
                    .map(|s| format!("serial {} on the retained cert_update topic", s.serial));
                log_step(db, renewal, RenewalStep::Published, detail.as_deref(), now).await?;
            } else {
                // Ended while its update was on the way: that update is retained now, so
                // the topic must be cleared (again).
                certificate_renewal::Entity::update_many()
                    .col_expr(
                        certificate_renewal::Column::RetainedClearedAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(certificate_renewal::Column::Id.eq(renewal.id))
                    .filter(certificate_renewal::Column::State.is_not_in(in_flight_states()))
                    .exec(db)
                    .await?;
            }
            Ok(certificate_renewal::Entity::find_by_id(renewal.id)
                .one(db)
                .await?
                .ok_or(DomainError::NotFound("renewal"))?)
        }
    }
}

//! CSR mode: signing the CSR a gateway sends for its next key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use tds_certs::CertificateAuthority;
use tds_entity::{
    RenewalMode, RenewalState, RenewalStep, certificate, certificate_renewal, gateway,
};

use super::endings::{finish, revoke_successor};
use super::wire::{CsrMessage, Outbound, Sent, update_payload, update_topic};
use super::{Effects, in_flight_states, log_step};
use crate::error::{DomainError, DomainResult};

/// Handles a CSR from gateway `mac`: signs it for the gateway's CSR-mode renewal in
/// flight and returns the successor to publish. The same CSR again (a redelivery, a
/// gateway that reconnected) gets the same successor again; a CSR for another key means
/// the gateway lost the earlier one, which is then revoked. A CSR that does not check out
/// fails the renewal (retried on a later night) and is kept as a dead letter.
pub async fn accept_csr(
    db: &DatabaseConnection,
    ca: &CertificateAuthority,
    mac: &str,
    payload: &[u8],
    now: DateTime<Utc>,
) -> DomainResult<Effects> {
    let message: CsrMessage = match serde_json::from_slice(payload) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Effects::refused(
                "BAD_CSR",
                format!("expected {{renewal_id, csr}}: {e}"),
            ));
        }
    };
    let txn = db.begin().await?;
    let Some(gw) = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac))
        .one(&txn)
        .await?
    else {
        return Ok(Effects::refused(
            "UNEXPECTED_CSR",
            format!("no gateway has MAC {mac}"),
        ));
    };
    let mut query = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
        .filter(certificate_renewal::Column::Mode.eq(RenewalMode::Csr))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(certificate_renewal::Column::DeadlineAt.is_not_null());
    if let Some(id) = message.renewal_id {
        query = query.filter(certificate_renewal::Column::Id.eq(id));
    }
    let Some(renewal) = query.one(&txn).await? else {
        return Ok(Effects::refused(
            "UNEXPECTED_CSR",
            "no CSR renewal of this gateway is waiting for a CSR",
        ));
    };
    let topic = update_topic(&gw.mac);
    let previous = match renewal.new_certificate_id {
        Some(id) => certificate::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    if let Some(previous) = &previous
        && previous.revoked_at.is_none()
        && let Some(pem) = &previous.pem
        && tds_certs::csr_matches_certificate(&message.csr, pem).unwrap_or(false)
    {
        // Same key: the same successor again, nothing changes.
        txn.commit().await?;
        return Ok(Effects {
            publish: Some(Outbound {
                renewal: renewal.clone(),
                topic,
                payload: update_payload(previous, None, ca)?,
                sent: Sent::Successor,
            }),
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    let issued = match ca.sign_gateway_csr(&gw.mac, &message.csr, now) {
        Ok(issued) => issued,
        Err(e) => {
            let detail = e.to_string();
            let mut crl_changed = false;
            if finish(&txn, &renewal, RenewalState::Failed, &detail, now).await? {
                log_step(&txn, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
                if let Some(previous) = &previous {
                    revoke_successor(&txn, &renewal, previous, "its renewal failed", now).await?;
                    crl_changed = true;
                }
            }
            let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
                .one(&txn)
                .await?;
            txn.commit().await?;
            return Ok(Effects {
                clear_retained: Some(topic),
                renewal,
                crl_changed,
                ..Effects::refused("BAD_CSR", detail)
            });
        }
    };
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let successor = crate::certificates::record_successor(&txn, &old, &issued, now).await?;
    // Only if the renewal still holds the successor this handler saw (compare-and-set).
    let mut claim = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::NewCertificateId,
            Expr::value(Some(successor.id)),
        )
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()));
    claim = match &previous {
        Some(p) => claim.filter(certificate_renewal::Column::NewCertificateId.eq(p.id)),
        None => claim.filter(certificate_renewal::Column::NewCertificateId.is_null()),
    };
    if claim.exec(&txn).await?.rows_affected != 1 {
        // Someone else moved the renewal on; this CSR changes nothing.
        txn.rollback().await?;
        return Ok(Effects::default());
    }
    let mut crl_changed = false;
    if let Some(previous) = &previous {
        // The gateway asks for another key: it cannot use the earlier successor.
        revoke_successor(
            &txn,
            &renewal,
            previous,
            "the gateway sent a CSR for a new key",
            now,
        )
        .await?;
        crl_changed = true;
    }
    log_step(
        &txn,
        &renewal,
        RenewalStep::CsrReceived,
        Some(&format!("signed as serial {}", issued.serial)),
        now,
    )
    .await?;
    let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    txn.commit().await?;
    Ok(Effects {
        publish: Some(Outbound {
            renewal: renewal.clone(),
            topic,
            payload: update_payload(&successor, None, ca)?,
            sent: Sent::Successor,
        }),
        renewal: Some(renewal),
        crl_changed,
        ..Effects::default()
    })
}

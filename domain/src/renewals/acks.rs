//! A gateway's acknowledgement: the switch to the successor, or its rollback.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use tds_entity::{
    CertificateStatus, RenewalState, RenewalStep, certificate, certificate_renewal, gateway,
};

use super::endings::{finish, revoke_successor};
use super::wire::{Ack, update_topic};
use super::{Effects, in_flight_states, log_step};
use crate::error::{DomainError, DomainResult};

/// Handles an ack from the gateway `mac` (the MAC of the topic, i.e. of the broker's
/// authenticated user). Idempotent: a redelivered ack changes nothing twice but repeats
/// the side effects, so a crash between commit and effects is healed by redelivery.
pub async fn apply_ack(
    db: &DatabaseConnection,
    mac: &str,
    payload: &[u8],
    now: DateTime<Utc>,
) -> DomainResult<Effects> {
    let ack: Ack = match serde_json::from_slice(payload) {
        Ok(ack) => ack,
        Err(e) => {
            return Ok(Effects::refused(
                "BAD_ACK",
                format!("expected {{serial, status, detail}}: {e}"),
            ));
        }
    };
    let applied = match ack.status.as_str() {
        "applied" => true,
        "rolled_back" => false,
        other => {
            return Ok(Effects::refused(
                "BAD_ACK",
                format!("status '{other}' is neither applied nor rolled_back"),
            ));
        }
    };
    let serial = crate::certificates::normalise_serial(&ack.serial);
    let txn = db.begin().await?;
    let Some(gw) = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac))
        .one(&txn)
        .await?
    else {
        return Ok(Effects::refused(
            "UNKNOWN_RENEWAL",
            format!("no gateway has MAC {mac}"),
        ));
    };
    let successor = certificate::Entity::find()
        .filter(certificate::Column::Serial.eq(serial.clone()))
        .one(&txn)
        .await?;
    if let Some(s) = &successor
        && !s.common_name.eq_ignore_ascii_case(mac)
    {
        return Ok(Effects::refused(
            "MAC_MISMATCH",
            format!("serial {serial} belongs to {}, not {mac}", s.common_name),
        ));
    }
    // The renewal the gateway names, else the one whose successor it names; either way
    // one of this gateway's.
    let renewal = match (ack.renewal_id, &successor) {
        (Some(id), _) => {
            certificate_renewal::Entity::find_by_id(id)
                .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
                .one(&txn)
                .await?
        }
        (None, Some(s)) => {
            certificate_renewal::Entity::find()
                .filter(certificate_renewal::Column::NewCertificateId.eq(s.id))
                .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
                .one(&txn)
                .await?
        }
        (None, None) => None,
    };
    let Some(renewal) = renewal else {
        return Ok(Effects::refused(
            "UNKNOWN_RENEWAL",
            format!("serial {serial} is not the successor of any renewal of {mac}"),
        ));
    };
    // The serial must be this renewal's successor (or, for a refusal, the certificate it
    // replaces): an ack about anything else decides nothing.
    let names_successor = successor
        .as_ref()
        .is_some_and(|s| Some(s.id) == renewal.new_certificate_id);
    let names_old = successor
        .as_ref()
        .is_some_and(|s| s.id == renewal.old_certificate_id);
    if !(names_successor || (!applied && (names_old || renewal.new_certificate_id.is_none()))) {
        let note = format!(
            "'{}' ack for serial {serial} ignored: not this renewal's successor",
            ack.status
        );
        log_step(&txn, &renewal, RenewalStep::Ignored, Some(&note), now).await?;
        txn.commit().await?;
        return Ok(Effects {
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    // The retained topic holds this renewal's update only while no newer one is in flight.
    let topic = update_topic(&gw.mac);
    let detail = ack.detail.clone().unwrap_or_default();
    let successor = match renewal.new_certificate_id {
        Some(id) => certificate::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let mut effects = Effects::default();
    let in_flight = in_flight_states().contains(&renewal.state);
    let successor_revoked = successor.as_ref().is_some_and(|s| s.revoked_at.is_some());
    let next = match (applied, &successor) {
        (true, Some(_)) if !successor_revoked => RenewalState::Applied,
        (true, _) => RenewalState::Failed,
        (false, _) => RenewalState::RolledBack,
    };
    let error = match next {
        RenewalState::Failed => {
            "the gateway reported applying a successor that is revoked or was never issued; \
             it must fall back to its previous certificate"
                .to_owned()
        }
        _ => detail.clone(),
    };
    if in_flight && finish(&txn, &renewal, next, &error, now).await? {
        let step = match next {
            RenewalState::Applied => RenewalStep::Applied,
            RenewalState::Failed => RenewalStep::Failed,
            _ => RenewalStep::RolledBack,
        };
        log_step(&txn, &renewal, step, Some(&error), now).await?;
        certificate_renewal::Entity::update_many()
            .col_expr(
                certificate_renewal::Column::AcknowledgedAt,
                Expr::value(now),
            )
            .filter(certificate_renewal::Column::Id.eq(renewal.id))
            .exec(&txn)
            .await?;
        match (next, &successor) {
            (RenewalState::Applied, Some(s)) => supersede(&txn, &renewal, s, now).await?,
            (_, Some(s)) => revoke_successor(&txn, &renewal, s, "not applied", now).await?,
            (_, None) => {}
        }
        effects.crl_changed = true;
        effects.clear_retained = Some(topic);
    } else if renewal.state == RenewalState::Applied && applied {
        // A redelivered ack: repeat the side effects only.
        effects.crl_changed = true;
        effects.clear_retained = Some(topic);
    } else {
        let current = certificate_renewal::Entity::find_by_id(renewal.id)
            .one(&txn)
            .await?
            .map_or(renewal.state, |r| r.state);
        let note = format!(
            "'{}' ack ignored: the renewal had ended {current}{}",
            ack.status,
            if applied {
                "; its successor is revoked, so the gateway must fall back to its previous certificate"
            } else {
                ""
            }
        );
        log_step(&txn, &renewal, RenewalStep::Ignored, Some(&note), now).await?;
    }
    effects.renewal = certificate_renewal::Entity::find_by_id(renewal.id)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(effects)
}

/// The gateway switched: successor ACTIVE, predecessor SUPERSEDED and revoked (unless an
/// operator revoked it already: that revocation and its reason stand).
async fn supersede(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    successor: &certificate::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let activated = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Active),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(now))
        .filter(certificate::Column::Id.eq(successor.id))
        .filter(certificate::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if activated.rows_affected != 1 {
        // Revoked meanwhile: the caller's transaction must not commit a half switch.
        return Err(DomainError::Conflict(format!(
            "successor {} was revoked meanwhile",
            successor.serial
        )));
    }
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let already_revoked = old.revoked_at.is_some();
    let detail = if already_revoked {
        format!("serial {} was already revoked ({})", old.serial, old.status)
    } else {
        format!("serial {} superseded by {}", old.serial, successor.serial)
    };
    let mut model: certificate::ActiveModel = old.into();
    if !already_revoked {
        model.status = Set(CertificateStatus::Superseded);
        model.revoked_at = Set(Some(now));
        model.revocation_reason = Set(Some("superseded".into()));
    }
    model.successor_id = Set(Some(successor.id));
    model.updated_at = Set(now);
    model.update(db).await?;
    log_step(
        db,
        renewal,
        RenewalStep::PredecessorRevoked,
        Some(&detail),
        now,
    )
    .await
}

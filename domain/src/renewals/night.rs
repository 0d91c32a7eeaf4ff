//! The nightly run: which certificates a night picks (earliest expiry first, one per
//! gateway, resting those that failed), recorded once per night.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_entity::{
    CertificatePurpose, CertificateStatus, GatewayStatus, RenewalTrigger, certificate,
    certificate_renewal, gateway, renewal_run,
};
use uuid::Uuid;

use super::in_flight_states;
use super::policy::RenewalPolicy;
use super::schedule::schedule;
use crate::error::{DomainError, DomainResult};

/// What one nightly run did.
#[derive(Debug, Clone)]
pub struct NightOutcome {
    /// The run (this one, or the one that already ran this night).
    pub run: renewal_run::Model,
    /// False when the night had already run: nothing was scheduled this time.
    pub started: bool,
    /// Renewals scheduled by this call.
    pub renewals: Vec<certificate_renewal::Model>,
}

/// Runs the night due at `now` unless it already ran: schedules at most `policy.batch`
/// ACTIVE gateway certificates expiring within the horizon, one per gateway, of gateways
/// with no renewal in flight, earliest expiry first. The run row and the renewals commit
/// together, so a second call (or a second worker replica) the same night schedules nothing.
pub async fn run_night(
    db: &DatabaseConnection,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
    trigger: RenewalTrigger,
) -> DomainResult<NightOutcome> {
    let night = policy.night_due(now);
    let txn = db.begin().await?;
    let inserted = renewal_run::Entity::insert(renewal_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        night: Set(night),
        started_at: Set(now),
        scheduled: Set(0),
        trigger: Set(trigger),
    })
    .on_conflict(
        OnConflict::column(renewal_run::Column::Night)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let run = renewal_run::Entity::find()
        .filter(renewal_run::Column::Night.eq(night))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Internal("renewal run vanished".into()))?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(NightOutcome {
            run,
            started: false,
            renewals: Vec::new(),
        });
    }
    let due = due_certificates(&txn, policy, now).await?;
    let mut renewals = Vec::with_capacity(due.len());
    for (cert, gw) in due {
        let detail = format!(
            "night {night}: expires {}",
            cert.not_after.format("%Y-%m-%d")
        );
        renewals.push(schedule(&txn, &cert, &gw, Some(run.id), None, &detail, now).await?);
    }
    let mut model: renewal_run::ActiveModel = run.into();
    model.scheduled = Set(renewals.len() as i32);
    let run = model.update(&txn).await?;
    txn.commit().await?;
    Ok(NightOutcome {
        run,
        started: true,
        renewals,
    })
}

/// Whether the night due at `now` has not run yet (a failed or missed run).
pub async fn night_pending(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    Ok(renewal_run::Entity::find()
        .filter(renewal_run::Column::Night.eq(policy.night_due(now)))
        .one(db)
        .await?
        .is_none())
}

/// Nights a certificate rests after `failures` failed renewals in a row: 1, 2, 4 … 32
/// (the first retry is the next night). A gateway offline for months then takes a slot
/// now and then, not every night.
fn rest_nights(failures: i32) -> chrono::Days {
    chrono::Days::new(1u64 << (failures - 1).clamp(0, 5))
}

/// The certificates the night picks, earliest expiry first, one per gateway, at most
/// `policy.batch`.
async fn due_certificates(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<Vec<(certificate::Model, gateway::Model)>> {
    let busy_gateways = Query::select()
        .column(certificate_renewal::Column::GatewayId)
        .from(certificate_renewal::Entity)
        .and_where(certificate_renewal::Column::State.is_in(in_flight_states()))
        .to_owned();
    // A gateway switched off does not renew; its certificate waits until it is back.
    let live_gateways = Query::select()
        .column(gateway::Column::Id)
        .from(gateway::Entity)
        .and_where(gateway::Column::Status.ne(GatewayStatus::Inactive))
        .to_owned();
    let due = certificate::Entity::find()
        .filter(certificate::Column::Purpose.eq(CertificatePurpose::Gateway))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .filter(certificate::Column::RevokedAt.is_null())
        .filter(
            certificate::Column::NotAfter.lte(now + chrono::Duration::days(policy.horizon_days)),
        )
        .filter(certificate::Column::GatewayId.not_in_subquery(busy_gateways))
        .filter(certificate::Column::GatewayId.in_subquery(live_gateways))
        .order_by_asc(certificate::Column::NotAfter)
        .order_by_asc(certificate::Column::Id);
    let mut picked = Vec::new();
    let mut gateways_seen = HashSet::new();
    // Pages, so a fleet made in one batch (every certificate due at once) costs a few
    // small queries, not one holding them all.
    const PAGE: u64 = 500;
    let mut offset = 0;
    'pages: loop {
        let certs = due.clone().limit(PAGE).offset(offset).all(db).await?;
        if certs.is_empty() {
            break;
        }
        offset += PAGE;
        let ids: Vec<Uuid> = certs.iter().map(|c| c.id).collect();
        let mut last_attempt: HashMap<Uuid, certificate_renewal::Model> = HashMap::new();
        for r in certificate_renewal::Entity::find()
            .filter(certificate_renewal::Column::OldCertificateId.is_in(ids))
            .order_by_asc(certificate_renewal::Column::Id)
            .all(db)
            .await?
        {
            last_attempt.insert(r.old_certificate_id, r);
        }
        for cert in certs {
            let Some(gateway_id) = cert.gateway_id else {
                continue;
            };
            // Counted from the night the failed attempt started, so the pauses between
            // attempts are 1, 2, 4 … nights whatever the ack window.
            let resting = last_attempt.get(&cert.id).is_some_and(|r| {
                policy.night_due(now) < policy.night_due(r.scheduled_at) + rest_nights(r.attempts)
            });
            if resting || !gateways_seen.insert(gateway_id) {
                continue;
            }
            picked.push(cert);
            if picked.len() as u64 == policy.batch {
                break 'pages;
            }
        }
    }
    let gateways = gateway::Entity::find()
        .filter(gateway::Column::Id.is_in(picked.iter().filter_map(|c| c.gateway_id)))
        .all(db)
        .await?;
    Ok(picked
        .into_iter()
        .filter_map(|c| {
            let g = gateways
                .iter()
                .find(|g| Some(g.id) == c.gateway_id)?
                .clone();
            Some((c, g))
        })
        .collect())
}

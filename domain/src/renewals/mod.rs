//! Over-the-air certificate renewal (ADR-004, SPEC §3) as plain functions over the
//! database. The worker owns the MQTT side (it publishes what these functions return and
//! feeds them what gateways answer); everything that decides is here, with the clock
//! passed in, so a test can live through many nights in a second.
//!
//! Life of a renewal:
//! `SCHEDULED` (picked by the night or by "renew now") → the update goes out on the
//! retained `cert_update` topic (server key: the successor and its key; CSR: a request
//! for a CSR, then the successor signed from it) → `PUBLISHED` → the gateway acks
//! `applied` (`APPLIED`: successor ACTIVE, predecessor SUPERSEDED and revoked) or
//! `rolled_back` (`ROLLED_BACK`), or stays silent until the deadline (`TIMED_OUT`); a
//! refused CSR or an unconfirmed publication ends `FAILED`. Whatever does not end in
//! `APPLIED` revokes the unused successor and leaves the predecessor ACTIVE, so it is
//! picked again on a later night. Once a successor exists the platform never takes it
//! back before the deadline: the gateway may already be using it.
//!
//! One module per concern: `policy` (when and how much), `night` (what a night picks),
//! `schedule` (one renewal, by the night or on demand), `wire` (the firmware's message
//! formats), `publish` (what goes out), `acks` and `csr` (what gateways answer),
//! `endings` (deadlines, revocations, clearing the retained update) and `reads` (the
//! log and dashboard tenants see). The public paths are re-exported here.

mod acks;
mod csr;
mod endings;
mod night;
mod policy;
mod publish;
mod reads;
mod schedule;
mod wire;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tds_entity::{RenewalState, RenewalStep, certificate_renewal, certificate_renewal_step};
use uuid::Uuid;

use crate::error::DomainResult;

pub use acks::apply_ack;
pub use csr::accept_csr;
pub use endings::{awaiting_clear, end_after_revocation, expire_overdue, mark_cleared, may_clear};
pub use night::{NightOutcome, night_pending, run_night};
pub use policy::{CATCH_UP_HOURS, RenewalPolicy};
pub use publish::{awaiting_publication, mark_sent, prepare};
pub use reads::{CertificateDashboard, RenewalFilter, dashboard, list, steps};
pub use schedule::{renew_by_mac, renew_now};
pub use wire::{Ack, CertificateUpdate, CsrMessage, CsrRequest, Outbound, Sent, update_topic};

fn in_flight_states() -> [RenewalState; 2] {
    [RenewalState::Scheduled, RenewalState::Published]
}

/// Adds one entry to the renewal log.
pub async fn log_step(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    step: RenewalStep,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    certificate_renewal_step::ActiveModel {
        id: Set(Uuid::now_v7()),
        renewal_id: Set(renewal.id),
        account_id: Set(renewal.account_id),
        at: Set(now),
        step: Set(step),
        detail: Set(detail.map(|d| d.chars().take(2_000).collect())),
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn in_flight_of_gateway(
    db: &impl ConnectionTrait,
    gateway_id: Uuid,
) -> DomainResult<Option<certificate_renewal::Model>> {
    Ok(certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::GatewayId.eq(gateway_id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .one(db)
        .await?)
}

/// Why a gateway's message about a renewal was refused (stored as a dead letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code: `BAD_ACK`, `BAD_CSR`, `UNKNOWN_RENEWAL`, `UNEXPECTED_CSR`, `MAC_MISMATCH`.
    pub reason: &'static str,
    /// Human-readable detail.
    pub detail: String,
}

/// What the worker must do after handling a gateway's message.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    /// The CRL changed: rewrite it.
    pub crl_changed: bool,
    /// Clear this retained topic (publish an empty retained message), then
    /// [`mark_cleared`] the renewal.
    pub clear_retained: Option<String>,
    /// Publish this (the successor of a CSR renewal).
    pub publish: Option<Outbound>,
    /// The renewal concerned, as it now stands.
    pub renewal: Option<certificate_renewal::Model>,
    /// The message was refused; keep it as a dead letter.
    pub refusal: Option<Refusal>,
}

impl Effects {
    /// Nothing to do but keep the message as a dead letter.
    fn refused(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            refusal: Some(Refusal {
                reason,
                detail: detail.into(),
            }),
            ..Self::default()
        }
    }
}

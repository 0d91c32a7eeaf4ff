//! What tenants read: the renewal log and the certificate dashboard.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tds_entity::{
    CertificatePurpose, CertificateStatus, RenewalState, certificate, certificate_renewal,
    certificate_renewal_step, renewal_run,
};
use uuid::Uuid;

use super::in_flight_states;
use super::policy::RenewalPolicy;
use crate::error::{DomainError, DomainResult};
use crate::page::{Page, PageRequest};
use crate::tenant::Tenant;

/// Which renewals to list.
#[derive(Debug, Clone, Default)]
pub struct RenewalFilter {
    /// One gateway's.
    pub gateway_id: Option<Uuid>,
    /// One state.
    pub state: Option<RenewalState>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before.
    pub to: Option<DateTime<Utc>>,
}

/// The renewal log of the caller's account, newest first (`after` pages to older ones).
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    filter: RenewalFilter,
    page: PageRequest,
) -> DomainResult<Page<certificate_renewal::Model>> {
    let mut query = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id));
    if let Some(gateway_id) = filter.gateway_id {
        crate::gateways::get_gateway(db, tenant, gateway_id).await?;
        query = query.filter(certificate_renewal::Column::GatewayId.eq(gateway_id));
    }
    if let Some(state) = filter.state {
        query = query.filter(certificate_renewal::Column::State.eq(state));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(DomainError::invalid("to", "must be after from"));
    }
    if let Some(from) = filter.from {
        query = query.filter(certificate_renewal::Column::ScheduledAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(certificate_renewal::Column::ScheduledAt.lt(to));
    }
    if let Some(after) = page.after {
        query = query.filter(certificate_renewal::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(certificate_renewal::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// The log entries of these renewals (of the caller's account), oldest first.
pub async fn steps(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    renewal_ids: &[Uuid],
) -> DomainResult<Vec<certificate_renewal_step::Model>> {
    Ok(certificate_renewal_step::Entity::find()
        .filter(certificate_renewal_step::Column::AccountId.eq(tenant.account_id))
        .filter(certificate_renewal_step::Column::RenewalId.is_in(renewal_ids.to_vec()))
        .order_by_asc(certificate_renewal_step::Column::At)
        .order_by_asc(certificate_renewal_step::Column::Id)
        .all(db)
        .await?)
}

/// Counts of the account's gateway certificates and renewals, for a dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificateDashboard {
    /// ACTIVE gateway certificates past their end.
    pub expired: u64,
    /// ACTIVE ones ending within 30 days.
    pub within_30_days: u64,
    /// … within 31–90 days.
    pub within_90_days: u64,
    /// … within 91–365 days.
    pub within_365_days: u64,
    /// … within 366–730 days (the renewal horizon).
    pub within_730_days: u64,
    /// … later.
    pub later: u64,
    /// Certificates by status (all purposes of the account).
    pub by_status: Vec<(CertificateStatus, u64)>,
    /// Renewals by state, all time.
    pub renewals_by_state: Vec<(RenewalState, u64)>,
    /// Renewals scheduled or published right now.
    pub in_flight: u64,
    /// The latest nightly run, with how many of this account's certificates it picked
    /// (the platform-wide count belongs to no tenant).
    pub last_run: Option<(renewal_run::Model, u64)>,
    /// When the next nightly run is due.
    pub next_run_at: DateTime<Utc>,
}

/// The certificate dashboard of the caller's account at `now`.
pub async fn dashboard(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<CertificateDashboard> {
    let active: Vec<DateTime<Utc>> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::NotAfter)
        .filter(certificate::Column::AccountId.eq(tenant.account_id))
        .filter(certificate::Column::Purpose.eq(CertificatePurpose::Gateway))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = CertificateDashboard {
        next_run_at: policy.next_run_after(now),
        ..CertificateDashboard::default()
    };
    for not_after in active {
        let days = (not_after - now).num_seconds() as f64 / 86_400.0;
        match days {
            d if d < 0.0 => out.expired += 1,
            d if d <= 30.0 => out.within_30_days += 1,
            d if d <= 90.0 => out.within_90_days += 1,
            d if d <= 365.0 => out.within_365_days += 1,
            d if d <= 730.0 => out.within_730_days += 1,
            _ => out.later += 1,
        }
    }
    let statuses: Vec<(CertificateStatus, i64)> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Status)
        .column_as(Expr::col(certificate::Column::Id).count(), "n")
        .filter(certificate::Column::AccountId.eq(tenant.account_id))
        .group_by(certificate::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    out.by_status = statuses.into_iter().map(|(s, n)| (s, n as u64)).collect();
    out.by_status.sort();
    let states: Vec<(RenewalState, i64)> = certificate_renewal::Entity::find()
        .select_only()
        .column(certificate_renewal::Column::State)
        .column_as(Expr::col(certificate_renewal::Column::Id).count(), "n")
        .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id))
        .group_by(certificate_renewal::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    out.in_flight = states
        .iter()
        .filter(|(s, _)| in_flight_states().contains(s))
        .map(|(_, n)| *n as u64)
        .sum();
    out.renewals_by_state = states.into_iter().map(|(s, n)| (s, n as u64)).collect();
    out.renewals_by_state.sort();
    if let Some(run) = renewal_run::Entity::find()
        .order_by_desc(renewal_run::Column::Night)
        .one(db)
        .await?
    {
        let mine = certificate_renewal::Entity::find()
            .filter(certificate_renewal::Column::RunId.eq(run.id))
            .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id))
            .count(db)
            .await?;
        out.last_run = Some((run, mine));
    }
    Ok(out)
}

//! Certificates through the API: list, issue (the key is shown once, in the response),
//! revoke (the CRL is rewritten).

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tds_domain::page::PageRequest;
use tds_domain::renewals::{self, RenewalFilter};
use tds_domain::{DomainError, certificates};
use tds_entity::{certificate, certificate_renewal, certificate_renewal_step};
use uuid::Uuid;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::{CertificateRenewalConnection, Gateway, decode_cursor, loader_error, parse_id};

/// Key algorithm of a certificate.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::KeyAlgorithm")]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus (the firmware default).
    Rsa2048,
    /// ECDSA on P-256.
    P256,
}

/// Life cycle of a certificate.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::CertificateStatus")]
pub enum CertificateStatus {
    /// In use.
    Active,
    /// Issued as a successor, not yet applied.
    Pending,
    /// Replaced by an applied successor.
    Superseded,
    /// Revoked, listed in the CRL.
    Revoked,
}

/// How a gateway's certificate is renewed over the air.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::RenewalMode")]
pub enum RenewalMode {
    /// The platform generates the key and sends it with the certificate (the seeds' firmware).
    ServerKey,
    /// The gateway keeps its key and sends a CSR.
    Csr,
}

/// State of an over-the-air renewal.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::RenewalState")]
pub enum RenewalState {
    /// Picked; the update is not published yet (or, in CSR mode, the CSR is awaited).
    Scheduled,
    /// Successor on the retained `cert_update` topic, waiting for the gateway's ack.
    Published,
    /// The gateway switched: successor ACTIVE, predecessor SUPERSEDED and revoked.
    Applied,
    /// Failed on the platform side (bad CSR, publication never confirmed).
    Failed,
    /// The gateway rolled back to its previous certificate.
    RolledBack,
    /// No ack within the window.
    TimedOut,
}

/// One entry kind of the renewal log.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::RenewalStep")]
pub enum RenewalStep {
    /// Picked by the night or by "renew now".
    Scheduled,
    /// CSR mode: request for a CSR published.
    CsrRequested,
    /// CSR mode: CSR received and signed.
    CsrReceived,
    /// Successor published.
    Published,
    /// Gateway acked `applied`.
    Applied,
    /// Gateway acked `rolled_back`.
    RolledBack,
    /// No ack within the window.
    TimedOut,
    /// The platform could not go on.
    Failed,
    /// The unused successor was revoked.
    SuccessorRevoked,
    /// The predecessor was revoked (superseded).
    PredecessorRevoked,
    /// The retained update was cleared.
    RetainedCleared,
    /// A message about the renewal was ignored (late or duplicate).
    Ignored,
}

/// One entry of a renewal's log.
pub struct RenewalLogEntry(pub certificate_renewal_step::Model);

#[Object]
impl RenewalLogEntry {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn step(&self) -> RenewalStep {
        self.0.step.into()
    }
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

/// One over-the-air renewal of a gateway certificate, with its log.
pub struct CertificateRenewal {
    /// The renewal.
    pub model: certificate_renewal::Model,
    /// Its log, oldest first (loaded with the page).
    pub steps: Vec<certificate_renewal_step::Model>,
}

async fn certificate_by_id(ctx: &Context<'_>, id: Option<Uuid>) -> ApiResult<Option<Certificate>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (Some(id), Ok(tenant)) = (id, ctx.tenant()) else {
        return Ok(None);
    };
    Ok(certificate::Entity::find_by_id(id)
        .filter(certificate::Column::AccountId.eq(tenant.account_id()))
        .one(&ctx.state().db)
        .await
        .map_err(DomainError::from)?
        .map(Certificate))
}

#[Object]
impl CertificateRenewal {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn mode(&self) -> RenewalMode {
        self.model.mode.into()
    }
    async fn state(&self) -> RenewalState {
        self.model.state.into()
    }
    /// 1 for the first renewal of this certificate, 2 for the retry after a failure …
    async fn attempts(&self) -> i32 {
        self.model.attempts
    }
    async fn scheduled_at(&self) -> DateTime<Utc> {
        self.model.scheduled_at
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.model.published_at
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.model.acknowledged_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.model.completed_at
    }
    /// When it times out unless the gateway acknowledges.
    async fn deadline_at(&self) -> Option<DateTime<Utc>> {
        self.model.deadline_at
    }
    /// Why it failed, rolled back or timed out.
    async fn error(&self) -> Option<&str> {
        self.model.error.as_deref()
    }
    /// True when started by "renew now" rather than by the nightly run.
    async fn on_demand(&self) -> bool {
        self.model.run_id.is_none()
    }
    /// The gateway.
    async fn gateway(&self, ctx: &Context<'_>) -> ApiResult<Option<Gateway>> {
        Ok(ctx
            .loaders()?
            .gateway_by_id
            .load_one(self.model.gateway_id)
            .await
            .map_err(loader_error)?
            .map(Gateway))
    }
    /// The certificate being replaced.
    async fn old_certificate(&self, ctx: &Context<'_>) -> ApiResult<Option<Certificate>> {
        certificate_by_id(ctx, Some(self.model.old_certificate_id)).await
    }
    /// The successor, once issued.
    async fn new_certificate(&self, ctx: &Context<'_>) -> ApiResult<Option<Certificate>> {
        certificate_by_id(ctx, self.model.new_certificate_id).await
    }
    /// Every step, oldest first.
    async fn log(&self) -> Vec<RenewalLogEntry> {
        self.steps.iter().cloned().map(RenewalLogEntry).collect()
    }
}

/// How many of the account's ACTIVE gateway certificates end within each horizon.
#[derive(SimpleObject)]
pub struct ExpiryHorizons {
    /// Already past their end.
    pub expired: u64,
    /// Within 30 days.
    pub within_30_days: u64,
    /// In 31–90 days.
    pub within_90_days: u64,
    /// In 91–365 days.
    pub within_365_days: u64,
    /// In 366–730 days (the renewal horizon).
    pub within_730_days: u64,
    /// Later.
    pub later: u64,
}

/// A count of certificates in one status.
#[derive(SimpleObject)]
pub struct CertificateStatusCount {
    /// The status.
    pub status: CertificateStatus,
    /// How many.
    pub count: u64,
}

/// A count of renewals in one state.
#[derive(SimpleObject)]
pub struct RenewalStateCount {
    /// The state.
    pub state: RenewalState,
    /// How many.
    pub count: u64,
}

/// One nightly renewal run.
#[derive(SimpleObject)]
pub struct RenewalRun {
    /// Local date of the night.
    pub night: chrono::NaiveDate,
    /// When it ran.
    pub started_at: DateTime<Utc>,
    /// Renewals of this account it scheduled.
    pub scheduled: u64,
}

/// What a certificate dashboard shows for the current account.
#[derive(SimpleObject)]
pub struct CertificateDashboard {
    /// ACTIVE gateway certificates by time left.
    pub expiring: ExpiryHorizons,
    /// Certificates by status.
    pub by_status: Vec<CertificateStatusCount>,
    /// Renewals by state, all time.
    pub renewals_by_state: Vec<RenewalStateCount>,
    /// Renewals scheduled or published now.
    pub renewals_in_flight: u64,
    /// The latest nightly run.
    pub last_run: Option<RenewalRun>,
    /// When the next nightly run is due.
    pub next_run_at: DateTime<Utc>,
}

/// An X.509 certificate the platform issued (never its key).
pub struct Certificate(pub certificate::Model);

#[Object]
impl Certificate {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Serial number, hex.
    async fn serial(&self) -> &str {
        &self.0.serial
    }
    /// CN: the gateway's MAC.
    async fn common_name(&self) -> &str {
        &self.0.common_name
    }
    async fn fingerprint_sha256(&self) -> &str {
        &self.0.fingerprint_sha256
    }
    async fn not_before(&self) -> DateTime<Utc> {
        self.0.not_before
    }
    async fn not_after(&self) -> DateTime<Utc> {
        self.0.not_after
    }
    async fn key_algorithm(&self) -> KeyAlgorithm {
        self.0.key_algorithm.into()
    }
    async fn status(&self) -> CertificateStatus {
        self.0.status.into()
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn revocation_reason(&self) -> Option<&str> {
        self.0.revocation_reason.as_deref()
    }
    /// The gateway it identifies; none once that gateway was deleted (which revoked it).
    async fn gateway(&self, ctx: &Context<'_>) -> ApiResult<Option<Gateway>> {
        let Some(id) = self.0.gateway_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .gateway_by_id
            .load_one(id)
            .await
            .map_err(loader_error)?
            .map(Gateway))
    }
}

/// A certificate just issued with its bundle. The private key is in this response only:
/// the platform does not keep it.
#[derive(SimpleObject)]
pub struct IssuedCertificate {
    /// The record.
    pub certificate: Certificate,
    /// Certificate, PEM.
    pub certificate_pem: String,
    /// Private key, PKCS#8 PEM: store it on the gateway now.
    pub private_key_pem: String,
    /// The platform CA, PEM.
    pub ca_pem: String,
    /// The same three files as a zip, downloadable once within 10 minutes with the same
    /// credentials: `GET` this path.
    pub bundle_download_path: String,
}

/// After certificates were revoked (committed): the CRL is rewritten here and the workers
/// are told (their fleet caches forget those MACs). A CRL not written now is written by the
/// certificate workers at their next poll, since the revocations changed; the revocation
/// itself stands either way, so neither failure fails the request.
pub(crate) async fn announce_revocations(ctx: &Context<'_>, revoked: &[certificate::Model]) {
    if revoked.is_empty() {
        return;
    }
    let state = ctx.state();
    if let Some(ca) = state.pki.as_deref() {
        let paths: Vec<&std::path::Path> = state.crl_paths.iter().map(|p| p.as_path()).collect();
        if let Err(e) = certificates::write_crl(&state.db, ca, &paths, Utc::now()).await {
            tracing::warn!(error = %e, "CRL not rewritten; the certificate workers will");
        }
    }
    let macs: std::collections::BTreeSet<&str> =
        revoked.iter().map(|c| c.common_name.as_str()).collect();
    for mac in macs {
        let event = tds_bus::Event::FleetChanged {
            gateway_mac: mac.to_owned(),
        };
        if let Err(e) = state.events.publish(&event).await {
            tracing::warn!(error = %e, "revocation not announced to the workers");
        }
    }
}

fn ca<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a tds_certs::CertificateAuthority> {
    ctx.state().pki.as_deref().ok_or_else(|| {
        DomainError::Conflict(
            "the platform has no CA yet: an operator runs `tds certs init-ca`".into(),
        )
        .into()
    })
}

/// Certificate queries.
#[derive(Default)]
pub struct PkiQuery;

#[Object]
impl PkiQuery {
    /// Certificates of the current account (newest first, at most 500): one gateway's,
    /// one status, or those expiring within N days.
    // 500: the cap of `certificates::list`.
    #[graphql(complexity = "500usize.saturating_mul(child_complexity)")]
    async fn certificates(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
        status: Option<CertificateStatus>,
        expiring_within_days: Option<i32>,
    ) -> ApiResult<Vec<Certificate>> {
        let tenant = ctx.tenant()?;
        let gateway_id = gateway_id
            .as_ref()
            .map(|g| parse_id(g, "gateway"))
            .transpose()?;
        let rows = certificates::list(
            &ctx.state().db,
            tenant,
            gateway_id,
            status.map(Into::into),
            expiring_within_days.map(i64::from),
            Utc::now(),
        )
        .await?;
        Ok(rows.into_iter().map(Certificate).collect())
    }

    /// The renewal log of the current account, newest first: one gateway's, one state,
    /// or those scheduled in [from, to).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::limits::page(Some(first), child_complexity)")]
    async fn certificate_renewals(
        &self,
        ctx: &Context<'_>,
        gateway_id: Option<ID>,
        state: Option<RenewalState>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> ApiResult<CertificateRenewalConnection> {
        let tenant = ctx.tenant()?;
        let filter = RenewalFilter {
            gateway_id: gateway_id
                .as_ref()
                .map(|g| parse_id(g, "gateway"))
                .transpose()?,
            state: state.map(Into::into),
            from,
            to,
        };
        let page = PageRequest::new(Some(first), decode_cursor(after.as_deref())?)?;
        let db = &ctx.state().db;
        let page = renewals::list(db, tenant, filter, page).await?;
        let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
        let mut by_renewal: std::collections::HashMap<Uuid, Vec<_>> = Default::default();
        for step in renewals::steps(db, tenant, &ids).await? {
            by_renewal.entry(step.renewal_id).or_default().push(step);
        }
        Ok(CertificateRenewalConnection::from_page(
            page,
            |r| r.id,
            |model| {
                let steps = by_renewal.remove(&model.id).unwrap_or_default();
                CertificateRenewal { model, steps }
            },
        ))
    }

    /// Counts for a certificate dashboard: expiry horizons, statuses, renewals by state,
    /// the last and next nightly runs.
    async fn certificate_dashboard(&self, ctx: &Context<'_>) -> ApiResult<CertificateDashboard> {
        let tenant = ctx.tenant()?;
        let d = renewals::dashboard(
            &ctx.state().db,
            tenant,
            &ctx.state().renewal_policy,
            Utc::now(),
        )
        .await?;
        Ok(CertificateDashboard {
            expiring: ExpiryHorizons {
                expired: d.expired,
                within_30_days: d.within_30_days,
                within_90_days: d.within_90_days,
                within_365_days: d.within_365_days,
                within_730_days: d.within_730_days,
                later: d.later,
            },
            by_status: d
                .by_status
                .into_iter()
                .map(|(status, count)| CertificateStatusCount {
                    status: status.into(),
                    count,
                })
                .collect(),
            renewals_by_state: d
                .renewals_by_state
                .into_iter()
                .map(|(state, count)| RenewalStateCount {
                    state: state.into(),
                    count,
                })
                .collect(),
            renewals_in_flight: d.in_flight,
            last_run: d.last_run.map(|(run, scheduled)| RenewalRun {
                night: run.night,
                started_at: run.started_at,
                scheduled,
            }),
            next_run_at: d.next_run_at,
        })
    }
}

/// Certificate mutations.
#[derive(Default)]
pub struct PkiMutation;

#[Object]
impl PkiMutation {
    /// Issues a certificate for a gateway (EDITOR); the response carries the only copy of the key.
    async fn issue_certificate(
        &self,
        ctx: &Context<'_>,
        gateway_id: ID,
        #[graphql(default_with = "KeyAlgorithm::Rsa2048")] algorithm: KeyAlgorithm,
    ) -> ApiResult<IssuedCertificate> {
        let tenant = ctx.tenant()?;
        let gateway_id = parse_id(&gateway_id, "gateway")?;
        let ca = ca(ctx)?;
        let algorithm = match algorithm {
            KeyAlgorithm::Rsa2048 => tds_certs::Algorithm::Rsa2048,
            KeyAlgorithm::P256 => tds_certs::Algorithm::P256,
        };
        let (record, issued) = certificates::issue_for_tenant(
            &ctx.state().db,
            ca,
            tenant,
            gateway_id,
            algorithm,
            Utc::now(),
        )
        .await?;
        let name = record.common_name.replace(':', "");
        let entry = tds_certs::bundle::BundleEntry {
            name: name.clone(),
            issued: &issued,
        };
        let zip = tds_certs::bundle::zip(&[entry], ca.cert_pem())
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let token = tds_domain::bundles::keep_bundle(
            &ctx.state().db,
            tenant.account_id(),
            format!("{name}.zip"),
            zip,
            Utc::now(),
        )
        .await?;
        Ok(IssuedCertificate {
            bundle_download_path: format!("/certificates/bundles/{token}"),
            certificate: Certificate(record),
            certificate_pem: issued.cert_pem,
            private_key_pem: issued.key_pem.unwrap_or_default(),
            ca_pem: ca.cert_pem().to_owned(),
        })
    }

    /// Renews a gateway's active certificate over the air now (EDITOR), outside the
    /// nightly run: the workers publish the update within their poll interval.
    async fn renew_certificate_now(
        &self,
        ctx: &Context<'_>,
        gateway_id: ID,
    ) -> ApiResult<CertificateRenewal> {
        let tenant = ctx.tenant()?;
        let gateway_id = parse_id(&gateway_id, "gateway")?;
        // Without a CA no worker could issue the successor: refuse rather than queue forever.
        ca(ctx)?;
        let db = &ctx.state().db;
        let model = renewals::renew_now(db, tenant, gateway_id, Utc::now()).await?;
        let event = tds_bus::Event::RenewalScheduled {
            renewal_id: model.id,
        };
        // Losing this only delays publication until the workers' next poll.
        if let Err(e) = ctx.state().events.publish(&event).await {
            tracing::warn!(error = %e, "renewal not announced to the workers");
        }
        let steps = renewals::steps(db, tenant, &[model.id]).await?;
        Ok(CertificateRenewal { model, steps })
    }

    /// Revokes a certificate (EDITOR) and rewrites the CRL; the broker refuses it once reloaded.
    async fn revoke_certificate(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = "unspecified")] reason: String,
    ) -> ApiResult<Certificate> {
        let tenant = ctx.tenant()?;
        let id = parse_id(&id, "certificate")?;
        // Without a CA no CRL can list it: refuse rather than revoke in name only.
        ca(ctx)?;
        let record =
            certificates::revoke_for_tenant(&ctx.state().db, tenant, id, &reason, Utc::now())
                .await?;
        announce_revocations(ctx, std::slice::from_ref(&record)).await;
        Ok(Certificate(record))
    }
}

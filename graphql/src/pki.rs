//! Certificates through the API: list, issue (the key is shown once, in the response),
//! revoke (the CRL is rewritten).

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tds_domain::{DomainError, certificates};
use tds_entity::certificate;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::{Gateway, loader_error, parse_id};

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
    /// The gateway it identifies.
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
        let token = ctx.state().bundles.put(crate::context::PendingBundle {
            account_id: tenant.account_id,
            file_name: format!("{name}.zip"),
            zip,
            expires_at: Utc::now() + chrono::Duration::minutes(crate::context::BUNDLE_TTL_MINUTES),
        });
        Ok(IssuedCertificate {
            bundle_download_path: format!("/certificates/bundles/{token}"),
            certificate: Certificate(record),
            certificate_pem: issued.cert_pem,
            private_key_pem: issued.key_pem,
            ca_pem: ca.cert_pem().to_owned(),
        })
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
        let ca = ca(ctx)?;
        let paths: Vec<&std::path::Path> =
            ctx.state().crl_paths.iter().map(|p| p.as_path()).collect();
        let record = certificates::revoke_for_tenant(
            &ctx.state().db,
            ca,
            tenant,
            id,
            &reason,
            &paths,
            Utc::now(),
        )
        .await?;
        let event = tds_bus::Event::FleetChanged {
            gateway_mac: record.common_name.clone(),
        };
        if let Err(e) = ctx.state().events.publish(&event).await {
            tracing::warn!(error = %e, "revocation not announced to the workers");
        }
        Ok(Certificate(record))
    }
}

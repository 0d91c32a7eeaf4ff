//! Certificates the platform issues, as records: serial, fingerprint, validity, status.
//! The PKI itself (keys, signatures, CRL encoding) is `tds-certs`; keys never reach the
//! database.
//!
//! A gateway certificate follows its gateway: it names the gateway by MAC (its CN) and
//! references it, it is issued only for a registered gateway that is not INACTIVE, and
//! deleting the gateway, changing its MAC or setting it INACTIVE revokes it in the same
//! transaction ([`revoke_gateway_certificates`]); a MAC is registered again only when no
//! unrevoked certificate carries it ([`mac_still_certified`]). So no certificate outlives
//! what it speaks for and then speaks for another account's gateway.
//!
//! Lock order, so none of these steps can interleave with a gateway change: whatever
//! issues, revokes or renews a gateway's certificate first holds the gateway row
//! ([`crate::gateways::hold_gateway`], shared), a change of the gateway holds it
//! exclusively. SQLite runs one writer at a time anyway.

use std::path::Path;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_certs::{Algorithm, CertificateAuthority, Issued, RevocationReason, Revoked};
use tds_entity::{
    CertificatePurpose, CertificateStatus, GatewayStatus, KeyAlgorithm, certificate, gateway,
};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::operator::Operator;
use crate::values::Mac;

fn key_algorithm(a: Algorithm) -> KeyAlgorithm {
    match a {
        Algorithm::Rsa2048 => KeyAlgorithm::Rsa2048,
        Algorithm::P256 => KeyAlgorithm::P256,
    }
}

/// Issues a certificate for the registered gateway with this MAC and records it ACTIVE
/// (platform operators). Returns the record and the issued material (key included, to
/// hand over once).
pub async fn issue_for_gateway(
    db: &sea_orm::DatabaseConnection,
    operator: &Operator,
    ca: &CertificateAuthority,
    mac: &str,
    algorithm: Algorithm,
    now: DateTime<Utc>,
) -> DomainResult<(certificate::Model, Issued)> {
    let mac = Mac::parse(mac).map_err(|m| DomainError::invalid("mac", m))?;
    let gateway = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::invalid(
                "mac",
                format!("no gateway has MAC {mac}: register it first"),
            )
        })?;
    issue(db, ca, &gateway, algorithm, operator.user_id(), now).await
}

/// Issues a certificate for `gateway` (CN = its MAC) and records it ACTIVE, provided the
/// gateway still has that MAC and is not INACTIVE when the record is written.
async fn issue(
    db: &sea_orm::DatabaseConnection,
    ca: &CertificateAuthority,
    gateway: &gateway::Model,
    algorithm: Algorithm,
    issued_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<(certificate::Model, Issued)> {
    may_certify(gateway)?;
    // Signing (RSA key generation) takes a while: outside the transaction.
    let issued = ca
        .issue_gateway(&gateway.mac, algorithm, now)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let txn = db.begin().await?;
    let held = crate::gateways::hold_gateway(&txn, gateway.id)
        .await?
        .ok_or(DomainError::NotFound("gateway"))?;
    if held.mac != gateway.mac {
        return Err(DomainError::Conflict(
            "the gateway's MAC changed meanwhile: issue again".into(),
        ));
    }
    may_certify(&held)?;
    let record = record(
        &txn,
        &issued,
        Some(gateway.account_id),
        Some(gateway.id),
        CertificatePurpose::Gateway,
        &gateway.mac,
        issued_by,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((record, issued))
}

/// An INACTIVE gateway gets no certificate: setting it INACTIVE revoked its certificates.
fn may_certify(gateway: &gateway::Model) -> DomainResult<()> {
    if gateway.status == GatewayStatus::Inactive {
        return Err(DomainError::Conflict(format!(
            "gateway {} is INACTIVE: set it ACTIVE before issuing a certificate",
            gateway.code
        )));
    }
    Ok(())
}

/// Records a platform certificate (the broker's, a service identity's) ACTIVE; it
/// belongs to no account (platform operators).
pub async fn record_service(
    db: &impl ConnectionTrait,
    operator: &Operator,
    issued: &Issued,
    purpose: CertificatePurpose,
    common_name: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    if purpose == CertificatePurpose::Gateway {
        return Err(DomainError::invalid(
            "purpose",
            "gateway certificates are issued for a registered gateway",
        ));
    }
    record(
        db,
        issued,
        None,
        None,
        purpose,
        common_name,
        operator.user_id(),
        now,
    )
    .await
}

/// Records an issued certificate (ACTIVE).
#[allow(clippy::too_many_arguments)]
async fn record(
    db: &impl ConnectionTrait,
    issued: &Issued,
    account_id: Option<Uuid>,
    gateway_id: Option<Uuid>,
    purpose: CertificatePurpose,
    common_name: &str,
    issued_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    let mut model = new_record(issued, purpose, common_name, CertificateStatus::Active, now);
    model.account_id = Set(account_id);
    model.gateway_id = Set(gateway_id);
    model.created_by = Set(issued_by);
    Ok(model.insert(db).await?)
}

/// Records the successor of `old` (PENDING until its gateway applies it).
pub(crate) async fn record_successor(
    db: &impl ConnectionTrait,
    old: &certificate::Model,
    issued: &Issued,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    let mut model = new_record(
        issued,
        CertificatePurpose::Gateway,
        &old.common_name,
        CertificateStatus::Pending,
        now,
    );
    model.account_id = Set(old.account_id);
    model.gateway_id = Set(old.gateway_id);
    Ok(model.insert(db).await?)
}

fn new_record(
    issued: &Issued,
    purpose: CertificatePurpose,
    common_name: &str,
    status: CertificateStatus,
    now: DateTime<Utc>,
) -> certificate::ActiveModel {
    certificate::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(None),
        gateway_id: Set(None),
        purpose: Set(purpose),
        serial: Set(issued.serial.clone()),
        common_name: Set(common_name.to_owned()),
        fingerprint_sha256: Set(issued.fingerprint_sha256.clone()),
        not_before: Set(issued.not_before),
        not_after: Set(issued.not_after),
        key_algorithm: Set(key_algorithm(issued.algorithm)),
        status: Set(status),
        revoked_at: Set(None),
        revocation_reason: Set(None),
        successor_id: Set(None),
        pem: Set(Some(issued.cert_pem.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
    }
}

/// A serial as stored: lower-case hex without `0x`, colons or spaces, whatever the caller
/// typed (`0X4F:1C`, ` 4f1c `). Its own normal form: normalising twice changes nothing.
pub fn normalise_serial(serial: &str) -> String {
    let hex: String = serial
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    hex.trim_start_matches("0x").to_owned()
}

/// Parses an RFC 5280 revocation reason: `key-compromise`, `superseded` … (dashes,
/// underscores and case ignored).
pub fn parse_reason(text: &str) -> Result<RevocationReason, String> {
    let t: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Ok(match t.as_str() {
        "unspecified" => RevocationReason::Unspecified,
        "keycompromise" => RevocationReason::KeyCompromise,
        "cacompromise" => RevocationReason::CaCompromise,
        "affiliationchanged" => RevocationReason::AffiliationChanged,
        "superseded" => RevocationReason::Superseded,
        "cessationofoperation" => RevocationReason::CessationOfOperation,
        "certificatehold" => RevocationReason::CertificateHold,
        "privilegewithdrawn" => RevocationReason::PrivilegeWithdrawn,
        _ => {
            return Err(format!(
                "unknown reason '{text}' (unspecified, key-compromise, ca-compromise, affiliation-changed, \
                 superseded, cessation-of-operation, certificate-hold, privilege-withdrawn)"
            ));
        }
    })
}

/// Marks the certificate with this serial REVOKED and stops a renewal that replaces or
/// offers it, in one transaction (platform operators: any account's certificate).
pub async fn revoke(
    db: &sea_orm::DatabaseConnection,
    _operator: &Operator,
    serial: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    parse_reason(reason).map_err(|m| DomainError::invalid("reason", m))?;
    let serial = normalise_serial(serial);
    let cert = certificate::Entity::find()
        .filter(certificate::Column::Serial.eq(serial.clone()))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::invalid("serial", format!("no certificate has serial {serial}"))
        })?;
    revoke_certificate(db, cert, reason, now).await
}

/// Revokes one certificate on its own (an operator's or a tenant's decision).
async fn revoke_certificate(
    db: &sea_orm::DatabaseConnection,
    cert: certificate::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    parse_reason(reason).map_err(|m| DomainError::invalid("reason", m))?;
    let txn = db.begin().await?;
    if let Some(gateway_id) = cert.gateway_id {
        crate::gateways::hold_gateway(&txn, gateway_id).await?;
    }
    // Read again inside the transaction: the decision is made on what it will change.
    let cert = certificate::Entity::find_by_id(cert.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    if cert.status == CertificateStatus::Revoked {
        return Err(DomainError::Conflict(format!(
            "certificate {} is already revoked",
            cert.serial
        )));
    }
    let revoked = revoke_in(&txn, cert, reason, "by an operator", now).await?;
    txn.commit().await?;
    Ok(revoked)
}

/// Marks `cert` REVOKED in the caller's transaction and ends a renewal in flight that
/// replaces or offers it (its log says the certificate was revoked `cause`).
async fn revoke_in(
    db: &impl ConnectionTrait,
    cert: certificate::Model,
    reason: &str,
    cause: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    let mut model: certificate::ActiveModel = cert.into();
    model.status = Set(CertificateStatus::Revoked);
    model.revoked_at = Set(Some(now));
    model.revocation_reason = Set(Some(reason.to_owned()));
    model.updated_at = Set(now);
    let revoked = model.update(db).await?;
    // A renewal replacing (or offering) this certificate must not go on.
    crate::renewals::end_after_revocation_because(db, &revoked, cause, now).await?;
    Ok(revoked)
}

/// Why a gateway's certificates stop speaking for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayEnd {
    /// The gateway was deleted (`cessation-of-operation`).
    Deleted,
    /// The gateway was set INACTIVE (`cessation-of-operation`).
    Deactivated,
    /// The gateway's MAC changed, so the certificates' CN names another device
    /// (`affiliation-changed`).
    MacChanged,
}

impl GatewayEnd {
    fn reason(self) -> &'static str {
        match self {
            Self::Deleted | Self::Deactivated => "cessation-of-operation",
            Self::MacChanged => "affiliation-changed",
        }
    }

    fn cause(self) -> &'static str {
        match self {
            Self::Deleted => "when its gateway was deleted",
            Self::Deactivated => "when its gateway was set INACTIVE",
            Self::MacChanged => "when its gateway's MAC changed",
        }
    }
}

/// Revokes, in the caller's transaction (which holds the gateway exclusively), every
/// certificate of `gateway_id` not revoked yet (ACTIVE ones and PENDING successors) and
/// stops their renewals. Returns them, for the CRL and the workers once committed.
pub(crate) async fn revoke_gateway_certificates(
    db: &impl ConnectionTrait,
    gateway_id: Uuid,
    end: GatewayEnd,
    now: DateTime<Utc>,
) -> DomainResult<Vec<certificate::Model>> {
    let live = certificate::Entity::find()
        .filter(certificate::Column::GatewayId.eq(gateway_id))
        .filter(certificate::Column::RevokedAt.is_null())
        .order_by_asc(certificate::Column::Id)
        .all(db)
        .await?;
    let mut revoked = Vec::with_capacity(live.len());
    for cert in live {
        // Stopping an earlier one's renewal may have revoked this successor already.
        let Some(cert) = certificate::Entity::find_by_id(cert.id)
            .filter(certificate::Column::RevokedAt.is_null())
            .one(db)
            .await?
        else {
            if let Some(done) = certificate::Entity::find_by_id(cert.id).one(db).await? {
                revoked.push(done);
            }
            continue;
        };
        revoked.push(revoke_in(db, cert, end.reason(), end.cause(), now).await?);
    }
    Ok(revoked)
}

/// Whether a certificate that is not revoked still carries `mac` as its CN (of any
/// account; a gateway's own certificates excepted): such a MAC is not registered again,
/// or that certificate would speak for the new gateway.
pub(crate) async fn mac_still_certified(
    db: &impl ConnectionTrait,
    mac: &Mac,
    except_gateway: Option<Uuid>,
) -> DomainResult<bool> {
    let mut query = certificate::Entity::find()
        .filter(certificate::Column::CommonName.eq(mac.as_str()))
        .filter(certificate::Column::RevokedAt.is_null());
    if let Some(id) = except_gateway {
        query = query.filter(
            sea_orm::Condition::any()
                .add(certificate::Column::GatewayId.is_null())
                .add(certificate::Column::GatewayId.ne(id)),
        );
    }
    Ok(query.count(db).await? > 0)
}

/// Every revoked (or superseded-and-revoked) certificate still within its validity.
pub async fn revoked(db: &impl ConnectionTrait, now: DateTime<Utc>) -> DomainResult<Vec<Revoked>> {
    let rows = certificate::Entity::find()
        .filter(certificate::Column::RevokedAt.is_not_null())
        .filter(certificate::Column::NotAfter.gt(now))
        .order_by_asc(certificate::Column::RevokedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| Revoked {
            serial: c.serial,
            revoked_at: c.revoked_at.unwrap_or(now),
            reason: c
                .revocation_reason
                .as_deref()
                .and_then(|r| parse_reason(r).ok()),
        })
        .collect())
}

/// Writes the current CRL to every path given (the CA directory, the broker's directory).
pub async fn write_crl(
    db: &impl ConnectionTrait,
    ca: &CertificateAuthority,
    paths: &[&Path],
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let list = revoked(db, now).await?;
    // Seconds since the epoch only grow: a valid, increasing CRL number without a counter table.
    let pem = ca
        .crl(&list, now.timestamp().max(1) as u64, now)
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    for path in paths {
        tds_certs::write_file(path, &pem).map_err(|e| DomainError::Internal(e.to_string()))?;
    }
    Ok(list.len())
}

/// Certificates of the caller's account, newest first: optionally one gateway's, one
/// status, or those expiring within `expiring_within_days`.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &crate::Tenant,
    gateway_id: Option<Uuid>,
    status: Option<CertificateStatus>,
    expiring_within_days: Option<i64>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<certificate::Model>> {
    let mut query =
        certificate::Entity::find().filter(certificate::Column::AccountId.eq(tenant.account_id));
    if let Some(gateway_id) = gateway_id {
        crate::gateways::get_gateway(db, tenant, gateway_id).await?;
        query = query.filter(certificate::Column::GatewayId.eq(gateway_id));
    }
    if let Some(status) = status {
        query = query.filter(certificate::Column::Status.eq(status));
    }
    if let Some(days) = expiring_within_days {
        if !(0..=36_500).contains(&days) {
            return Err(DomainError::invalid(
                "expiringWithinDays",
                "between 0 and 36500",
            ));
        }
        query = query.filter(certificate::Column::NotAfter.lte(now + chrono::Duration::days(days)));
    }
    Ok(query
        .order_by_desc(certificate::Column::Id)
        .limit(500)
        .all(db)
        .await?)
}

/// Issues a certificate for one of the caller's gateways (EDITOR).
pub async fn issue_for_tenant(
    db: &sea_orm::DatabaseConnection,
    ca: &CertificateAuthority,
    tenant: &crate::Tenant,
    gateway_id: Uuid,
    algorithm: Algorithm,
    now: DateTime<Utc>,
) -> DomainResult<(certificate::Model, Issued)> {
    tenant.require(tds_entity::Role::Editor)?;
    let gateway = crate::gateways::get_gateway(db, tenant, gateway_id).await?;
    issue(db, ca, &gateway, algorithm, Some(tenant.user_id), now).await
}

/// Revokes one of the caller's certificates (EDITOR). The caller rewrites the CRL
/// ([`write_crl`]) and tells the workers once this returns.
pub async fn revoke_for_tenant(
    db: &sea_orm::DatabaseConnection,
    tenant: &crate::Tenant,
    id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate::Model> {
    tenant.require(tds_entity::Role::Editor)?;
    let cert = certificate::Entity::find_by_id(id)
        .filter(certificate::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    revoke_certificate(db, cert, reason, now).await
}

/// Issues certificates for a list of MACs, all or nothing: every row is checked (MAC
/// valid, gateway registered, not listed twice) before anything is issued, and the
/// records are written in one transaction. Errors name the row (1-based, header excluded).
/// Platform operators: the MACs may belong to any account.
pub async fn issue_batch(
    db: &sea_orm::DatabaseConnection,
    operator: &Operator,
    ca: &CertificateAuthority,
    rows: &[(usize, String, Algorithm)],
    now: DateTime<Utc>,
) -> DomainResult<Vec<(certificate::Model, Issued)>> {
    let mut seen = std::collections::HashSet::new();
    let mut gateways = Vec::new();
    for (row, mac, algorithm) in rows {
        let mac =
            Mac::parse(mac).map_err(|m| DomainError::invalid("csv", format!("row {row}: {m}")))?;
        if !seen.insert(mac.clone()) {
            return Err(DomainError::invalid(
                "csv",
                format!("row {row}: {mac} is listed twice"),
            ));
        }
        let gateway = gateway::Entity::find()
            .filter(gateway::Column::Mac.eq(mac.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| {
                DomainError::invalid("csv", format!("row {row}: no gateway has MAC {mac}"))
            })?;
        may_certify(&gateway)
            .map_err(|e| DomainError::invalid("csv", format!("row {row}: {e}")))?;
        gateways.push((gateway, mac, *algorithm));
    }
    let mut issued = Vec::new();
    for (gateway, mac, algorithm) in gateways {
        let cert = ca
            .issue_gateway(mac.as_str(), algorithm, now)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        issued.push((gateway, mac, cert));
    }
    let txn = db.begin().await?;
    let mut out = Vec::new();
    for (gateway, mac, cert) in issued {
        // Still this MAC's, still not INACTIVE, and held so until the records commit.
        match crate::gateways::hold_gateway(&txn, gateway.id).await? {
            Some(held) if held.mac == gateway.mac && may_certify(&held).is_ok() => {}
            _ => {
                return Err(DomainError::Conflict(format!(
                    "gateway {mac} changed meanwhile: run the batch again"
                )));
            }
        }
        let model = record(
            &txn,
            &cert,
            Some(gateway.account_id),
            Some(gateway.id),
            CertificatePurpose::Gateway,
            mac.as_str(),
            operator.user_id(),
            now,
        )
        .await?;
        out.push((model, cert));
    }
    txn.commit().await?;
    Ok(out)
}

/// What the CRL must reflect: how many certificates are revoked, and the latest
/// revocation. When it changes, the CRL is stale.
pub async fn revocation_state(
    db: &impl ConnectionTrait,
) -> DomainResult<(u64, Option<DateTime<Utc>>)> {
    use sea_orm::PaginatorTrait;
    let revoked = certificate::Entity::find().filter(certificate::Column::RevokedAt.is_not_null());
    let count = revoked.clone().count(db).await?;
    let latest = revoked
        .order_by_desc(certificate::Column::RevokedAt)
        .one(db)
        .await?
        .and_then(|c| c.revoked_at);
    Ok((count, latest))
}

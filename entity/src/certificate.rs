//! An X.509 certificate the platform issued (CertificadoDevice); never its key.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `certificates`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "certificates")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    /// The gateway it identifies (a foreign key): none for platform identities, and none
    /// once the gateway was deleted, which revoked it first.
    pub gateway_id: Option<Uuid>,
    pub purpose: CertificatePurpose,
    /// Hex serial number, unique.
    #[sea_orm(unique)]
    pub serial: String,
    pub common_name: String,
    pub fingerprint_sha256: String,
    pub not_before: DateTimeUtc,
    pub not_after: DateTimeUtc,
    pub key_algorithm: KeyAlgorithm,
    pub status: CertificateStatus,
    pub revoked_at: Option<DateTimeUtc>,
    pub revocation_reason: Option<String>,
    pub successor_id: Option<Uuid>,
    /// The certificate, PEM (public; lets a successor be published again unchanged).
    pub pem: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Generated files (reports, certificate bundles) kept in the database: every api replica
//! serves what any worker or replica stored, and each file is deleted once it expires.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tds_entity::stored_file;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::tenant::Tenant;

/// What a stored file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A generated report.
    Report,
    /// A certificate bundle (certificate, key, CA), downloaded once.
    Bundle,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Report => "report",
            Purpose::Bundle => "bundle",
        }
    }
}

/// A file to store.
#[derive(Debug, Clone)]
pub struct NewFile {
    /// Its id, when the caller needs it beforehand (a new one otherwise).
    pub id: Option<Uuid>,
    /// The account it belongs to.
    pub account_id: Uuid,
    /// What it is.
    pub purpose: Purpose,
    /// The name a download is saved under.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// When it is deleted.
    pub expires_at: DateTime<Utc>,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Stores a file (size and SHA-256 computed here).
pub async fn store_file(
    db: &impl ConnectionTrait,
    file: NewFile,
    now: DateTime<Utc>,
) -> DomainResult<stored_file::Model> {
    let size = i64::try_from(file.content.len())
        .map_err(|_| DomainError::invalid("content", "too large"))?;
    Ok(stored_file::ActiveModel {
        id: Set(file.id.unwrap_or_else(Uuid::now_v7)),
        account_id: Set(file.account_id),
        purpose: Set(file.purpose.as_str().to_owned()),
        file_name: Set(file.file_name),
        content_type: Set(file.content_type),
        size: Set(size),
        sha256: Set(sha256_hex(&file.content)),
        content: Set(file.content),
        created_at: Set(now),
        expires_at: Set(file.expires_at),
    }
    .insert(db)
    .await?)
}

/// One of the caller's files, with its content, unless it expired; another account's
/// file is not found.
pub async fn get_file(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<stored_file::Model> {
    stored_file::Entity::find_by_id(id)
        .filter(stored_file::Column::AccountId.eq(tenant.account_id))
        .filter(stored_file::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("file"))
}

/// Deletes the files that expired by `now`; returns how many.
pub async fn delete_expired_files(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> DomainResult<u64> {
    Ok(stored_file::Entity::delete_many()
        .filter(stored_file::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

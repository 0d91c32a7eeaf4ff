//! Certificate bundles (certificate, private key, CA) waiting for their one download.
//! They live in the stored files, so any api replica hands them over, but encrypted
//! under a key derived from the one-time token: the database never holds a usable key,
//! and the token (which only the issuing caller saw) is needed to read it.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::stored_file;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::files::{NewFile, Purpose, store_file};
use crate::tenant::Tenant;

/// How long a bundle waits for its download.
pub const BUNDLE_TTL: Duration = Duration::minutes(10);

/// A bundle handed over.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The name it is saved under.
    pub file_name: String,
    /// The zip.
    pub zip: Vec<u8>,
}

fn cipher(secret: &[u8], file_id: Uuid) -> DomainResult<LessSafeKey> {
    let prk = Salt::new(HKDF_SHA256, b"tds certificate bundle v1").extract(secret);
    let info = [file_id.as_bytes().as_slice()];
    let okm = prk
        .expand(&info, &AES_256_GCM)
        .map_err(|_| DomainError::Internal("bundle key derivation failed".into()))?;
    let mut key = [0u8; 32];
    okm.fill(&mut key)
        .map_err(|_| DomainError::Internal("bundle key derivation failed".into()))?;
    let key = UnboundKey::new(&AES_256_GCM, &key)
        .map_err(|_| DomainError::Internal("bundle key rejected".into()))?;
    Ok(LessSafeKey::new(key))
}

// Each key encrypts exactly one message (it is derived from a fresh secret and the file
// id), so a fixed nonce never repeats under one key.
fn nonce() -> Nonce {
    Nonce::assume_unique_for_key([0u8; 12])
}

/// Keeps `zip` for `account_id` and returns the one-time token that fetches it.
pub async fn keep_bundle(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    file_name: String,
    zip: Vec<u8>,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let secret: [u8; 32] = rand::random();
    let file_id = Uuid::now_v7();
    let mut sealed = zip;
    cipher(&secret, file_id)?
        .seal_in_place_append_tag(nonce(), Aad::from(account_id.as_bytes()), &mut sealed)
        .map_err(|_| DomainError::Internal("bundle encryption failed".into()))?;
    store_file(
        db,
        NewFile {
            id: Some(file_id),
            account_id,
            purpose: Purpose::Bundle,
            file_name,
            content_type: "application/zip".into(),
            content: sealed,
            expires_at: now + BUNDLE_TTL,
        },
        now,
    )
    .await?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    Ok(format!("{}.{secret}", file_id.simple()))
}

/// Hands a bundle over once, to its own account; taken, expired, another account's or a
/// wrong token are all "not found".
pub async fn take_bundle(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    token: &str,
    now: DateTime<Utc>,
) -> DomainResult<Bundle> {
    let not_found = || DomainError::NotFound("bundle");
    let (id, secret) = token.split_once('.').ok_or_else(not_found)?;
    let file_id = Uuid::try_parse(id).map_err(|_| not_found())?;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(secret)
        .map_err(|_| not_found())?;
    let row = stored_file::Entity::find_by_id(file_id)
        .filter(stored_file::Column::AccountId.eq(tenant.account_id()))
        .filter(stored_file::Column::Purpose.eq(Purpose::Bundle.as_str()))
        .filter(stored_file::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let mut content = row.content;
    let plain_len = cipher(&secret, file_id)?
        .open_in_place(
            nonce(),
            Aad::from(tenant.account_id().as_bytes()),
            &mut content,
        )
        .map_err(|_| not_found())?
        .len();
    content.truncate(plain_len);
    // Whoever deletes the row has the download; a second taker finds nothing.
    let deleted = stored_file::Entity::delete_by_id(file_id).exec(db).await?;
    if deleted.rows_affected != 1 {
        return Err(not_found());
    }
    Ok(Bundle {
        file_name: row.file_name,
        zip: content,
    })
}

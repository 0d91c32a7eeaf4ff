//! Passwords (argon2id), signed login tokens (JWT, HS256), one-time tokens, sign-in
//! limits and the re-check of long-lived (WebSocket) sessions.
//!
//! Argon2 is deliberately slow (tens of milliseconds of CPU): it runs on the blocking
//! pool, never on the async runtime's threads, so a burst of sign-ins cannot stall
//! every other request of the process.

use std::time::Duration as StdDuration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tds_entity::Role;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::tenant::Session;

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

fn check_password_rules(password: &str) -> DomainResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(DomainError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

fn hash_now(password: &str) -> DomainResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
}

fn verify_now(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Runs CPU-heavy password work on the blocking pool.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> DomainResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DomainError::Internal(format!("password worker failed: {e}")))
}

/// Hashes a password into an argon2id PHC string (salt generated inside), off the runtime.
pub async fn hash_password(password: &str) -> DomainResult<String> {
    check_password_rules(password)?;
    let password = password.to_owned();
    off_runtime(move || hash_now(&password)).await?
}

/// Checks a password against a stored PHC string, off the runtime; `None` checks against
/// a throw-away hash, so a missing user costs the same time as a wrong password.
pub async fn verify_password(password: &str, phc: Option<&str>) -> DomainResult<bool> {
    let password = password.to_owned();
    let phc = phc.map(str::to_owned);
    off_runtime(move || {
        let matches = verify_now(&password, phc.as_deref().unwrap_or_else(|| dummy_hash()));
        matches && phc.is_some()
    })
    .await
}

/// A hash of a throw-away password, verified against when the user does not exist so
/// a failed login takes the same time either way.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_now("not-a-real-password").unwrap_or_default())
}

/// Shortest token-signing secret accepted, in bytes: HS256 with a shorter key can be
/// brute-forced offline from any token.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a token-signing secret was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret configured.
    #[error(
        "TDS_JWT_SECRET is not set: the api needs one of at least {MIN_SECRET_BYTES} bytes, the same on every replica (e.g. `openssl rand -hex 32`)"
    )]
    Missing,
    /// The secret is too short to resist guessing.
    #[error(
        "TDS_JWT_SECRET has {0} bytes: at least {MIN_SECRET_BYTES} are needed (e.g. `openssl rand -hex 32`)"
    )]
    TooShort(usize),
}

/// A fresh random secret (hex, 64 characters), for a single-machine mode that keeps it
/// in its data directory so tokens survive restarts.
pub fn generate_secret() -> String {
    hex::encode(random_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
}

/// Signs and checks login tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl TokenKeys {
    /// Keys from a shared secret; tokens live `ttl`.
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// Keys from the configured secret, refusing a missing or short one: a random
    /// per-process secret would sign every user out on a restart and on every other replica.
    pub fn from_secret(secret: Option<&str>, ttl: Duration) -> Result<Self, SecretError> {
        match secret {
            None | Some("") => Err(SecretError::Missing),
            Some(s) if s.len() < MIN_SECRET_BYTES => Err(SecretError::TooShort(s.len())),
            Some(s) => Ok(Self::new(s.as_bytes(), ttl)),
        }
    }

    /// Issues a token for `user_id`, returning it with its expiry.
    pub fn issue(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> DomainResult<(String, DateTime<Utc>)> {
        let expires = now + self.ttl;
        let claims = Claims {
            sub: user_id,
            iat: now.timestamp(),
            exp: expires.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|t| (t, expires))
            .map_err(|e| DomainError::Internal(format!("token signing failed: {e}")))
    }

    /// Returns the user id of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> DomainResult<Uuid> {
        self.claims(token).map(|c| c.sub)
    }

    /// When a valid token stops working (a live session is re-checked then).
    pub fn expiry(&self, token: &str) -> Option<DateTime<Utc>> {
        let claims = self.claims(token).ok()?;
        DateTime::from_timestamp(claims.exp, 0)
    }

    fn claims(&self, token: &str) -> DomainResult<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    DomainError::Unauthenticated("token expired: log in again".into())
                }
                _ => DomainError::Unauthenticated("invalid token".into()),
            })
    }
}

impl TokenKeys {
    /// Signs `claims` with the login key (HS256).
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> DomainResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| DomainError::Internal(format!("token signing failed: {e}")))
    }

    /// Reads claims signed for `audience` (a login token has none, so it never passes).
    pub(crate) fn read<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> DomainResult<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "aud"]);
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    DomainError::Unauthenticated("link expired: ask for a new one".into())
                }
                _ => DomainError::Unauthenticated("invalid link".into()),
            })
    }
}

fn random_bytes() -> [u8; 32] {
    rand::random()
}

/// A fresh one-time token (URL-safe) and the SHA-256 hex that is stored instead of it.
pub fn one_time_token() -> (String, String) {
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes());
    let hash = token_hash(&token);
    (token, hash)
}

/// SHA-256 hex of a one-time token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An allowance of attempts per fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Attempts allowed in one window.
    pub attempts: u64,
    /// Length of the window, counted from its first attempt.
    pub window: StdDuration,
}

impl Limit {
    /// Refuses the `count`-th attempt of a window that ends in `resets_in` when it is past
    /// the allowance, saying when to try again (whole seconds, at least one).
    pub fn check(&self, count: u64, resets_in: StdDuration) -> DomainResult<()> {
        if count <= self.attempts {
            return Ok(());
        }
        let retry_after_s = resets_in.as_millis().div_ceil(1000).max(1) as u64;
        Err(DomainError::RateLimited { retry_after_s })
    }
}

/// How many sign-in attempts pass: per e-mail (guessing one user's password) and per
/// client address (guessing many users' passwords, or burning CPU with argon2).
/// Attempts that succeed are given back, so only failures (and attempts in flight) count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per normalised e-mail.
    pub per_email: Limit,
    /// Per client address.
    pub per_address: Limit,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_email: Limit {
                attempts: 5,
                window: StdDuration::from_secs(15 * 60),
            },
            per_address: Limit {
                attempts: 20,
                window: StdDuration::from_secs(60),
            },
        }
    }
}

/// How many expensive requests one user may make: those that make the platform build a
/// file or read a long stretch of raw readings. Counted per user, whatever token it
/// signed in with, so signing in again buys nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpensiveLimits {
    /// Expensive requests per user in one window.
    pub per_user: Limit,
    /// Raw readings over more days than this are expensive.
    pub readings_days: i64,
}

impl Default for ExpensiveLimits {
    fn default() -> Self {
        Self {
            per_user: Limit {
                attempts: 20,
                window: StdDuration::from_secs(60),
            },
            readings_days: 31,
        }
    }
}

/// Whether a long-lived session (a WebSocket connection) still allows what it was opened
/// for: its token valid, its user active, still a member of `account_id` with at least
/// `required`, and the account's licence valid. Losing the membership is FORBIDDEN here
/// (the caller knew the account), not NOT_FOUND.
pub fn still_allowed(session: &Session, account_id: Uuid, required: Role) -> DomainResult<()> {
    session.user()?;
    let tenant = session.tenant().map_err(|e| match e {
        DomainError::NotFound(_) => {
            DomainError::Forbidden("you are no longer a member of this account".into())
        }
        other => other,
    })?;
    if tenant.account_id != account_id {
        return Err(DomainError::Forbidden(
            "you are no longer a member of this account".into(),
        ));
    }
    tenant.require(required)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_round_trip() {
        let phc = hash_password("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&phc)).await.unwrap());
        assert!(!verify_password("wrong horse", Some(&phc)).await.unwrap());
        assert!(!verify_password("not-a-real-password", None).await.unwrap());
    }

    #[tokio::test]
    async fn short_password_is_a_validation_error() {
        assert_eq!(
            hash_password("short").await.unwrap_err().code(),
            "VALIDATION"
        );
    }

    #[test]
    fn signing_secrets_must_be_long() {
        let ttl = Duration::hours(1);
        assert!(matches!(
            TokenKeys::from_secret(None, ttl),
            Err(SecretError::Missing)
        ));
        assert!(matches!(
            TokenKeys::from_secret(Some(&"x".repeat(31)), ttl),
            Err(SecretError::TooShort(31))
        ));
        assert!(TokenKeys::from_secret(Some(&"x".repeat(32)), ttl).is_ok());
        assert_eq!(generate_secret().len(), 64);
    }

    #[test]
    fn sign_in_limits_refuse_past_the_allowance_with_a_retry_time() {
        let limit = Limit {
            attempts: 2,
            window: StdDuration::from_secs(60),
        };
        assert!(limit.check(2, StdDuration::from_secs(10)).is_ok());
        let refused = limit.check(3, StdDuration::from_millis(9_001)).unwrap_err();
        assert!(matches!(
            refused,
            DomainError::RateLimited { retry_after_s: 10 }
        ));
        let refused = limit.check(3, StdDuration::ZERO).unwrap_err();
        assert!(matches!(
            refused,
            DomainError::RateLimited { retry_after_s: 1 }
        ));
    }

    #[test]
    fn token_expires_and_is_bound_to_its_key() {
        let keys = TokenKeys::new(b"secret", Duration::hours(1));
        let user = Uuid::now_v7();
        let (token, _) = keys.issue(user, Utc::now()).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), user);
        let (old, _) = keys.issue(user, Utc::now() - Duration::hours(2)).unwrap();
        assert_eq!(keys.verify(&old).unwrap_err().code(), "UNAUTHENTICATED");
        let other = TokenKeys::new(b"other", Duration::hours(1));
        assert!(other.verify(&token).is_err());
    }
}

//! Passwords (argon2id), signed login tokens (JWT, HS256) and one-time tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Hashes a password into an argon2id PHC string (salt generated inside).
pub fn hash_password(password: &str) -> DomainResult<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(DomainError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A hash of a throw-away password, verified against when the user does not exist so
/// a failed login takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
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

    /// Keys from a random secret: tokens stop working when the process ends.
    pub fn ephemeral(ttl: Duration) -> Self {
        Self::new(&random_bytes(), ttl)
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
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims.sub)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    DomainError::Unauthenticated("token expired: log in again".into())
                }
                _ => DomainError::Unauthenticated("invalid token".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_round_trip() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
    }

    #[test]
    fn short_password_is_a_validation_error() {
        assert_eq!(hash_password("short").unwrap_err().code(), "VALIDATION");
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

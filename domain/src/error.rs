//! The one error type of domain operations; mapped to API codes at the edge.

use sea_orm::{DbErr, SqlErr};

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Input field name as the API spells it (camelCase).
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a domain operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist in the caller's account (or at all).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// One or more input fields are invalid.
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(Vec<FieldError>),
    /// The operation contradicts the current state.
    #[error("{0}")]
    Conflict(String),
    /// The account's licence has expired (`is_active = false`).
    #[error("the licence of this account has expired")]
    LicenceExpired,
    /// Too many attempts (sign-in); try again after `retry_after_s` seconds.
    #[error("too many attempts: try again in {retry_after_s} s")]
    RateLimited {
        /// Seconds until the next attempt can pass.
        retry_after_s: u64,
    },
    /// Storage failed; details go to the log, not to the client.
    #[error("database error: {0}")]
    Database(DbErr),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    /// A validation error on a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable code clients switch on (`extensions.code` in GraphQL).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Validation(_) => "VALIDATION",
            Self::Conflict(_) => "CONFLICT",
            Self::LicenceExpired => "LICENCE_EXPIRED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Database(_) | Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        // A unique index caught a race the explicit checks could not see.
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::Conflict("a conflicting object was created at the same time".into());
        }
        Self::Database(err)
    }
}

/// Result of a domain operation.
pub type DomainResult<T> = Result<T, DomainError>;

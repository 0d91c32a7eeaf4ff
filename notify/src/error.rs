//! Why a delivery failed, and whether trying again can help.

/// A failed delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Trying again cannot help: a refused recipient, a bad or forbidden address, a 4xx
    /// answer, a redirect (never followed), a message the channel cannot carry.
    #[error("{0}")]
    Permanent(String),
    /// It may work later: a timeout, a refused or broken connection, a 5xx, 408 or 429
    /// answer, a temporary SMTP refusal.
    #[error("{0}")]
    Transient(String),
}

impl DeliveryError {
    /// Whether a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryError::Transient(_))
    }

    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        DeliveryError::Permanent(message.into())
    }

    pub(crate) fn transient(message: impl Into<String>) -> Self {
        DeliveryError::Transient(message.into())
    }
}

/// A mailer or webhook sender could not be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `SMTP_URL` is not usable.
    #[error("SMTP_URL: {0}")]
    SmtpUrl(String),
    /// The sender address is not an e-mail address.
    #[error("TDS_MAIL_FROM: {0}")]
    From(String),
    /// The TLS configuration could not be built.
    #[error("TLS: {0}")]
    Tls(String),
}

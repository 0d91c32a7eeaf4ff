//! The notification job: one message (an alert opened or resolved, an invitation) to one
//! recipient over one channel. The job carries everything the message says, read when
//! it was enqueued, so delivering needs no database and a retry says the same thing.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One notification to deliver; retried as a new job with `attempt + 1`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Stable across retries: every attempt is recorded under it.
    pub id: Uuid,
    /// Where it goes.
    pub channel: Channel,
    /// What it says.
    pub message: Message,
    /// This attempt's number, from 1.
    pub attempt: u32,
}

impl Notification {
    /// A first attempt of `message` over `channel`, with a fresh id.
    pub fn new(channel: Channel, message: Message) -> Self {
        Self {
            id: Uuid::now_v7(),
            channel,
            message,
            attempt: 1,
        }
    }

    /// The alert it is about, if any.
    pub fn alert_id(&self) -> Option<Uuid> {
        match &self.message {
            Message::Alert(notice) => Some(notice.alert_id),
            Message::Invitation(_) | Message::Report(_) => None,
        }
    }

    /// The report schedule it delivers a run of, if any.
    pub fn schedule_id(&self) -> Option<Uuid> {
        match &self.message {
            Message::Report(notice) => Some(notice.schedule_id),
            Message::Alert(_) | Message::Invitation(_) => None,
        }
    }
}

// Webhook secrets and invitation tokens stay out of logs.
impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("id", &self.id)
            .field("channel", &self.channel.kind())
            .field("target", &self.channel.target())
            .field("alert_id", &self.alert_id())
            .field("attempt", &self.attempt)
            .finish()
    }
}

/// A way to reach someone.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Channel {
    /// An e-mail to one address.
    Email {
        /// The recipient.
        to: String,
    },
    /// A JSON POST signed with HMAC-SHA256.
    Webhook {
        /// `https://…` (or `http://…`).
        url: String,
        /// The key of the signature (the rule's webhook secret).
        secret: String,
    },
}

impl Channel {
    /// `email` or `webhook`.
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Webhook { .. } => "webhook",
        }
    }

    /// Who or where, fit for a log and the attempt record: the address, or the webhook's
    /// URL without its query (which may hold a token).
    pub fn target(&self) -> String {
        match self {
            Channel::Email { to } => to.clone(),
            Channel::Webhook { url, .. } => {
                url.split(['?', '#']).next().unwrap_or_default().to_owned()
            }
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.target())
    }
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An alert opened or resolved.
    Alert(AlertNotice),
    /// An invitation to join an account.
    Invitation(InvitationNotice),
    /// A scheduled report, attached or linked.
    Report(ReportNotice),
}

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Locale {
    /// Brazilian Portuguese (the default).
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Locale {
    /// An account's locale setting (`pt-BR`, `en`, `en-US` …); Portuguese when unknown.
    pub fn parse(tag: &str) -> Self {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::PtBr
        }
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// For information.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action now.
    Critical,
}

impl From<tds_entity::Severity> for Severity {
    fn from(severity: tds_entity::Severity) -> Self {
        match severity {
            tds_entity::Severity::Info => Severity::Info,
            tds_entity::Severity::Warning => Severity::Warning,
            tds_entity::Severity::Critical => Severity::Critical,
        }
    }
}

/// Which change of an alert is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertTransition {
    /// The condition started.
    Opened,
    /// The condition cleared, or someone resolved it.
    Resolved,
}

/// An alert as its notification tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertNotice {
    /// The alert (the link and the attempt records point to it).
    pub alert_id: Uuid,
    /// Its account.
    pub account_id: Uuid,
    /// The account's name.
    pub account_name: String,
    /// The account's language.
    pub locale: Locale,
    /// The account's time zone (IANA name); times are shown in it.
    pub timezone: String,
    /// The rule that raised it.
    pub rule_name: String,
    /// Its severity.
    pub severity: Severity,
    /// Opened or resolved.
    pub transition: AlertTransition,
    /// The alert's own message (as the rule worded it).
    pub message: String,
    /// The device, when the alert is about one.
    pub device_name: Option<String>,
    /// The gateway.
    pub gateway_name: Option<String>,
    /// The value that triggered (or cleared) it.
    pub value: Option<f64>,
    /// The value's unit (kWh, m³, °C …).
    pub unit: Option<String>,
    /// The rule's limit the value crossed.
    pub threshold: Option<f64>,
    /// When it opened or resolved.
    pub at: DateTime<Utc>,
}

/// An invitation as its e-mail tells it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationNotice {
    /// The invitation.
    pub invitation_id: Uuid,
    /// The account to join.
    pub account_name: String,
    /// The account's language.
    pub locale: Locale,
    /// The account's time zone (IANA name).
    pub timezone: String,
    /// Who invited (name or e-mail).
    pub invited_by: Option<String>,
    /// The role on acceptance (`ADMIN`, `EDITOR`, `VIEWER`).
    pub role: String,
    /// The one-time token; only the invitee's mailbox receives it.
    pub token: String,
    /// Last moment it can be accepted.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for InvitationNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvitationNotice")
            .field("invitation_id", &self.invitation_id)
            .field("account_name", &self.account_name)
            .field("role", &self.role)
            .field("token", &"***")
            .finish()
    }
}

/// A scheduled report as its e-mail tells it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportNotice {
    /// The report.
    pub report_id: Uuid,
    /// The schedule that ran (a failure to deliver is shown on it).
    pub schedule_id: Uuid,
    /// The account (its file is read in its scope).
    pub account_id: Uuid,
    /// The schedule's name.
    pub schedule_name: String,
    /// The account's name.
    pub account_name: String,
    /// The account's language.
    pub locale: Locale,
    /// The account's time zone (IANA name).
    pub timezone: String,
    /// Start of the covered time.
    pub from: DateTime<Utc>,
    /// End of the covered time, excluded.
    pub to: DateTime<Utc>,
    /// The file's name.
    pub file_name: String,
    /// The file's size in bytes.
    pub size: i64,
    /// Whether the file goes attached (at most the attachment limit) or only linked.
    pub attach: bool,
    /// Path and signed query of a download link under the public address; none when
    /// links cannot be signed here.
    pub link: Option<String>,
    /// When the file (and the link) expire.
    pub expires_at: Option<DateTime<Utc>>,
}

// The link is a credential for the file: it stays out of logs.
impl fmt::Debug for ReportNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportNotice")
            .field("report_id", &self.report_id)
            .field("schedule_id", &self.schedule_id)
            .field("file_name", &self.file_name)
            .field("size", &self.size)
            .field("attach", &self.attach)
            .field("link", &self.link.as_ref().map(|_| "***"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_and_targets() {
        let n = Notification::new(
            Channel::Webhook {
                url: "https://hooks.example/x?token=abc".into(),
                secret: "s3cret".into(),
            },
            Message::Invitation(InvitationNotice {
                invitation_id: Uuid::nil(),
                account_name: "A".into(),
                locale: Locale::En,
                timezone: "UTC".into(),
                invited_by: None,
                role: "VIEWER".into(),
                token: "tok3n".into(),
                expires_at: Utc::now(),
            }),
        );
        let shown = format!("{n:?} {:?}", n.message);
        assert!(!shown.contains("s3cret") && !shown.contains("tok3n") && !shown.contains("abc"));
        assert_eq!(n.channel.target(), "https://hooks.example/x");
        let back: Notification = serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
        assert_eq!(back, n);
        assert_eq!(Locale::parse("en-US"), Locale::En);
        assert_eq!(Locale::parse("pt-BR"), Locale::PtBr);
    }
}

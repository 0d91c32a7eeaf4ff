//! What notifications say, in the account's language (pt-BR or en) and time zone: an
//! e-mail (subject, text and HTML) or a webhook's JSON body.

mod alert;
mod format;
mod invitation;
mod report;

pub use alert::{alert_email, alert_payload};
pub use format::{escape_html, format_number, format_time};
pub use invitation::invitation_email;
pub use report::report_email;

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (every value escaped).
    pub html: String,
}

/// Where links in messages point: the web app's public address (`TDS_PUBLIC_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `public_url` (`https://tds.example.com`).
    pub fn new(public_url: &str) -> Self {
        Self {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The page of an alert.
    pub fn alert(&self, alert_id: uuid::Uuid) -> String {
        format!("{}/alerts/{alert_id}", self.base)
    }

    /// `path` (which starts with `/`) under the public address.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The page accepting an invitation (the token travels in the fragment, which
    /// browsers do not send to servers or in `Referer`).
    pub fn invitation(&self, token: &str) -> String {
        format!("{}/invitation#token={token}", self.base)
    }
}

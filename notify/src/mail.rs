//! E-mail over SMTP (lettre), configured by one URL:
//! - `smtp://user:pass@host:587` — STARTTLS, required (port 587 by default);
//! - `smtps://user:pass@host:465` — TLS from the first byte (port 465 by default);
//! - `smtp://host:25?tls=opportunistic` — STARTTLS when the server offers it;
//! - `smtp://host:25?tls=none` — plain text, for a relay on the same machine (and tests).
//!
//! The password may be percent-encoded; it is never logged (see `tds_domain::config::mask_url`).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::{DeliveryError, SetupError};
use crate::render::Rendered;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Sends e-mails through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `SMTP_URL`, sending as `from` (`Name <address>` or an address).
    /// Call it inside the Tokio runtime: the connection pool starts a task.
    pub fn from_url(smtp_url: &str, from: &str) -> Result<Self, SetupError> {
        let from: Mailbox = from.parse().map_err(|e| SetupError::From(format!("{e}")))?;
        let url = lettre_url(smtp_url)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| SetupError::SmtpUrl(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// Sends `mail` to `to` as a text and HTML alternative.
    pub async fn send(&self, to: &str, mail: &Rendered) -> Result<(), DeliveryError> {
        self.send_with(to, mail, None).await
    }

    /// Sends `mail` to `to`, with `file` attached when there is one.
    pub async fn send_with(
        &self,
        to: &str,
        mail: &Rendered,
        file: Option<&FileAttachment>,
    ) -> Result<(), DeliveryError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| DeliveryError::permanent(format!("recipient '{to}': {e}")))?;
        let body = MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        let message = match file {
            None => builder.multipart(body),
            Some(file) => {
                let content_type = ContentType::parse(&file.content_type).unwrap_or(
                    ContentType::parse("application/octet-stream")
                        .map_err(|e| DeliveryError::permanent(format!("attachment type: {e}")))?,
                );
                builder.multipart(
                    MultiPart::mixed().multipart(body).singlepart(
                        Attachment::new(file.file_name.clone())
                            .body(file.content.clone(), content_type),
                    ),
                )
            }
        }
        .map_err(|e| DeliveryError::permanent(format!("cannot build the e-mail: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// A file that goes with an e-mail.
#[derive(Clone, PartialEq, Eq)]
pub struct FileAttachment {
    /// The name it is saved under.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

impl std::fmt::Debug for FileAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAttachment")
            .field("file_name", &self.file_name)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// Turns our URL conventions into lettre's: `smtp://` without `tls` means STARTTLS
/// required (lettre would send in plain text), `tls=none` means plain text.
fn lettre_url(smtp_url: &str) -> Result<String, SetupError> {
    let mut url = url::Url::parse(smtp_url).map_err(|e| SetupError::SmtpUrl(e.to_string()))?;
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let tls = match (url.scheme(), tls.as_deref()) {
        ("smtp", None | Some("required")) => Some("required"),
        ("smtp", Some("opportunistic")) => Some("opportunistic"),
        ("smtp", Some("none")) => None,
        ("smtps", None) => None,
        (scheme @ ("smtp" | "smtps"), Some(other)) => {
            return Err(SetupError::SmtpUrl(format!(
                "{scheme}:// does not take tls={other} (smtp:// takes required, opportunistic or none)"
            )));
        }
        (scheme, _) => {
            return Err(SetupError::SmtpUrl(format!(
                "scheme '{scheme}' is not smtp:// or smtps://"
            )));
        }
    };
    url.set_query(None);
    if tls.is_some() || !others.is_empty() {
        let mut pairs = url.query_pairs_mut();
        if let Some(tls) = tls {
            pairs.append_pair("tls", tls);
        }
        for (k, v) in &others {
            pairs.append_pair(k, v);
        }
    }
    Ok(url.to_string())
}

/// A refusal by the server (5xx) or of the message is permanent; a 4xx, a timeout or a
/// connection that failed may pass later.
fn classify(e: SmtpError) -> DeliveryError {
    let text = e.to_string();
    if e.is_permanent() {
        DeliveryError::permanent(format!("SMTP refused: {text}"))
    } else {
        DeliveryError::transient(format!("SMTP: {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_urls_default_to_starttls_required() {
        let url = |u| lettre_url(u).unwrap();
        assert_eq!(
            url("smtp://u:p%40ss@mail.example"),
            "smtp://u:p%40ss@mail.example?tls=required"
        );
        assert_eq!(
            url("smtp://mail.example:2525?tls=none"),
            "smtp://mail.example:2525"
        );
        assert_eq!(
            url("smtp://mail.example?tls=opportunistic"),
            "smtp://mail.example?tls=opportunistic"
        );
        assert_eq!(url("smtps://mail.example"), "smtps://mail.example");
        assert!(lettre_url("http://mail.example").is_err());
        assert!(lettre_url("smtps://mail.example?tls=none").is_err());
        assert!(Mailer::from_url("smtp://u:p@mail.example", "TDS <tds@example.com>").is_ok());
        assert!(Mailer::from_url("smtp://mail.example", "not an address").is_err());
    }
}

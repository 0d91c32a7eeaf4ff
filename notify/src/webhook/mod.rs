//! Webhooks: a JSON POST signed with HMAC-SHA256 (see [`sign`]), within a deadline,
//! never following a redirect, and by default only to public addresses.
//!
//! The host is resolved here, every address it resolves to is checked, and the
//! connection goes to the address that was checked: a name that resolves to a public
//! address for the check and to a private one for the connection (DNS rebinding) gets
//! nowhere. That is why this is a few lines of hyper rather than a general HTTP client.

pub mod address;
pub mod sign;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

use crate::error::{DeliveryError, SetupError};
pub use sign::{DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature};

/// Default deadline of one webhook call, connection included.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Posts signed webhooks.
#[derive(Clone)]
pub struct WebhookSender {
    allow_private: bool,
    timeout: Duration,
    tls: TlsConnector,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("allow_private", &self.allow_private)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One webhook call.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    /// Where to post.
    pub url: &'a str,
    /// The signing key.
    pub secret: &'a [u8],
    /// The JSON body.
    pub body: &'a [u8],
    /// Signing time, Unix seconds.
    pub timestamp: i64,
    /// The notification's id ([`DELIVERY_HEADER`]).
    pub delivery: &'a str,
}

impl WebhookSender {
    /// A sender; `allow_private` (`TDS_WEBHOOK_ALLOW_PRIVATE`) lets webhooks reach
    /// loopback and private addresses (a receiver on the same network, tests).
    pub fn new(allow_private: bool) -> Result<Self, SetupError> {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        // The ring provider named explicitly: no process-wide default is assumed.
        let config =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| SetupError::Tls(e.to_string()))?
                .with_root_certificates(roots)
                .with_no_client_auth();
        Ok(Self {
            allow_private,
            timeout: WEBHOOK_TIMEOUT,
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The same sender with another deadline per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Posts one webhook; `Ok` with the status when the receiver answered 2xx.
    pub async fn post(&self, request: WebhookRequest<'_>) -> Result<u16, DeliveryError> {
        let target = Target::parse(request.url)?;
        match tokio::time::timeout(self.timeout, self.call(&target, request)).await {
            Ok(result) => result,
            Err(_) => Err(DeliveryError::transient(format!(
                "no answer within {} s",
                self.timeout.as_secs_f32()
            ))),
        }
    }

    async fn call(
        &self,
        target: &Target,
        request: WebhookRequest<'_>,
    ) -> Result<u16, DeliveryError> {
        let addr = self.resolve(target).await?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| DeliveryError::transient(format!("cannot connect to {addr}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        if target.https {
            let name = ServerName::try_from(target.host.clone())
                .map_err(|e| DeliveryError::permanent(format!("host '{}': {e}", target.host)))?;
            let tls =
                self.tls.connect(name, tcp).await.map_err(|e| {
                    DeliveryError::transient(format!("TLS with {}: {e}", target.host))
                })?;
            exchange(tls, target, request).await
        } else {
            exchange(tcp, target, request).await
        }
    }

    /// The address to connect to: the first the host resolves to, once every one of them
    /// passed the check (a name mixing public and private addresses is refused).
    async fn resolve(&self, target: &Target) -> Result<SocketAddr, DeliveryError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| DeliveryError::transient(format!("cannot resolve {}: {e}", target.host)))?
            .collect();
        let first = *addrs
            .first()
            .ok_or_else(|| DeliveryError::transient(format!("{} has no address", target.host)))?;
        if !self.allow_private
            && let Some(refused) = addrs.iter().find(|a| !address::is_public(a.ip()))
        {
            return Err(DeliveryError::permanent(format!(
                "{} resolves to {}, which is not a public address (TDS_WEBHOOK_ALLOW_PRIVATE allows it)",
                target.host,
                refused.ip()
            )));
        }
        Ok(first)
    }
}

/// A webhook URL taken apart.
#[derive(Debug)]
struct Target {
    https: bool,
    host: String,
    port: u16,
    /// Path and query, as sent in the request line.
    path: String,
    /// `Host` header value.
    authority: String,
}

impl Target {
    fn parse(raw: &str) -> Result<Self, DeliveryError> {
        let bad = |why: &str| DeliveryError::permanent(format!("webhook URL: {why}"));
        let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(bad(&format!("scheme '{other}' is not http or https"))),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials in the URL are not sent; use the signing secret",
            ));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("no host")),
        };
        let port = url.port_or_known_default().ok_or_else(|| bad("no port"))?;
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Self {
            https,
            host,
            port,
            path,
            authority,
        })
    }
}

/// One HTTP/1.1 request on a connected stream, and its status.
async fn exchange<S>(
    stream: S,
    target: &Target,
    request: WebhookRequest<'_>,
) -> Result<u16, DeliveryError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| DeliveryError::transient(format!("HTTP handshake: {e}")))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let http = hyper::Request::post(target.path.as_str())
        .header(hyper::header::HOST, target.authority.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, "TDS-Webhook/1")
        .header(TIMESTAMP_HEADER, request.timestamp.to_string())
        .header(
            SIGNATURE_HEADER,
            signature(request.secret, request.timestamp, request.body),
        )
        .header(DELIVERY_HEADER, request.delivery)
        .body(Full::new(Bytes::copy_from_slice(request.body)))
        .map_err(|e| DeliveryError::permanent(format!("cannot build the request: {e}")))?;
    let response = sender.send_request(http).await;
    driver.abort();
    let status = response
        .map_err(|e| DeliveryError::transient(format!("HTTP: {e}")))?
        .status();
    classify(status.as_u16())
}

/// 2xx is delivered; 408, 429 and 5xx may pass later; any other answer (a redirect
/// included: it is never followed) will not.
fn classify(status: u16) -> Result<u16, DeliveryError> {
    match status {
        200..=299 => Ok(status),
        408 | 429 | 500..=599 => Err(DeliveryError::transient(format!("answered {status}"))),
        300..=399 => Err(DeliveryError::permanent(format!(
            "answered {status}: redirects are not followed"
        ))),
        _ => Err(DeliveryError::permanent(format!("answered {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(204), Ok(204));
        for transient in [408, 429, 500, 503] {
            assert!(classify(transient).unwrap_err().is_transient());
        }
        for permanent in [301, 302, 400, 401, 404, 410] {
            assert!(!classify(permanent).unwrap_err().is_transient());
        }
    }

    #[test]
    fn urls_are_taken_apart() {
        let t = Target::parse("https://hooks.example:8443/in/x?k=v").unwrap();
        assert!(t.https);
        assert_eq!((t.host.as_str(), t.port), ("hooks.example", 8443));
        assert_eq!(t.path, "/in/x?k=v");
        assert_eq!(t.authority, "hooks.example:8443");
        let t = Target::parse("http://[::1]/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.authority.as_str()),
            ("::1", 80, "[::1]")
        );
        for bad in ["ftp://x/", "https://u:p@x/", "not a url"] {
            assert!(!Target::parse(bad).unwrap_err().is_transient(), "{bad}");
        }
    }

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        let sender = WebhookSender::new(false).unwrap();
        let request = WebhookRequest {
            url: "http://127.0.0.1:9/hook",
            secret: b"k",
            body: b"{}",
            timestamp: 0,
            delivery: "d",
        };
        let refused = sender.post(request).await.unwrap_err();
        assert!(!refused.is_transient(), "{refused}");
        assert!(
            refused.to_string().contains("not a public address"),
            "{refused}"
        );
        let sender = WebhookSender::new(true).unwrap();
        // Allowed: now it gets as far as the closed port, which may open later.
        assert!(sender.post(request).await.unwrap_err().is_transient());
    }
}

//! Browser apps on other origins: which may call the api (CORS, `TDS_CORS_ORIGINS`) and
//! open its WebSocket. A WebSocket is not protected by CORS (a browser opens one to any
//! host and sends the page's origin along), so its `Origin` is checked here.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins allowed besides the api's own, and how long a preflight answer lasts.
#[derive(Clone, Debug, Default)]
pub struct CorsPolicy {
    origins: Vec<HeaderValue>,
    max_age: Duration,
}

/// An origin that cannot be a header value.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a valid origin")]
pub struct CorsError(String);

/// The request headers a cross-origin app may send: the credentials, the body's type,
/// the media type it accepts, and those Apollo Client adds (client awareness, and the
/// markers its CSRF prevention asks of GET requests).
const ALLOWED_HEADERS: [&str; 8] = [
    "authorization",
    "x-account-id",
    "content-type",
    "accept",
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
];

impl CorsPolicy {
    /// A policy for `origins` (as `ApiSettings::cors_origins` reads them); none allows
    /// only the api's own origin and sends no CORS headers.
    pub fn new(origins: &[String], max_age: Duration) -> Result<Self, CorsError> {
        let origins = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| CorsError(o.clone())))
            .collect::<Result<_, _>>()?;
        Ok(Self { origins, max_age })
    }

    /// The CORS layer, when any origin is allowed.
    pub(crate) fn layer(&self) -> Option<CorsLayer> {
        if self.origins.is_empty() {
            return None;
        }
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(self.origins.clone()))
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
                // A report's file name, and when to come back after a 503 or 429.
                .expose_headers([header::CONTENT_DISPOSITION, header::RETRY_AFTER])
                .max_age(self.max_age),
        )
    }

    /// Whether a WebSocket upgrade may proceed: no `Origin` (not a browser), the api's
    /// own origin (the `Host` it was asked under), or an allowed one.
    pub(crate) fn allows_socket(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        if self
            .origins
            .iter()
            .any(|o| o.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
        {
            return true;
        }
        let authority = origin.to_str().ok().and_then(|o| {
            o.strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
        });
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgrade(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).expect("ascii"));
        if let Some(origin) = origin {
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_str(origin).expect("ascii"),
            );
        }
        headers
    }

    #[test]
    fn sockets_open_from_the_same_origin_the_allowed_ones_or_no_browser() {
        let policy =
            CorsPolicy::new(&["https://app.example.com".into()], Duration::ZERO).expect("valid");
        let host = "api.example.com:8080";
        assert!(policy.allows_socket(&upgrade(None, host)));
        assert!(policy.allows_socket(&upgrade(Some("http://api.example.com:8080"), host)));
        assert!(policy.allows_socket(&upgrade(Some("https://app.example.com"), host)));
        assert!(!policy.allows_socket(&upgrade(Some("https://evil.example"), host)));
        assert!(!policy.allows_socket(&upgrade(Some("null"), host)));
        assert!(!policy.allows_socket(&upgrade(Some("http://api.example.com"), host)));
        assert!(CorsPolicy::default().layer().is_none());
    }
}

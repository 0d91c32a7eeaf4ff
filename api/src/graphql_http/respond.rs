//! The HTTP answer to a GraphQL request: status by how far the request got, the
//! negotiated media type, and what a cache may keep.

use std::time::Duration;

use async_graphql::parser::types::OperationType;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tds_graphql::RequestPhase;

use super::media::Media;

/// The code async-graphql's persisted-query extension gets from ours (see `tds-graphql`).
const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// What a GET answer may tell caches.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GetCaching {
    /// Whether the request carried `Authorization` (its answer is the caller's alone).
    pub(crate) authenticated: bool,
    /// How long a cache may reuse a successful answer.
    pub(crate) max_age: Duration,
}

/// The answer to an executed (or refused) GraphQL request.
///
/// - A request that never reached execution (syntax, validation, variables that do not
///   coerce) has no `data` entry, and is 400 in `application/graphql-response+json`,
///   200 in `application/json` (whose clients predate status codes for these).
/// - An unknown persisted query stays 200 whatever the type: Apollo Client and urql
///   look for it in a successful answer, as Apollo Server sends it.
/// - A mutation sent with GET is 405 with `Allow: POST`.
/// - A GET answer (`get` given) says what caches may keep; POST answers are not cached.
pub(crate) fn graphql_response(
    media: Media,
    phase: &RequestPhase,
    response: async_graphql::Response,
    get: Option<GetCaching>,
) -> Response {
    let executed = phase.executed();
    let not_found = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(PERSISTED_QUERY_NOT_FOUND))
    });
    let refused_on_get = get.is_some()
        && matches!(
            phase.operation(),
            Some(OperationType::Mutation | OperationType::Subscription)
        );
    let status = if refused_on_get {
        StatusCode::METHOD_NOT_ALLOWED
    } else if executed || not_found || media == Media::Json {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let has_errors = !response.errors.is_empty();
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    for (name, value) in response.http_headers.iter() {
        headers.append(name, value.clone());
    }
    if refused_on_get {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if let Some(get) = get {
        let cacheable = status == StatusCode::OK && !has_errors;
        cache_headers(&mut headers, get, cacheable);
    }
    let body = match serde_json::to_value(&response) {
        Ok(Value::Object(mut body)) => {
            if !executed {
                // Nothing ran, so there is no data, not even null.
                body.remove("data");
            }
            Value::Object(body)
        }
        Ok(other) => other,
        Err(e) => {
            tracing::error!(error = %e, "serialising a GraphQL response failed");
            return request_error(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                None,
                "internal error",
            );
        }
    };
    (status, headers, body.to_string()).into_response()
}

/// `Cache-Control` and `Vary` of a GET answer: a successful answer without credentials
/// may be kept by shared caches (the same URL gives everyone the same answer), one with
/// credentials only by the caller's browser, and an error by nobody.
fn cache_headers(headers: &mut HeaderMap, get: GetCaching, cacheable: bool) {
    let max_age = get.max_age.as_secs();
    let cache_control = match (cacheable, get.authenticated) {
        (false, _) => "no-store".to_owned(),
        (true, true) => format!("private, max-age={max_age}"),
        (true, false) => format!("public, max-age={max_age}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.append(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization, X-Account-Id"),
    );
}

/// An error answered before the schema saw the request (not acceptable, wrong content
/// type, malformed parameters, too large, starting): the GraphQL error shape, no `data`,
/// a code, and the offending `field` when there is one.
pub(crate) fn request_error(
    media: Media,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
    message: &str,
) -> Response {
    let mut extensions = json!({"code": code});
    if let Some(field) = field {
        extensions["field"] = json!(field);
    }
    let body = json!({"errors": [{"message": message, "extensions": extensions}]});
    let content_type: (HeaderName, HeaderValue) = (header::CONTENT_TYPE, media.content_type());
    (status, [content_type], body.to_string()).into_response()
}

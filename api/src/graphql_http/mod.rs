//! GraphQL over HTTP, as the GraphQL-over-HTTP specification has it (checked by the
//! `graphql-http` audit, `web/scripts/audit-graphql-http.mjs`): `application/json` POST
//! bodies, queries over GET, the media type the client accepts, 4xx for requests that
//! are not well formed, and Apollo's automatic persisted queries over both methods.
//!
//! async-graphql-axum's extractor and responder do not do this (they answer every
//! client `application/graphql-response+json` and any body without a content type), so
//! the parameters are read and the answer is built here.

mod media;
mod params;
mod respond;

use std::net::IpAddr;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use tds_graphql::{RequestPhase, RequestScope};

use crate::{AppState, MAX_BODY_BYTES, credentials_from_headers};
use media::Media;
use params::ParamsError;
pub(crate) use params::names_graphql;
use respond::{GetCaching, graphql_response, request_error};

/// `POST /graphql` with an `application/json` body.
pub(crate) async fn post(
    state: AppState,
    client: Option<IpAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    if !is_json(&headers) {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "VALIDATION",
            Some("Content-Type"),
            "send the request as application/json",
        );
    }
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) if over_limit(&e) => {
            return request_error(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                "VALIDATION",
                Some("body"),
                &format!("request body over {MAX_BODY_BYTES} bytes"),
            );
        }
        Err(e) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "VALIDATION",
                Some("body"),
                &format!("the request body could not be read: {e}"),
            );
        }
    };
    match params::from_body(&body) {
        Ok(request) => run(&state, client, &headers, media, request, None).await,
        Err(e) => malformed(media, &e),
    }
}

/// `GET /graphql?query=…` (or `?extensions=…` naming a persisted query): queries only.
pub(crate) async fn get(
    state: AppState,
    client: Option<IpAddr>,
    headers: HeaderMap,
    query_string: &str,
) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    let caching = GetCaching {
        authenticated: headers.contains_key(header::AUTHORIZATION),
        max_age: state.http.get_max_age,
    };
    match params::from_query_string(query_string) {
        Ok(request) => run(&state, client, &headers, media, request, Some(caching)).await,
        Err(e) => malformed(media, &e),
    }
}

/// Resolves the caller, runs the request and answers it.
async fn run(
    state: &AppState,
    client: Option<IpAddr>,
    headers: &HeaderMap,
    media: Media,
    request: async_graphql::Request,
    get: Option<GetCaching>,
) -> Response {
    let credentials = credentials_from_headers(headers);
    let scope = match RequestScope::resolve(&state.api, &credentials).await {
        Ok(scope) => scope,
        Err(e) => {
            tracing::error!(error = %e, "resolving the session failed");
            return request_error(
                media,
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                None,
                "internal error",
            );
        }
    };
    let phase = if get.is_some() {
        RequestPhase::read_only()
    } else {
        RequestPhase::new()
    };
    let request = scope
        .with_client(client)
        .attach(request)
        .data(phase.clone());
    let response = state.schema.execute(request).await;
    graphql_response(media, &phase, response, get)
}

/// Whether the body is declared `application/json` (UTF-8, the only charset JSON has).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence_is_json = parts
        .next()
        .is_some_and(|essence| essence.eq_ignore_ascii_case("application/json"));
    let charset_is_utf8 = parts
        .filter_map(|p| p.split_once('='))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .all(|(_, v)| v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8"));
    essence_is_json && charset_is_utf8
}

/// Whether reading a body failed on the size cap (ours or the body-limit layer's).
fn over_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        // A boxed error hides its type from `is`, but not its message.
        if e.is::<http_body_util::LengthLimitError>() || e.to_string().contains("length limit") {
            return true;
        }
        source = e.source();
    }
    false
}

fn malformed(media: Media, error: &ParamsError) -> Response {
    request_error(
        media,
        StatusCode::BAD_REQUEST,
        "VALIDATION",
        Some(error.field()),
        &error.to_string(),
    )
}

fn not_acceptable() -> Response {
    request_error(
        Media::Json,
        StatusCode::NOT_ACCEPTABLE,
        "VALIDATION",
        Some("Accept"),
        "accept application/graphql-response+json or application/json",
    )
}

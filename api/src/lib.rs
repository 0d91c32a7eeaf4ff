//! The HTTP service: GraphQL (POST, GraphiQL on GET), health and readiness.
//!
//! Credentials are read from the headers here and resolved once per request into the
//! GraphQL request's scope; everything after that is the schema's business.

use std::time::Duration;

use async_graphql::ParseRequestError;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tds_domain::{Credentials, DomainError};
use tds_graphql::{ApiState, RequestScope, TdsSchema};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (GraphQL documents and variables).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: TdsSchema,
    /// Database and keys.
    pub api: ApiState,
}

/// Builds the router of the api service.
pub fn router(api: ApiState) -> Router {
    let state = AppState {
        schema: tds_graphql::build_schema(api.clone()),
        api,
    };
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql))
        .route("/certificates/bundles/{token}", get(bundle_download))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Credentials from the raw `Authorization` value (`Bearer …`) and account id.
fn credentials(authorization: Option<String>, account_id: Option<String>) -> Credentials {
    let bearer = authorization.and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    });
    Credentials { bearer, account_id }
}

/// Reads `Authorization: Bearer …` and `X-Account-Id` (header names are case-insensitive).
pub fn credentials_from_headers(headers: &HeaderMap) -> Credentials {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    credentials(text("authorization"), text("x-account-id"))
}

/// A GraphQL-shaped error body for failures outside the schema (so it has a code too).
fn error_response(status: StatusCode, error: &DomainError, message: &str) -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{"message": message, "extensions": {"code": error.code()}}],
    });
    (status, Json(body)).into_response()
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(GraphQLRejection(rejection)) => {
            let too_large = matches!(rejection, ParseRequestError::PayloadTooLarge)
                || rejection.to_string().contains("length limit");
            let (status, message) = if too_large {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over {MAX_BODY_BYTES} bytes"),
                )
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("not a GraphQL request: {rejection}"),
                )
            };
            return error_response(
                status,
                &DomainError::invalid("body", message.clone()),
                &message,
            );
        }
    };
    let credentials = credentials_from_headers(&headers);
    match RequestScope::resolve(&state.api, &credentials).await {
        Ok(scope) => {
            GraphQLResponse::from(state.schema.execute(scope.attach(request)).await).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "resolving the session failed");
            let error = DomainError::Internal("session".into());
            error_response(StatusCode::SERVICE_UNAVAILABLE, &error, "internal error")
        }
    }
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, GraphiQL otherwise.
async fn graphql_get(
    State(state): State<AppState>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let api = state.api.clone();
            GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let credentials = credentials_from_init_payload(&payload);
                    let scope = RequestScope::resolve(&api, &credentials)
                        .await
                        .map_err(|_| async_graphql::Error::new("internal error"))?;
                    let mut data = async_graphql::Data::default();
                    data.insert(scope);
                    Ok(data)
                })
                .serve()
        })
}

/// Reads the same two credentials from a `connection_init` payload (keys case-insensitive).
pub fn credentials_from_init_payload(payload: &serde_json::Value) -> Credentials {
    let text = |name: &str| {
        payload
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    };
    credentials(text("authorization"), text("x-account-id"))
}

/// `GET /certificates/bundles/{token}`: a certificate bundle, once, to its own account.
async fn bundle_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let scope = match RequestScope::resolve(&state.api, &credentials_from_headers(&headers)).await {
        Ok(scope) => scope,
        Err(_) => {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &DomainError::Internal(String::new()),
                "internal error",
            );
        }
    };
    let tenant = match scope.session.tenant() {
        Ok(tenant) => tenant,
        Err(e) => return error_response(StatusCode::UNAUTHORIZED, &e, &e.to_string()),
    };
    match state.api.bundles.take(&token, tenant.account_id()) {
        Some(bundle) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/zip".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", bundle.file_name),
                ),
                (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bundle.zip,
        )
            .into_response(),
        None => {
            let e = DomainError::NotFound("bundle");
            error_response(
                StatusCode::NOT_FOUND,
                &e,
                "bundle not found (downloaded already, expired, or another account's)",
            )
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tds_domain::db::ping(&state.api.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Serves the api until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    api: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(api))
        .with_graceful_shutdown(shutdown)
        .await
}

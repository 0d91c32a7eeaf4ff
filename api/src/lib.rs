//! The HTTP service: GraphQL (POST and GET, GraphiQL on a plain GET, subscriptions
//! over a WebSocket upgrade), health and readiness, CORS for the allowed origins.
//!
//! Credentials are read from the headers here and resolved once per request into the
//! GraphQL request's scope; everything after that is the schema's business. A WebSocket
//! connection's credentials become a [`LiveSession`], re-checked while it lives.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::http::{
    ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource, WebSocket as GraphQLWs, WebSocketProtocols, WsMessage,
};
use axum::extract::rejection::ExtensionRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use metrics_exporter_prometheus::PrometheusHandle;
use tds_bus::Readiness;
use tds_domain::{Credentials, DomainError};
use tds_graphql::{ApiState, LiveSession, TdsSchema};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

mod cors;
mod downloads;
mod graphql_http;
mod observe;
pub mod tls;
pub mod web;

pub use cors::{CorsError, CorsPolicy};

/// Largest request body accepted (GraphQL documents and variables), and largest
/// WebSocket message.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// WebSocket close code for a message over the cap (RFC 6455 "message too big").
pub const CLOSE_TOO_BIG: u16 = 1009;

/// How long a connection closed for an oversized message stays open after the close
/// frame, so the client reads the frame before the socket goes.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

/// The address a request comes from: the socket's peer, or, when the peer is a trusted
/// reverse proxy, the nearest untrusted address in `X-Forwarded-For` (later entries were
/// added by proxies closer to us; earlier ones are whatever the client claimed).
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted_proxies.contains(a))
            .unwrap_or(peer),
    )
}

/// The peer address of a connection served with `into_make_service_with_connect_info`
/// (absent when the router is called directly).
type Peer = Result<ConnectInfo<SocketAddr>, ExtensionRejection>;

fn peer_ip(peer: &Peer) -> Option<IpAddr> {
    peer.as_ref().ok().map(|ConnectInfo(addr)| addr.ip())
}

/// How the api answers browsers and caches (from the settings; the defaults allow the
/// api's own origin only and let no cache reuse a GET answer without revalidating).
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// The origins allowed besides the api's own.
    pub cors: CorsPolicy,
    /// How long a cache may reuse a successful GraphQL answer to GET.
    pub get_max_age: Duration,
}

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: TdsSchema,
    /// Database and keys.
    pub api: ApiState,
    /// The process's other dependencies, reported by their users.
    pub readiness: Readiness,
    /// CORS and caching.
    pub http: HttpOptions,
}

/// Builds the router of the api service.
pub fn router(api: ApiState) -> Router {
    router_reporting(api, Readiness::default())
}

/// Builds the router of the api service, whose `/readyz` also reports `readiness` (the
/// dependencies of the services sharing this process).
pub fn router_reporting(api: ApiState, readiness: Readiness) -> Router {
    router_with(api, readiness, HttpOptions::default())
}

/// Builds the router of the api service with its readiness report and `http` options.
pub fn router_with(api: ApiState, readiness: Readiness, http: HttpOptions) -> Router {
    let cors = http.cors.layer();
    let state = AppState {
        schema: tds_graphql::build_schema(api.clone()),
        api,
        readiness,
        http,
    };
    let router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route(
            "/certificates/bundles/{token}",
            get(downloads::bundle_download),
        )
        .route("/reports/{id}/download", get(downloads::report_download))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(axum::middleware::from_fn(observe::count_request))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http());
    // Outermost, so preflights are answered before anything else looks at them.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.with_state(state)
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
pub(crate) fn error_response(status: StatusCode, error: &DomainError, message: &str) -> Response {
    // No `data` entry: nothing ran (as GraphQL over HTTP has it for request errors).
    let body = serde_json::json!({
        "errors": [{"message": message, "extensions": {"code": error.code()}}],
    });
    (status, Json(body)).into_response()
}

/// `POST /graphql`.
async fn graphql_post(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let client = client_address(peer_ip(&peer), &headers, &state.api.auth.trusted_proxies);
    graphql_http::post(state, client, headers, body).await
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, a GraphQL query when the query
/// string has one (`?query=…`, or `?extensions=…` naming a persisted query), GraphiQL
/// otherwise.
async fn graphql_get(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let client = client_address(peer_ip(&peer), &headers, &state.api.auth.trusted_proxies);
    let wants_socket = headers
        .get(axum::http::header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if wants_socket && !state.http.cors.allows_socket(&headers) {
        // CORS does not cover WebSockets: a page on any site could open one with the
        // credentials it holds, so only the api's own and the allowed origins may.
        let message = "WebSocket from an origin that is not allowed (TDS_CORS_ORIGINS)";
        let error = DomainError::Forbidden(message.into());
        return error_response(StatusCode::FORBIDDEN, &error, message);
    }
    let (Some(protocol), Ok(upgrade)) = (subprotocol(&headers), upgrade) else {
        if let Some(query) = query.filter(|q| graphql_http::names_graphql(q)) {
            return graphql_http::get(state, client, headers, &query).await;
        }
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    upgrade
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_socket(socket, state, protocol, client))
}

/// The GraphQL WebSocket protocol the client asked for (`Sec-WebSocket-Protocol`).
fn subprotocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

/// Whether a WebSocket read failed because the message was over the cap.
fn too_big(error: &axum::Error) -> bool {
    use std::error::Error as _;
    matches!(
        error
            .source()
            .and_then(|e| e.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// One `graphql-transport-ws` (or `graphql-ws`) connection. A message over
/// [`MAX_BODY_BYTES`] ends it with close code [`CLOSE_TOO_BIG`].
async fn serve_socket(
    socket: WebSocket,
    state: AppState,
    protocol: WebSocketProtocols,
    client: Option<IpAddr>,
) {
    let _open = observe::OpenSocket::open();
    let (mut sink, stream) = socket.split();
    let oversized = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = oversized.clone();
    let input = stream
        .take_while(move |message| {
            if let Err(e) = message {
                seen.store(too_big(e), std::sync::atomic::Ordering::SeqCst);
            }
            std::future::ready(message.is_ok())
        })
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let api = state.api.clone();
    let mut output = GraphQLWs::new(state.schema.clone(), input, protocol)
        .on_connection_init(move |payload| async move {
            let credentials = credentials_from_init_payload(&payload);
            let live = LiveSession::start(&api, credentials, client)
                .await
                .map_err(|_| async_graphql::Error::new("internal error"))?;
            let mut data = async_graphql::Data::default();
            data.insert(live);
            Ok(data)
        })
        .map(|message| match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })),
        });
    while let Some(message) = output.next().await {
        if sink.send(message).await.is_err() {
            return;
        }
    }
    if oversized.load(std::sync::atomic::Ordering::SeqCst) {
        let close = Message::Close(Some(CloseFrame {
            code: CLOSE_TOO_BIG,
            reason: format!("message over {MAX_BODY_BYTES} bytes").into(),
        }));
        if sink.send(close).await.is_ok() {
            tokio::time::sleep(CLOSE_LINGER).await;
        }
    }
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

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    // The api's own database is asked now; the other dependencies as last used.
    match tds_domain::db::ping(&state.api.db).await {
        Ok(()) => state.readiness.up(API_DATABASE_CHECK),
        Err(e) => state.readiness.down(API_DATABASE_CHECK, &e.to_string()),
    }
    readiness_response(&state.readiness)
}

/// Readiness name of the api's database.
pub const API_DATABASE_CHECK: &str = "api.database";

/// 200 when every required dependency is up, 503 otherwise; the body lists each one.
fn readiness_response(readiness: &Readiness) -> Response {
    let status = if readiness.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "ready": status == StatusCode::OK,
        "dependencies": readiness.checks(),
    });
    (status, Json(body)).into_response()
}

/// `/healthz` and `/readyz` alone, for a process that runs ingest or workers without
/// the api (`TDS_HEALTH_ADDR`).
pub fn health_router(readiness: Readiness, metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/readyz",
            get(|State(readiness): State<Readiness>| async move { readiness_response(&readiness) }),
        )
        .with_state(readiness)
        .merge(
            Router::new()
                .route("/metrics", get(observe::render))
                .with_state(metrics),
        )
}

/// What a process answers while it waits for a dependency at start: `/healthz`,
/// `/readyz` (naming what is down) and `/metrics` at once, everything else from `full`
/// once it is set, and until then 503 with code UNAVAILABLE, so a client is told rather
/// than left hanging.
pub fn starting_router(
    readiness: Readiness,
    full: Arc<OnceLock<Router>>,
    metrics: Option<PrometheusHandle>,
) -> Router {
    let fallback = move |request: axum::extract::Request| {
        let full = full.clone();
        async move {
            match full.get() {
                Some(router) => {
                    use tower::ServiceExt;
                    match router.clone().oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
                None => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "5")],
                    Json(serde_json::json!({
                        "errors": [{
                            "message": "starting: waiting for a dependency (see /readyz)",
                            "extensions": {"code": "UNAVAILABLE"},
                        }],
                    })),
                )
                    .into_response(),
            }
        }
    };
    health_router(readiness, metrics).fallback(fallback)
}

/// Serves the api until `shutdown` resolves (with each connection's peer address, for
/// the sign-in limits).
pub async fn serve(
    listener: tokio::net::TcpListener,
    api: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, router(api), shutdown).await
}

/// Serves `router` over HTTPS with `acceptor` until `shutdown` resolves, with each
/// connection's peer address.
pub async fn serve_router_tls(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // tap_io: axum gives ConnectInfo<SocketAddr> to any listener through it.
    let listener = tls::TlsListener::new(listener, acceptor)?.tap_io(|_| {});
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves `router` until `shutdown` resolves, with each connection's peer address.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

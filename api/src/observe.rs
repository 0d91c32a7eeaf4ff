//! What the api counts for Prometheus (requests by route and status, their duration,
//! open WebSocket connections), and `/metrics`, which renders everything this process
//! recorded (ingest's and the workers' counters too when they share it).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;

/// Counts every request by route (its pattern, so ids do not multiply the series) and
/// status, and times it.
pub async fn count_request(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("tds_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("tds_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Held while a GraphQL WebSocket is open: `tds_graphql_websockets` counts them.
pub struct OpenSocket;

impl OpenSocket {
    /// Counts one more open WebSocket until dropped.
    pub fn open() -> Self {
        metrics::gauge!("tds_graphql_websockets").increment(1.0);
        OpenSocket
    }
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        metrics::gauge!("tds_graphql_websockets").decrement(1.0);
    }
}

/// `GET /metrics`: the Prometheus text format, or 404 when this process records none.
pub async fn render(State(handle): State<Option<PrometheusHandle>>) -> Response {
    match handle {
        Some(handle) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            handle.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

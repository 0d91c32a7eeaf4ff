//! File downloads outside GraphQL: report files (with the GraphQL headers, or a signed
//! link a browser can follow) and certificate bundles (once). Both are read from the
//! database, so any replica serves what another one or a worker stored.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use tds_domain::{DomainError, Tenant, bundles, downloads, report_requests};
use tds_graphql::RequestScope;
use uuid::Uuid;

use crate::{AppState, credentials_from_headers, error_response};

/// `?token=` of a signed link.
#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    token: Option<String>,
}

/// The HTTP answer for a domain error: its status, and its code in a GraphQL-shaped body.
fn refusal(e: &DomainError) -> Response {
    let status = match e {
        DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        DomainError::Forbidden(_) | DomainError::LicenceExpired => StatusCode::FORBIDDEN,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::Validation(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let message = match e {
        DomainError::Database(_) | DomainError::Internal(_) => {
            tracing::error!(error = %e, "download failed");
            "internal error".to_owned()
        }
        other => other.to_string(),
    };
    error_response(status, e, &message)
}

/// The caller's tenant from the GraphQL headers.
async fn tenant_of(state: &AppState, headers: &HeaderMap) -> Result<Tenant, DomainError> {
    let scope = RequestScope::resolve(&state.api, &credentials_from_headers(headers)).await?;
    Ok(scope.session.tenant()?.clone())
}

/// A file name safe in a header (ours are ASCII already; this keeps it so).
fn attachment(file_name: &str) -> String {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

fn file_response(content_type: &str, file_name: &str, content: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, attachment(file_name)),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        content,
    )
        .into_response()
}

/// `GET /reports/{id}/download[?token=…]`: a DONE report's file. Another account's
/// report, one not done, or one whose file expired is 404.
pub(crate) async fn report_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(link): Query<LinkQuery>,
) -> Response {
    let Ok(report_id) = Uuid::try_parse(&id) else {
        return refusal(&DomainError::NotFound("report"));
    };
    let now = Utc::now();
    let file = match link.token.as_deref() {
        Some(token) => match downloads::check_link(&state.api.keys, report_id, token) {
            Ok(grant) => downloads::granted_file(&state.api.db, grant, now).await,
            Err(e) => Err(e),
        },
        None => match tenant_of(&state, &headers).await {
            Ok(tenant) => {
                report_requests::report_file(&state.api.db, &tenant, report_id, now).await
            }
            Err(e) => Err(e),
        },
    };
    match file {
        Ok(file) => file_response(&file.content_type, &file.file_name, file.content),
        Err(e) => refusal(&e),
    }
}

/// `GET /certificates/bundles/{token}`: a certificate bundle, once, to its own account.
pub(crate) async fn bundle_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let tenant = match tenant_of(&state, &headers).await {
        Ok(tenant) => tenant,
        Err(e) => return refusal(&e),
    };
    match bundles::take_bundle(&state.api.db, &tenant, &token, Utc::now()).await {
        Ok(bundle) => file_response("application/zip", &bundle.file_name, bundle.zip),
        Err(DomainError::NotFound(_)) => error_response(
            StatusCode::NOT_FOUND,
            &DomainError::NotFound("bundle"),
            "bundle not found (downloaded already, expired, or another account's)",
        ),
        Err(e) => refusal(&e),
    }
}

//! Domain errors become GraphQL errors here, once: a stable `extensions.code`, the
//! offending field for VALIDATION, and no storage detail for the client.

use async_graphql::{ErrorExtensionValues, Value};
use tds_domain::DomainError;

/// The error type of every resolver: a GraphQL error that always carries a code.
/// It deliberately does not implement `Display`, so a domain error cannot slip through
/// async-graphql's catch-all `Display` conversion and lose its code.
#[derive(Debug, Clone)]
pub struct ApiError(async_graphql::Error);

impl From<ApiError> for async_graphql::Error {
    fn from(ApiError(err): ApiError) -> Self {
        err
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        DomainError::from(e).into()
    }
}

/// Resolver result.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let message = match &err {
            DomainError::Database(_) | DomainError::Internal(_) => {
                tracing::error!(error = %err, "request failed");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", err.code());
        if let DomainError::RateLimited { retry_after_s } = &err {
            extensions.set("retryAfter", *retry_after_s);
        }
        if let DomainError::Validation(fields) = &err {
            if let Some(first) = fields.first() {
                extensions.set("field", first.field.as_str());
            }
            let list: Vec<Value> = fields
                .iter()
                .map(|f| {
                    let mut m = async_graphql::indexmap::IndexMap::new();
                    m.insert(
                        async_graphql::Name::new("field"),
                        Value::from(f.field.as_str()),
                    );
                    m.insert(
                        async_graphql::Name::new("message"),
                        Value::from(f.message.as_str()),
                    );
                    Value::Object(m)
                })
                .collect();
            extensions.set("fields", Value::List(list));
        }
        ApiError(async_graphql::Error {
            message,
            source: None,
            extensions: Some(extensions),
        })
    }
}

/// The message async-graphql's persisted-query extension answers an unknown hash with:
/// Apollo Client and urql read it (or the code) as "send the query text too".
const PERSISTED_QUERY_NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// The code of an error raised outside our resolvers: an unknown persisted query has
/// Apollo's own code, for the clients that look for it; anything else is the request's
/// fault.
fn uncoded_error_code(message: &str) -> &'static str {
    if message == PERSISTED_QUERY_NOT_FOUND_MESSAGE {
        "PERSISTED_QUERY_NOT_FOUND"
    } else {
        "VALIDATION"
    }
}

/// Gives every error a code, including those async-graphql raises before any resolver
/// runs (syntax, unknown fields, depth and complexity limits): those are VALIDATION.
pub struct ErrorCodes;

impl async_graphql::extensions::ExtensionFactory for ErrorCodes {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(ErrorCodes)
    }
}

#[async_graphql::async_trait::async_trait]
impl async_graphql::extensions::Extension for ErrorCodes {
    async fn request(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        next: async_graphql::extensions::NextRequest<'_>,
    ) -> async_graphql::Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            let extensions = error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default);
            if extensions.get("code").is_none() {
                extensions.set("code", uncoded_error_code(&error.message));
            }
        }
        response
    }
}

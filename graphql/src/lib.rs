//! The TDS GraphQL schema: types, queries, mutations, loaders and error mapping.
//!
//! No web framework here: `tds-api` serves the schema, tests execute it directly.
//! Callers resolve a [`RequestScope`] from the request's credentials and attach it.

mod auth;
mod context;
mod error;
mod live;
mod loaders;
mod mutation;
mod pki;
mod query;
mod telemetry;
mod types;

use async_graphql::Schema;

pub use auth::AcceptedInvitation;
pub use context::{ApiState, AuthState, PendingBundle, PendingBundles, RequestScope};
pub use error::{ApiError, ApiResult};
pub use live::LiveSession;
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use telemetry::SubscriptionRoot;

/// The executable schema.
pub type TdsSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 10;
/// Most expensive query accepted (lists count as their page size times their children).
pub const MAX_COMPLEXITY: usize = 20_000;

/// Builds the schema with its limits and shared state.
pub fn build_schema(state: ApiState) -> TdsSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(state)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .extension(error::ErrorCodes)
    .extension(live::LiveScopes)
    .finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}

//! The TDS GraphQL schema: types, queries, mutations, loaders and error mapping.
//!
//! No web framework here: `tds-api` serves the schema, tests execute it directly.
//! Callers resolve a [`RequestScope`] from the request's credentials and attach it.

mod alerts;
mod auth;
mod context;
mod error;
mod expensive;
mod limits;
mod live;
mod loaders;
mod mutation;
mod phase;
mod pki;
mod query;
mod reports;
mod telemetry;
mod types;

use async_graphql::Schema;
use async_graphql::extensions::apollo_persisted_queries::{
    ApolloPersistedQueries, LruCacheStorage,
};

pub use auth::AcceptedInvitation;
pub use context::{ApiState, AuthState, DEFAULT_PERSISTED_QUERIES, RequestScope};
pub use error::{ApiError, ApiResult};
pub use live::LiveSession;
pub use mutation::MutationRoot;
pub use phase::RequestPhase;
pub use query::QueryRoot;

/// Subscriptions.
#[derive(async_graphql::MergedSubscription, Default)]
pub struct SubscriptionRoot(
    telemetry::TelemetrySubscription,
    alerts::AlertSubscription,
    reports::ReportSubscription,
);

/// The executable schema.
pub type TdsSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub use limits::{
    INTROSPECTION_BUDGET_IN_STANDARD_QUERIES, MAX_COMPLEXITY, MAX_DEPTH, MAX_INTROSPECTION_DEPTH,
    STANDARD_INTROSPECTION_QUERY,
};

/// Builds the schema with its limits and shared state. The limits are enforced by
/// [`limits`], not by async-graphql's own, so that introspection has a budget of its own.
pub fn build_schema(state: ApiState) -> TdsSchema {
    let introspection = state.introspection;
    let persisted_queries = state.persisted_queries;
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(state)
    // Automatic persisted queries (Apollo's protocol) first: the other extensions then
    // see the document the hash stands for. Each replica keeps its own bounded cache; a
    // client whose hash a replica does not know registers it again.
    .extension(ApolloPersistedQueries::new(LruCacheStorage::new(
        persisted_queries.max(1),
    )))
    .extension(phase::Phases)
    .extension(limits::Limits::new())
    .extension(error::ErrorCodes)
    .extension(live::LiveScopes);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl()
}

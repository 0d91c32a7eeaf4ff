//! The TDS GraphQL schema: types, queries, mutations, loaders and error mapping.
//!
//! No web framework here: `tds-api` serves the schema, tests execute it directly.
//! Callers resolve a [`RequestScope`] from the request's credentials and attach it.

mod alerts;
mod auth;
mod context;
mod error;
mod limits;
mod live;
mod loaders;
mod mutation;
mod pki;
mod query;
mod reports;
mod telemetry;
mod types;

use async_graphql::Schema;

pub use auth::AcceptedInvitation;
pub use context::{ApiState, AuthState, RequestScope};
pub use error::{ApiError, ApiResult};
pub use live::LiveSession;
pub use mutation::MutationRoot;
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
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(state)
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

//! Fields that cost the platform much (a report build, a long stretch of raw readings)
//! are counted per user, across replicas (the sign-in counters' store), and refused
//! past the allowance with RATE_LIMITED and `retryAfter`, so one client in a loop cannot
//! hold the workers or the database for everyone.

use async_graphql::Context;
use chrono::{DateTime, Utc};

use crate::context::ContextExt;
use crate::error::ApiResult;

/// Counts one expensive request of the caller; refuses it past the allowance. A store
/// that cannot be reached lets it through (the field's own limits still bound it) and
/// says so in the log.
pub(crate) async fn spend(ctx: &Context<'_>) -> ApiResult<()> {
    let user = ctx.scope()?.session.user()?.id;
    let state = ctx.state();
    let limit = state.auth.expensive.per_user;
    let key = format!("expensive:user:{user}");
    match state.auth.counters.hit(&key, limit.window).await {
        Ok(hits) => Ok(limit.check(hits.count, hits.resets_in)?),
        Err(e) => {
            tracing::warn!(error = %e, "expensive request not counted");
            Ok(())
        }
    }
}

/// Whether raw readings from `from` to `to` are a long stretch (expensive).
pub(crate) fn is_long_range(ctx: &Context<'_>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let days = ctx.state().auth.expensive.readings_days;
    to - from > chrono::Duration::days(days)
}

//! Sessions of WebSocket connections, which outlive the checks of a single request.
//!
//! A connection's credentials are resolved at `connection_init` and then again at least
//! every `session_recheck`, when its token expires, and at once when an
//! [`Event::AccessChanged`] concerning its user or account arrives (from any replica,
//! through the event bus). Every operation on the connection runs with the latest
//! resolution, and a subscription ends with a coded error as soon as its session no
//! longer allows it.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Context, Request, ServerResult};
use chrono::Utc;
use futures::{Stream, StreamExt};
use tds_bus::Event;
use tds_domain::{Credentials, Session};
use tds_entity::Role;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use uuid::Uuid;

use crate::context::{ApiState, ContextExt, RequestScope};
use crate::error::{ApiError, ApiResult};

/// The session of one WebSocket connection, kept current by a watcher task that ends
/// with the connection.
#[derive(Clone)]
pub struct LiveSession {
    current: watch::Receiver<Session>,
    client: Option<IpAddr>,
}

impl LiveSession {
    /// Resolves the credentials and starts re-checking them while the connection lives.
    pub async fn start(
        state: &ApiState,
        credentials: Credentials,
        client: Option<IpAddr>,
    ) -> Result<Self, sea_orm::DbErr> {
        let session = Session::resolve(&state.db, &state.keys, &credentials, Utc::now()).await?;
        let signed_in = session.user().is_ok();
        let (publish, current) = watch::channel(session);
        if signed_in {
            // Subscribed before the task starts, so no change after this point is missed.
            let events = state.events.subscribe();
            tokio::spawn(watch_session(state.clone(), credentials, events, publish));
        }
        Ok(Self { current, client })
    }

    /// The latest resolution of the connection's credentials.
    pub fn session(&self) -> Session {
        self.current.borrow().clone()
    }
}

/// The user and account a session is about (what [`Event::AccessChanged`] names).
fn subject(session: &Session) -> (Option<Uuid>, Option<Uuid>) {
    (
        session.user().ok().map(|u| u.id),
        session.tenant().ok().map(|t| t.account_id()),
    )
}

fn concerns(event: &Event, user: Option<Uuid>, account: Option<Uuid>) -> bool {
    match event {
        Event::AccessChanged {
            account_id,
            user_id,
        } => {
            user_id.is_none_or(|u| Some(u) == user)
                && account_id.is_none_or(|a| account.is_none_or(|mine| mine == a))
        }
        _ => false,
    }
}

async fn watch_session(
    state: ApiState,
    credentials: Credentials,
    mut events: broadcast::Receiver<Arc<Event>>,
    publish: watch::Sender<Session>,
) {
    let expires = credentials
        .bearer
        .as_deref()
        .and_then(|t| state.keys.expiry(t));
    let next_check = || {
        let periodic = Instant::now() + state.auth.session_recheck;
        let expiry = expires.map(|at| {
            let left = (at - Utc::now()).to_std().unwrap_or_default();
            Instant::now() + left
        });
        expiry.map_or(periodic, |e| e.min(periodic))
    };
    let mut due = next_check();
    let mut bus_open = true;
    loop {
        let (user, account) = subject(&publish.borrow());
        tokio::select! {
            _ = publish.closed() => return,
            _ = tokio::time::sleep_until(due) => {}
            event = events.recv(), if bus_open => match event {
                Ok(event) if concerns(&event, user, account) => {}
                Ok(_) => continue,
                // Missed events may have been about us.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    bus_open = false;
                    continue;
                }
            },
        }
        match Session::resolve(&state.db, &state.keys, &credentials, Utc::now()).await {
            Ok(session) => {
                let signed_out = session.user().is_err();
                publish.send_replace(session);
                if signed_out {
                    // Nothing can bring a refused token back.
                    return;
                }
            }
            // Keep the last answer and try again at the next check.
            Err(e) => tracing::warn!(error = %e, "re-checking a WebSocket session failed"),
        }
        due = next_check();
    }
}

/// Gives each operation of a WebSocket connection a scope built from the connection's
/// latest session (HTTP requests bring their own scope and are left alone).
pub(crate) struct LiveScopes;

impl ExtensionFactory for LiveScopes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LiveScopes)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for LiveScopes {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request = match (ctx.data_opt::<LiveSession>(), ctx.data_opt::<ApiState>()) {
            (Some(live), Some(state)) => request
                .data(RequestScope::for_session(state, live.session()).with_client(live.client)),
            _ => request,
        };
        next.run(ctx, request).await
    }
}

/// A subscription's events while the connection's session allows the subscription
/// (`required` role in the account it was opened in); then one coded error and the end.
/// Without a live session (HTTP, tests executing the schema) the stream is unchanged.
pub(crate) fn while_allowed<T, S>(
    ctx: &Context<'_>,
    required: Role,
    events: S,
) -> ApiResult<impl Stream<Item = Result<T, ApiError>> + use<T, S>>
where
    T: Send + 'static,
    S: Stream<Item = T> + Send + 'static,
{
    let tenant = ctx.tenant()?;
    tenant.require(required)?;
    let account = tenant.account_id();
    let mut current = ctx.data_opt::<LiveSession>().map(|l| l.current.clone());
    if let Some(watch) = current.as_mut() {
        // The first poll looks at the latest session: it may have changed since the snapshot.
        watch.mark_changed();
    }
    let state = (events.boxed(), current, false);
    Ok(futures::stream::unfold(
        state,
        move |(mut events, mut current, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let Some(watch) = current.as_mut() else {
                    return events.next().await.map(|e| (Ok(e), (events, None, false)));
                };
                tokio::select! {
                    biased;
                    changed = watch.changed() => {
                        if changed.is_err() {
                            return None; // the connection is gone
                        }
                        let verdict = tds_domain::auth::still_allowed(
                            &watch.borrow_and_update(),
                            account,
                            required,
                        );
                        if let Err(e) = verdict {
                            return Some((Err(ApiError::from(e)), (events, current, true)));
                        }
                    }
                    event = events.next() => {
                        return event.map(|e| (Ok(e), (events, current, false)));
                    }
                }
            }
        },
    ))
}

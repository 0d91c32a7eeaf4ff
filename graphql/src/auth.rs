//! Signing in and joining: the per-request and per-address/e-mail sign-in limits, and
//! what accepting an invitation answers.

use std::sync::atomic::Ordering;

use async_graphql::{Context, SimpleObject};
use chrono::Utc;
use sha2::{Digest, Sha256};
use tds_domain::accounts::{self, LoginToken};
use tds_domain::values::Email;
use tds_domain::{DomainError, members};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::{Account, LoginPayload, User};

impl From<LoginToken> for LoginPayload {
    fn from(t: LoginToken) -> Self {
        LoginPayload {
            token: t.token,
            expires_at: t.expires_at,
            user: User(t.user),
        }
    }
}

/// The counter key of an e-mail: normalised when it parses, hashed so the store never
/// holds addresses.
fn email_key(email: &str) -> String {
    let normal = Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    format!(
        "login:email:{}",
        hex::encode(Sha256::digest(normal.as_bytes()))
    )
}

/// The counter key of a client address: IPv6 by /64, the block one subscriber gets, so
/// walking through one's own addresses does not multiply guesses.
fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counts one attempt against `key`; refuses past `limit`. A store that cannot be
/// reached lets the attempt through (argon2 still bounds guessing) and says so in the log.
async fn count_attempt(
    ctx: &Context<'_>,
    key: &str,
    limit: tds_domain::auth::Limit,
) -> ApiResult<bool> {
    match ctx.state().auth.counters.hit(key, limit.window).await {
        Ok(hits) => {
            limit.check(hits.count, hits.resets_in)?;
            Ok(true)
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in attempts not counted");
            Ok(false)
        }
    }
}

/// Signs in under the limits: one `login` per request, then the per-address and
/// per-e-mail allowances; a success gives its attempts back.
pub(crate) async fn login(
    ctx: &Context<'_>,
    email: &str,
    password: &str,
) -> ApiResult<LoginPayload> {
    let scope = ctx.scope()?;
    if scope.login_tried.swap(true, Ordering::SeqCst) {
        return Err(DomainError::invalid("login", "one login per request").into());
    }
    let state = ctx.state();
    let limits = state.auth.login_limits;
    let mut counted = Vec::new();
    if let Some(address) = scope.client {
        let key = format!("login:address:{}", address_key(address));
        if count_attempt(ctx, &key, limits.per_address).await? {
            counted.push(key);
        }
    }
    let key = email_key(email);
    if count_attempt(ctx, &key, limits.per_email).await? {
        counted.push(key);
    }
    let token = accounts::login(&state.db, &state.keys, email, password, Utc::now()).await?;
    for key in counted {
        if let Err(e) = state.auth.counters.undo(&key).await {
            tracing::warn!(error = %e, "a successful sign-in was not given back");
        }
    }
    Ok(token.into())
}

/// What accepting an invitation did.
#[derive(SimpleObject)]
pub struct AcceptedInvitation {
    /// The account joined, with the role in it.
    pub account: Account,
    /// Who joined.
    pub user: User,
    /// A session for a user created by this acceptance; null for a signed-in user, who
    /// keeps the session they have.
    pub login: Option<LoginPayload>,
}

/// Accepts an invitation as the caller (signed in or not).
pub(crate) async fn accept_invitation(
    ctx: &Context<'_>,
    token: &str,
    name: Option<String>,
    password: Option<String>,
) -> ApiResult<AcceptedInvitation> {
    let state = ctx.state();
    let caller = ctx.scope()?.session.user().ok();
    let accepted = members::accept_invitation(
        &state.db,
        &state.keys,
        caller,
        token,
        name,
        password,
        Utc::now(),
    )
    .await?;
    Ok(AcceptedInvitation {
        account: Account {
            model: accepted.account,
            role: accepted.role,
        },
        user: User(accepted.user),
        login: accepted.login.map(Into::into),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_subscriber() {
        let key = |a: &str| address_key(a.parse().unwrap());
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}

//! Who is calling and in which account: built once per request from the token and
//! `X-Account-Id`, then handed to every domain operation, which filters by its account.
//! A [`Tenant`] cannot be made up outside this crate: it comes from a resolved
//! [`Session`], or from an [`Operator`] acting as a member.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::{Role, account, membership, user};
use uuid::Uuid;

use crate::auth::TokenKeys;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::operator::Operator;

/// The caller's account and role. Every tenant-owned query takes one of these.
///
/// Only this crate builds one: from a resolved [`Session`] (the request's token and
/// `X-Account-Id`, checked against memberships) or through an [`Operator`] acting as a
/// member. Its fields are visible to the domain's modules, which filter by them, and
/// nowhere else, so no entry point can make up a scope.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub(crate) account_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) role: Role,
    pub(crate) timezone: String,
}

impl Tenant {
    /// The account all queries are restricted to.
    pub fn account_id(&self) -> Uuid {
        self.account_id
    }

    /// The calling user.
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    /// The caller's role in the account.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The account's IANA time zone.
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// Refuses unless the caller's role includes `required`.
    pub fn require(&self, required: Role) -> DomainResult<()> {
        if self.role.includes(required) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "this needs the {required} role; you are {}",
                self.role
            )))
        }
    }
}

impl Tenant {
    /// A read-only scope in `account_id` for a job the platform runs on the account's
    /// behalf (building a report): no user, the VIEWER role, the account's zone.
    pub async fn for_job(db: &impl ConnectionTrait, account_id: Uuid) -> DomainResult<Self> {
        let account = tds_entity::account::Entity::find_by_id(account_id)
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("account"))?;
        Ok(Self {
            account_id,
            user_id: Uuid::nil(),
            role: Role::Viewer,
            timezone: account.timezone,
        })
    }
}

/// What a request presented: the bearer token and the chosen account, both raw.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Token from `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// Value of `X-Account-Id`.
    pub account_id: Option<String>,
}

/// Why a session has no user or no tenant; kept so each resolver can report it.
#[derive(Debug, Clone)]
pub enum SessionProblem {
    /// No or bad token.
    Unauthenticated(String),
    /// Account unknown or the caller is not a member.
    AccountNotFound,
    /// The caller belongs to several accounts and named none.
    AccountRequired,
    /// The account's licence expired.
    LicenceExpired,
}

impl From<&SessionProblem> for DomainError {
    fn from(p: &SessionProblem) -> Self {
        match p {
            SessionProblem::Unauthenticated(m) => DomainError::Unauthenticated(m.clone()),
            SessionProblem::AccountNotFound => DomainError::NotFound("account"),
            SessionProblem::AccountRequired => DomainError::Validation(vec![FieldError::new(
                "X-Account-Id",
                "you belong to several accounts: choose one with the X-Account-Id header",
            )]),
            SessionProblem::LicenceExpired => DomainError::LicenceExpired,
        }
    }
}

/// The resolved identity of one request (or one WebSocket connection).
#[derive(Debug, Clone)]
pub struct Session {
    user: Result<user::Model, SessionProblem>,
    tenant: Result<Tenant, SessionProblem>,
}

impl Session {
    /// A session with nobody signed in.
    pub fn anonymous() -> Self {
        let p =
            SessionProblem::Unauthenticated("sign in first: Authorization: Bearer <token>".into());
        Self {
            user: Err(p.clone()),
            tenant: Err(p),
        }
    }

    /// The signed-in user.
    pub fn user(&self) -> DomainResult<&user::Model> {
        self.user.as_ref().map_err(DomainError::from)
    }

    /// The tenant scope (user + account + role).
    pub fn tenant(&self) -> DomainResult<&Tenant> {
        self.tenant.as_ref().map_err(DomainError::from)
    }

    /// The platform operator's capability, when the signed-in user is a superuser.
    pub fn operator(&self) -> DomainResult<Operator> {
        Operator::superuser(self.user()?)
            .ok_or_else(|| DomainError::Forbidden("only platform operators do this".into()))
    }

    /// Resolves credentials against the database. Only storage failures are errors;
    /// bad credentials become a session whose `user()` / `tenant()` explain the refusal.
    pub async fn resolve(
        db: &impl ConnectionTrait,
        keys: &TokenKeys,
        credentials: &Credentials,
        _now: DateTime<Utc>,
    ) -> Result<Self, sea_orm::DbErr> {
        let Some(token) = credentials.bearer.as_deref() else {
            return Ok(Self::anonymous());
        };
        let user_id = match keys.verify(token) {
            Ok(id) => id,
            Err(e) => {
                let p = SessionProblem::Unauthenticated(e.to_string());
                return Ok(Self {
                    user: Err(p.clone()),
                    tenant: Err(p),
                });
            }
        };
        let user = match user::Entity::find_by_id(user_id).one(db).await? {
            Some(u) if u.is_active => u,
            _ => {
                let p = SessionProblem::Unauthenticated("user unknown or deactivated".into());
                return Ok(Self {
                    user: Err(p.clone()),
                    tenant: Err(p),
                });
            }
        };
        let tenant = resolve_tenant(db, &user, credentials.account_id.as_deref()).await?;
        Ok(Self {
            user: Ok(user),
            tenant,
        })
    }
}

async fn resolve_tenant(
    db: &impl ConnectionTrait,
    user: &user::Model,
    header: Option<&str>,
) -> Result<Result<Tenant, SessionProblem>, sea_orm::DbErr> {
    let (account_id, membership_role) = match header.map(str::trim).filter(|h| !h.is_empty()) {
        Some(raw) => {
            let Ok(account_id) = Uuid::parse_str(raw) else {
                return Ok(Err(SessionProblem::AccountNotFound));
            };
            (account_id, role_in(db, user, account_id).await?)
        }
        None => {
            let memberships = membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .all(db)
                .await?;
            match memberships.as_slice() {
                [only] => (only.account_id, Some(only.role)),
                [] => return Ok(Err(SessionProblem::AccountNotFound)),
                _ => return Ok(Err(SessionProblem::AccountRequired)),
            }
        }
    };
    scope(db, user, account_id, membership_role).await
}

/// `user`'s scope in `account_id`, by the same rules as a request naming that account.
pub(crate) async fn tenant_in(
    db: &impl ConnectionTrait,
    user: &user::Model,
    account_id: Uuid,
) -> Result<Result<Tenant, SessionProblem>, sea_orm::DbErr> {
    let membership_role = role_in(db, user, account_id).await?;
    scope(db, user, account_id, membership_role).await
}

async fn role_in(
    db: &impl ConnectionTrait,
    user: &user::Model,
    account_id: Uuid,
) -> Result<Option<Role>, sea_orm::DbErr> {
    Ok(membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .filter(membership::Column::UserId.eq(user.id))
        .one(db)
        .await?
        .map(|m| m.role))
}

/// The scope of `user` in `account_id` given their membership's role, if any.
async fn scope(
    db: &impl ConnectionTrait,
    user: &user::Model,
    account_id: Uuid,
    membership_role: Option<Role>,
) -> Result<Result<Tenant, SessionProblem>, sea_orm::DbErr> {
    // Operators (superusers) act as ADMIN in any account they are not a member of.
    let role = match (membership_role, user.is_superuser) {
        (Some(role), _) => role,
        (None, true) => Role::Admin,
        (None, false) => return Ok(Err(SessionProblem::AccountNotFound)),
    };
    let Some(account) = account::Entity::find_by_id(account_id).one(db).await? else {
        return Ok(Err(SessionProblem::AccountNotFound));
    };
    if !account.is_active {
        return Ok(Err(SessionProblem::LicenceExpired));
    }
    Ok(Ok(Tenant {
        account_id,
        user_id: user.id,
        role,
        timezone: account.timezone,
    }))
}

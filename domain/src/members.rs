//! Who belongs to an account: invitations, roles, removal. An account always keeps
//! at least one ADMIN, otherwise nobody could manage it again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use tds_entity::{Role, account, invitation, membership, user};
use uuid::Uuid;

use crate::accounts::LoginToken;
use crate::accounts::find_user_by_email;
use crate::auth::{self, TokenKeys};
use crate::error::{DomainError, DomainResult};
use crate::tenant::Tenant;
use crate::values::{Email, parse_name};

/// How long an invitation can be accepted.
pub const INVITATION_TTL_DAYS: i64 = 7;

/// A member of an account: the membership and the user behind it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The membership (its id is the member id).
    pub membership: membership::Model,
    /// The user.
    pub user: user::Model,
}

/// Members of the caller's account, by e-mail.
pub async fn list_members(db: &impl ConnectionTrait, tenant: &Tenant) -> DomainResult<Vec<Member>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(tenant.account_id))
        .all(db)
        .await?;
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(memberships.iter().map(|m| m.user_id)))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    Ok(users
        .into_iter()
        .filter_map(|user| {
            let membership = memberships.iter().find(|m| m.user_id == user.id)?.clone();
            Some(Member { membership, user })
        })
        .collect())
}

/// An invitation and its one-time token (shown once, only its hash is stored).
#[derive(Debug, Clone)]
pub struct IssuedInvitation {
    /// The stored invitation.
    pub invitation: invitation::Model,
    /// The token to send to the invitee.
    pub token: String,
}

/// Invites an e-mail address into the caller's account with a role (ADMIN).
pub async fn invite_member(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    email: &str,
    role: Role,
    now: DateTime<Utc>,
) -> DomainResult<IssuedInvitation> {
    tenant.require(Role::Admin)?;
    let email = Email::parse(email).map_err(|m| DomainError::invalid("email", m))?;
    if let Some(user) = find_user_by_email(db, &email).await? {
        let already = membership::Entity::find()
            .filter(membership::Column::AccountId.eq(tenant.account_id))
            .filter(membership::Column::UserId.eq(user.id))
            .count(db)
            .await?;
        if already > 0 {
            return Err(DomainError::invalid(
                "email",
                "already a member of this account",
            ));
        }
    }
    let (token, token_hash) = auth::one_time_token();
    let invitation = invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(tenant.account_id),
        email: Set(email.as_str().to_owned()),
        role: Set(role),
        token_hash: Set(token_hash),
        expires_at: Set(now + Duration::days(INVITATION_TTL_DAYS)),
        accepted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(tenant.user_id)),
    }
    .insert(db)
    .await?;
    Ok(IssuedInvitation { invitation, token })
}

/// What accepting an invitation did.
#[derive(Debug, Clone)]
pub struct AcceptedInvitation {
    /// The account joined.
    pub account: account::Model,
    /// The role in it (an existing membership keeps its role).
    pub role: Role,
    /// Who joined.
    pub user: user::Model,
    /// A session, only for a user this acceptance created (who just chose the password);
    /// a signed-in user keeps the session they have.
    pub login: Option<LoginToken>,
}

/// Who accepts an invitation.
enum Joiner {
    /// The invitee's own user, signed in.
    Existing(user::Model),
    /// A user to create, with the password chosen on acceptance.
    New { name: String, password_hash: String },
}

/// The invitation behind a one-time token, if it can still be accepted.
async fn open_invitation(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> DomainResult<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(auth::token_hash(token)))
        .one(db)
        .await?
        .filter(|i| i.accepted_at.is_none() && i.expires_at > now)
        .ok_or_else(|| DomainError::invalid("token", "invitation unknown, used or expired"))
}

/// Accepts an invitation. The token only says which account and role; it never proves
/// who the invitee is (the inviting admin holds it too). So an e-mail that already has a
/// user can only be accepted by that user, signed in (`caller`); nobody gets a session
/// for an existing user, and acceptance never sets an existing user's password. A new
/// e-mail gets a user with the `password` chosen here, and a session.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    caller: Option<&user::Model>,
    token: &str,
    name: Option<String>,
    password: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<AcceptedInvitation> {
    let invitation = open_invitation(db, token, now).await?;
    let email = Email::parse(&invitation.email).map_err(DomainError::Internal)?;
    let joiner = match (find_user_by_email(db, &email).await?, caller) {
        (Some(invitee), Some(caller)) if invitee.id == caller.id => Joiner::Existing(invitee),
        (_, Some(_)) => {
            return Err(DomainError::Forbidden(
                "this invitation is for another e-mail address: sign in as the invitee (or sign out to join as a new user)"
                    .into(),
            ));
        }
        (Some(invitee), None) if invitee.password_hash.is_none() => {
            // Nobody can sign in as this user, so nobody can prove to be them.
            return Err(DomainError::Conflict(
                "a user with this e-mail exists but has no password: a platform operator must set it up first"
                    .into(),
            ));
        }
        (Some(_), None) => {
            return Err(DomainError::Unauthenticated(
                "this e-mail already has a user: sign in as that user, then accept".into(),
            ));
        }
        (None, None) => {
            let password = password
                .ok_or_else(|| DomainError::invalid("password", "choose a password to join"))?;
            let name = match name.as_deref() {
                Some(n) => parse_name(n).map_err(|m| DomainError::invalid("name", m))?,
                None => email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            };
            Joiner::New {
                name,
                password_hash: auth::hash_password(&password).await?,
            }
        }
    };

    let txn = db.begin().await?;
    // Compare-and-set: of two concurrent acceptances exactly one uses the invitation.
    let used = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(Some(now)))
        .col_expr(invitation::Column::UpdatedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(invitation.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(DomainError::invalid(
            "token",
            "invitation unknown, used or expired",
        ));
    }
    let (user, created) = match joiner {
        Joiner::Existing(user) => (user, false),
        // The unique e-mail index refuses a user created meanwhile (CONFLICT).
        Joiner::New {
            name,
            password_hash,
        } => {
            let user = user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email.as_str().to_owned()),
                password_hash: Set(Some(password_hash)),
                name: Set(name),
                is_active: Set(true),
                is_superuser: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                created_by: Set(invitation.created_by),
            }
            .insert(&txn)
            .await?;
            (user, true)
        }
    };
    let current = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(invitation.account_id))
        .filter(membership::Column::UserId.eq(user.id))
        .one(&txn)
        .await?;
    let role = match current {
        Some(m) => m.role,
        None => {
            membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: Set(invitation.account_id),
                user_id: Set(user.id),
                role: Set(invitation.role),
                created_at: Set(now),
                updated_at: Set(now),
                created_by: Set(invitation.created_by),
            }
            .insert(&txn)
            .await?
            .role
        }
    };
    let account = account::Entity::find_by_id(invitation.account_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    txn.commit().await?;
    let login = if created {
        let (token, expires_at) = keys.issue(user.id, now)?;
        Some(LoginToken {
            token,
            expires_at,
            user: user.clone(),
        })
    } else {
        None
    };
    Ok(AcceptedInvitation {
        account,
        role,
        user,
        login,
    })
}

/// Loads a membership of the caller's account, locking the account's admin rows on
/// PostgreSQL so two concurrent demotions cannot both pass the last-admin check.
async fn member_for_change(
    txn: &DatabaseTransaction,
    tenant: &Tenant,
    member_id: Uuid,
) -> DomainResult<(membership::Model, u64)> {
    let mut admins = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(tenant.account_id))
        .filter(membership::Column::Role.eq(Role::Admin));
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        admins = admins.lock_exclusive();
    }
    let admin_count = admins.all(txn).await?.len() as u64;
    let member = membership::Entity::find_by_id(member_id)
        .filter(membership::Column::AccountId.eq(tenant.account_id))
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    Ok((member, admin_count))
}

/// Changes a member's role (ADMIN); the last ADMIN cannot be demoted.
pub async fn change_member_role(
    db: &DatabaseConnection,
    tenant: &Tenant,
    member_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> DomainResult<Member> {
    tenant.require(Role::Admin)?;
    let txn = db.begin().await?;
    let (member, admins) = member_for_change(&txn, tenant, member_id).await?;
    if member.role == Role::Admin && role != Role::Admin && admins <= 1 {
        return Err(DomainError::Conflict(
            "the last admin of an account cannot be demoted: promote someone else first".into(),
        ));
    }
    let mut model: membership::ActiveModel = member.into();
    model.role = Set(role);
    model.updated_at = Set(now);
    let membership = model.update(&txn).await?;
    let user = user::Entity::find_by_id(membership.user_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("member"))?;
    txn.commit().await?;
    Ok(Member { membership, user })
}

/// Removes a member from the account (ADMIN); the last ADMIN cannot be removed.
/// Returns the removed membership (whose sessions must now be re-checked).
pub async fn remove_member(
    db: &DatabaseConnection,
    tenant: &Tenant,
    member_id: Uuid,
) -> DomainResult<membership::Model> {
    tenant.require(Role::Admin)?;
    let txn = db.begin().await?;
    let (member, admins) = member_for_change(&txn, tenant, member_id).await?;
    if member.role == Role::Admin && admins <= 1 {
        return Err(DomainError::Conflict(
            "the last admin of an account cannot be removed: promote someone else first".into(),
        ));
    }
    membership::Entity::delete_by_id(member.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(member)
}

//! Who belongs to an account: invitations, roles, removal. An account always keeps
//! at least one ADMIN, otherwise nobody could manage it again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use tds_entity::{Role, invitation, membership, user};
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

/// Accepts an invitation: creates the user if the e-mail is new (then `password` is
/// required), adds the membership, and signs the user in.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    token: &str,
    name: Option<String>,
    password: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<LoginToken> {
    let invalid = || DomainError::invalid("token", "invitation unknown, used or expired");
    let txn = db.begin().await?;
    let invitation = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(auth::token_hash(token)))
        .one(&txn)
        .await?
        .ok_or_else(invalid)?;
    if invitation.accepted_at.is_some() || invitation.expires_at <= now {
        return Err(invalid());
    }
    let email = Email::parse(&invitation.email).map_err(DomainError::Internal)?;
    let user = match find_user_by_email(&txn, &email).await? {
        Some(user) if user.password_hash.is_some() => user,
        existing => {
            let password = password
                .ok_or_else(|| DomainError::invalid("password", "choose a password to join"))?;
            let hash = auth::hash_password(&password)?;
            let name = match name.as_deref() {
                Some(n) => parse_name(n).map_err(|m| DomainError::invalid("name", m))?,
                None => email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            };
            match existing {
                Some(user) => {
                    let mut model: user::ActiveModel = user.into();
                    model.password_hash = Set(Some(hash));
                    model.updated_at = Set(now);
                    model.update(&txn).await?
                }
                None => {
                    user::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        email: Set(email.as_str().to_owned()),
                        password_hash: Set(Some(hash)),
                        name: Set(name),
                        is_active: Set(true),
                        is_superuser: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                        created_by: Set(invitation.created_by),
                    }
                    .insert(&txn)
                    .await?
                }
            }
        }
    };
    let already = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(invitation.account_id))
        .filter(membership::Column::UserId.eq(user.id))
        .count(&txn)
        .await?;
    if already == 0 {
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
        .await?;
    }
    let mut used: invitation::ActiveModel = invitation.into();
    used.accepted_at = Set(Some(now));
    used.updated_at = Set(now);
    used.update(&txn).await?;
    txn.commit().await?;
    let (token, expires_at) = keys.issue(user.id, now)?;
    Ok(LoginToken {
        token,
        expires_at,
        user,
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
pub async fn remove_member(
    db: &DatabaseConnection,
    tenant: &Tenant,
    member_id: Uuid,
) -> DomainResult<()> {
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
    Ok(())
}

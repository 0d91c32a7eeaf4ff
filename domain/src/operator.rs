//! The platform operator's capability. What acts across tenants (creating users and
//! accounts, switching a licence, issuing or revoking a certificate by MAC or serial,
//! renewing by MAC) takes an `&Operator`, so it cannot be called on behalf of a tenant by
//! mistake: a resolver holds a [`crate::Tenant`], and an `Operator` comes only from a
//! superuser's session ([`crate::Session::operator`]) or from the operator command line
//! ([`Operator::command_line`]).

use sea_orm::{ConnectionTrait, EntityTrait};
use tds_entity::user;
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::tenant::{Tenant, tenant_in};

/// Permission to act across tenants. Cheap to hold; impossible to build from a tenant.
#[derive(Debug, Clone)]
pub struct Operator {
    /// The superuser acting; none for the command line.
    user_id: Option<Uuid>,
}

impl Operator {
    /// The `tds` command line. It runs with the database's own credentials, which already
    /// hold every power, so it is the operator; nothing serving tenants (the API, the
    /// workers) calls this.
    pub fn command_line() -> Self {
        Self { user_id: None }
    }

    /// A signed-in superuser; none for anyone else.
    pub(crate) fn superuser(user: &user::Model) -> Option<Self> {
        (user.is_active && user.is_superuser).then_some(Self {
            user_id: Some(user.id),
        })
    }

    /// The superuser acting (recorded as `created_by`); none for the command line.
    pub fn user_id(&self) -> Option<Uuid> {
        self.user_id
    }

    /// Acts as the user `user_id` in `account_id`, with the role the user holds there
    /// (ADMIN for a superuser who is no member), by the same rules as that user's own
    /// request naming the account: for the command line's tools and for tests.
    pub async fn act_as(
        &self,
        db: &impl ConnectionTrait,
        user_id: Uuid,
        account_id: Uuid,
    ) -> DomainResult<Tenant> {
        let user = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .filter(|u| u.is_active)
            .ok_or(DomainError::NotFound("user"))?;
        tenant_in(db, &user, account_id)
            .await?
            .map_err(|p| DomainError::from(&p))
    }
}

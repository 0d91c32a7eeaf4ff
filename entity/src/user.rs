//! A person who signs in; belongs to accounts through memberships.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `users`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Lower-cased, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// argon2id PHC string; none until an invitation is accepted.
    pub password_hash: Option<String>,
    pub name: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

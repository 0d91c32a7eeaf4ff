//! A message the platform could not accept, kept with its reason.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `dead_letters`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "dead_letters")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Known when the gateway could be resolved.
    pub account_id: Option<Uuid>,
    pub gateway_mac: Option<String>,
    pub topic: String,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub payload: Vec<u8>,
    /// Stable machine-readable reason, e.g. `UNKNOWN_DEVICE`.
    pub reason: String,
    pub detail: String,
    pub received_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

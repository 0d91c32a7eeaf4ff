//! One night of over-the-air renewals (ADR-004): which night, when, how many picked.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `renewal_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "renewal_runs")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Local date (platform time zone) of the night; unique.
    #[sea_orm(unique)]
    pub night: Date,
    pub started_at: DateTimeUtc,
    /// Renewals this run scheduled.
    pub scheduled: i32,
    pub trigger: RenewalTrigger,
}

/// Relations are resolved by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

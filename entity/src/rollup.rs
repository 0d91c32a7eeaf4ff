//! Hourly, daily and monthly summary of one device, kept current as readings land.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `rollups`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rollups")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: RollupPeriod,
    /// Start of the bucket (local midnight / month start converted to UTC for DAY and MONTH).
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_start: DateTimeUtc,
    pub account_id: Uuid,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub first_value: f64,
    pub first_time: DateTimeUtc,
    pub last_value: f64,
    pub last_time: DateTimeUtc,
    /// Register increase over the bucket (CUMULATIVE devices), resets handled.
    pub consumption: Option<f64>,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

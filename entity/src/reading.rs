//! One value of one device at one time (LeituraDispositivo); unique per (device, time).

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `readings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "readings")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub time: DateTimeUtc,
    pub account_id: Uuid,
    pub gateway_id: Uuid,
    pub value: f64,
    pub unit: String,
    /// The payload item as received.
    #[sea_orm(column_type = "JsonBinary")]
    pub raw: Json,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

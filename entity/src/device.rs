//! A meter or sensor behind a gateway (Dispositivo).

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `devices`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "devices")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub gateway_id: Uuid,
    /// The `dispositivo_codigo` of the payload, unique per gateway.
    pub code: String,
    pub name: String,
    pub kind: DeviceKind,
    pub unit: String,
    pub measurement: Measurement,
    /// Modbus slave id, 1–247, unique per gateway.
    pub slave_id: i32,
    /// Modbus holding register, 0–65535.
    pub register: i32,
    pub conversion_factor: f64,
    /// Time of the latest stored reading.
    pub last_reading_at: Option<DateTimeUtc>,
    /// Value of the latest stored reading.
    pub last_value: Option<f64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A Modbus gateway publishing telemetry over MQTT; the MAC is its identity.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `gateways`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "gateways")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub code: String,
    /// Normalised `aa:bb:cc:dd:ee:ff`, unique across all accounts.
    #[sea_orm(unique)]
    pub mac: String,
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Most devices this gateway may carry.
    pub capacity: i32,
    /// Expected seconds between two telemetry messages.
    pub reporting_interval_s: i32,
    pub status: GatewayStatus,
    pub is_online: bool,
    pub last_seen_at: Option<DateTimeUtc>,
    /// How its certificate is renewed over the air (server key or CSR).
    pub renewal_mode: RenewalMode,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

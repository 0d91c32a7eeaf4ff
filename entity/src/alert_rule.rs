//! A condition on readings or silence that raises alerts.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `alert_rules`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alert_rules")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub scope: AlertScope,
    pub device_id: Option<Uuid>,
    pub gateway_id: Option<Uuid>,
    pub device_kind: Option<DeviceKind>,
    pub condition: AlertCondition,
    pub threshold_low: Option<f64>,
    pub threshold_high: Option<f64>,
    /// Period of a consumption condition.
    pub period: Option<RollupPeriod>,
    pub silent_minutes: Option<i32>,
    pub severity: Severity,
    pub cooldown_s: i32,
    /// JSON array of e-mail addresses.
    #[sea_orm(column_type = "JsonBinary")]
    pub recipients: Json,
    /// JSON array of `{"url": …, "secret": …}`: POSTs signed with HMAC-SHA256.
    #[sea_orm(column_type = "JsonBinary")]
    pub webhooks: Json,
    /// Percent a day's completeness must reach (completeness condition).
    pub completeness_pct: Option<f64>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

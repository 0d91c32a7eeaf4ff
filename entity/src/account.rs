//! A tenant (Conta): owns gateways, devices, readings, rules and reports.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `accounts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "accounts")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// CNPJ, digits only, check digits verified.
    pub tax_id: Option<String>,
    pub plan: String,
    /// False once the licence expired: the API refuses the account.
    pub is_active: bool,
    /// IANA time zone; daily and monthly buckets follow it.
    pub timezone: String,
    pub locale: String,
    pub retention_days: i32,
    /// Days a generated report stays downloadable.
    pub report_retention_days: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

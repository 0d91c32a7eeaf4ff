//! A report produced on a cron schedule and e-mailed to recipients.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `report_schedules`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_schedules")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    /// Six-field cron expression (seconds first), in the account's time zone.
    pub cron: String,
    pub kind: ReportKind,
    pub period: ReportPeriod,
    #[sea_orm(column_type = "JsonBinary")]
    pub device_ids: Json,
    /// The gateway whose devices it covers (selection by gateway).
    pub gateway_id: Option<Uuid>,
    pub format: ReportFormat,
    #[sea_orm(column_type = "JsonBinary")]
    pub recipients: Json,
    pub enabled: bool,
    pub last_run_at: Option<DateTimeUtc>,
    pub next_run_at: Option<DateTimeUtc>,
    /// The report of the latest run.
    pub last_report_id: Option<Uuid>,
    /// Why the latest run failed; none when it succeeded.
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

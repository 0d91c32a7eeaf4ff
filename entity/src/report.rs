//! A requested PDF or XLSX report and, once done, its stored file.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `reports`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reports")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: ReportKind,
    pub period: ReportPeriod,
    pub range_start: DateTimeUtc,
    pub range_end: DateTimeUtc,
    /// JSON array of device ids.
    #[sea_orm(column_type = "JsonBinary")]
    pub device_ids: Json,
    pub format: ReportFormat,
    pub state: ReportState,
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    pub file_sha256: Option<String>,
    pub error: Option<String>,
    pub schedule_id: Option<Uuid>,
    pub requested_by: Option<Uuid>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

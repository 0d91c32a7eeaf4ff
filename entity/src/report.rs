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
    /// Percent done while RUNNING.
    pub progress: i32,
    /// The stored file (`stored_files`) once DONE.
    pub file_id: Option<Uuid>,
    /// Pages of a PDF.
    pub pages: Option<i32>,
    /// Rows of a spreadsheet's readings sheet.
    pub rows: Option<i64>,
    /// The gateway whose devices it covers (selection by gateway).
    pub gateway_id: Option<Uuid>,
    /// Language it is written in (`pt-BR`, `en`).
    pub locale: String,
    /// When its file is deleted (the account's report retention).
    pub expires_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    /// Set when a scheduled report is DONE and its e-mails are not queued yet (an
    /// outbox); a claim moves it ahead while the e-mails are queued.
    pub notify_due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

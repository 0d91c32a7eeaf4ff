//! An alert raised by a rule, from OPEN to RESOLVED.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `alerts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alerts")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub rule_id: Uuid,
    /// The device (value, consumption, device silence, completeness rules) or gateway
    /// (gateway silence) the alert is about: one unresolved alert per rule and subject.
    pub subject_id: Uuid,
    pub device_id: Option<Uuid>,
    pub gateway_id: Option<Uuid>,
    pub severity: Severity,
    pub message: String,
    /// The observed value that opened it.
    pub value: Option<f64>,
    /// Time of the reading (or check) that opened it.
    pub opened_reading_at: Option<DateTimeUtc>,
    pub state: AlertState,
    pub opened_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by: Option<Uuid>,
    pub acknowledge_comment: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    /// Who resolved it; none when the condition cleared by itself.
    pub resolved_by: Option<Uuid>,
    pub resolve_comment: Option<String>,
    /// The observed value that cleared it (automatic resolution).
    pub cleared_value: Option<f64>,
    /// Time of the reading (or check) that cleared it.
    pub cleared_reading_at: Option<DateTimeUtc>,
    /// Set (to the change's time) when it opened or resolved by itself, cleared once its
    /// notifications are queued: a transactional outbox.
    pub notify_due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! One over-the-air renewal of a gateway certificate (ADR-004), step by step.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `certificate_renewals`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "certificate_renewals")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub gateway_id: Uuid,
    pub old_certificate_id: Uuid,
    pub new_certificate_id: Option<Uuid>,
    pub mode: RenewalMode,
    pub state: RenewalState,
    pub attempts: i32,
    pub scheduled_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub error: Option<String>,
    /// The nightly run that picked it; none for a "renew now".
    pub run_id: Option<Uuid>,
    /// When it times out unless the gateway acknowledges (set once something is published).
    pub deadline_at: Option<DateTimeUtc>,
    /// Who asked for a "renew now".
    pub requested_by: Option<Uuid>,
    /// When the gateway's retained `cert_update` was cleared after the renewal ended.
    pub retained_cleared_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

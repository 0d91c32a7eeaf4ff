//! One attempt to deliver an alert over one channel to one target.

#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `alert_notifications`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alert_notifications")]
#[allow(missing_docs)]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub alert_id: Uuid,
    pub channel: NotificationChannel,
    /// The e-mail address or the webhook URL.
    pub target: String,
    /// 1 for the first attempt at this target, then 2, 3 …
    pub attempt: i32,
    pub attempted_at: DateTimeUtc,
    pub outcome: NotificationOutcome,
    /// Why it failed (SMTP reply, HTTP status …).
    pub error: Option<String>,
}

/// Relations are resolved by explicit queries scoped to an account.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

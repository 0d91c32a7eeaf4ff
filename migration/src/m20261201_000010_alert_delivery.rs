//! What alerts need beyond migration 5 (issue 10):
//!
//! - Rules: webhooks (URL + HMAC secret) beside the e-mail recipients, and the percent a
//!   day's completeness must reach. A consumption rule keeps using `period` (the rollup
//!   bucket it watches) and `threshold_high` (its limit). `SILENT` becomes `GATEWAY_SILENT`
//!   now that devices can be silent too.
//! - Alerts: the subject (the device or gateway the alert is about) as one non-null
//!   column, so a partial unique index can hold at most one unresolved alert per
//!   (rule, subject) on PostgreSQL and SQLite alike; the reading that opened it and the
//!   one that cleared it; the comments of whoever acknowledged or resolved it.
//! - `alert_notifications`: every delivery attempt (channel, target, time, outcome, error),
//!   written by the notification jobs.
//! - `alerts.notify_due_at`, a transactional outbox: set in the statement that opens or
//!   resolves an alert, cleared once its notifications are queued, so a process that dies
//!   between the two leaves the alert for a sweeper to queue again.
//!
//! Columns are added one per statement (SQLite alters one column at a time); those that
//! cannot be null get a default, as SQLite requires.

use crate::common::{cascade, enum_col};
use crate::m20261124_000001_create_tenancy::Accounts;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Webhooks,
    CompletenessPct,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleId,
    SubjectId,
    OpenedReadingAt,
    ClearedValue,
    ClearedReadingAt,
    AcknowledgeComment,
    ResolveComment,
    NotifyDueAt,
}

#[derive(DeriveIden)]
enum AlertNotifications {
    Table,
    Id,
    AccountId,
    AlertId,
    Channel,
    Target,
    Attempt,
    AttemptedAt,
    Outcome,
    Error,
}

/// At most one alert that is not RESOLVED per rule and subject: a replay or two workers
/// racing cannot raise the same alert twice.
const ONE_UNRESOLVED: &str = "CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_unresolved \
     ON alerts (rule_id, subject_id) WHERE state <> 'RESOLVED'";

/// What the outbox sweeper reads: the few alerts whose notifications are not queued yet.
const NOTIFY_DUE: &str = "CREATE INDEX IF NOT EXISTS alerts_notify_due \
     ON alerts (notify_due_at) WHERE notify_due_at IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            json_binary(AlertRules::Webhooks).default("[]").to_owned(),
            double_null(AlertRules::CompletenessPct),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AlertRules::Table)
                        .add_column_if_not_exists(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [
            uuid_null(Alerts::SubjectId),
            timestamp_with_time_zone_null(Alerts::OpenedReadingAt),
            double_null(Alerts::ClearedValue),
            timestamp_with_time_zone_null(Alerts::ClearedReadingAt),
            text_null(Alerts::AcknowledgeComment),
            text_null(Alerts::ResolveComment),
            timestamp_with_time_zone_null(Alerts::NotifyDueAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .add_column_if_not_exists(col)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE alert_rules SET condition = 'GATEWAY_SILENT' WHERE condition = 'SILENT'",
        )
        .await?;
        // Alerts raised before this migration name their subject by device or gateway.
        db.execute_unprepared(
            "UPDATE alerts SET subject_id = COALESCE(device_id, gateway_id, rule_id), \
             opened_reading_at = opened_at WHERE subject_id IS NULL",
        )
        .await?;
        db.execute_unprepared(ONE_UNRESOLVED).await?;
        db.execute_unprepared(NOTIFY_DUE).await?;
        manager
            .create_index(
                Index::create()
                    .name("alerts_rule_subject")
                    .table(Alerts::Table)
                    .col(Alerts::RuleId)
                    .col(Alerts::SubjectId)
                    .col(Alerts::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertNotifications::Table)
                    .if_not_exists()
                    .col(pk_uuid(AlertNotifications::Id))
                    .col(uuid(AlertNotifications::AccountId))
                    .col(uuid(AlertNotifications::AlertId))
                    .col(enum_col(AlertNotifications::Channel))
                    .col(string_len(AlertNotifications::Target, 512))
                    .col(integer(AlertNotifications::Attempt))
                    .col(timestamp_with_time_zone(AlertNotifications::AttemptedAt))
                    .col(enum_col(AlertNotifications::Outcome))
                    .col(text_null(AlertNotifications::Error))
                    .foreign_key(&mut cascade(
                        AlertNotifications::Table,
                        AlertNotifications::AccountId,
                        Accounts::Table,
                    ))
                    .foreign_key(&mut cascade(
                        AlertNotifications::Table,
                        AlertNotifications::AlertId,
                        Alerts::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("alert_notifications_alert")
                    .table(AlertNotifications::Table)
                    .col(AlertNotifications::AlertId)
                    .col(AlertNotifications::AttemptedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(AlertNotifications::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS alerts_rule_subject")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS alerts_one_unresolved")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS alerts_notify_due")
            .await?;
        db.execute_unprepared(
            "UPDATE alert_rules SET condition = 'SILENT' WHERE condition = 'GATEWAY_SILENT'",
        )
        .await?;
        for col in [
            Alerts::SubjectId,
            Alerts::OpenedReadingAt,
            Alerts::ClearedValue,
            Alerts::ClearedReadingAt,
            Alerts::AcknowledgeComment,
            Alerts::ResolveComment,
            Alerts::NotifyDueAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [AlertRules::Webhooks, AlertRules::CompletenessPct] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AlertRules::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

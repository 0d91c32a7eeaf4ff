//! `reports.notify_due_at`, a transactional outbox for scheduled reports: set in the
//! statement that marks a scheduled report DONE, cleared once its e-mails are queued, so
//! a worker that dies between the two leaves the report for the sweep to e-mail.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    NotifyDueAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column_if_not_exists(timestamp_with_time_zone_null(Reports::NotifyDueAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .drop_column(Reports::NotifyDueAt)
                    .to_owned(),
            )
            .await
    }
}

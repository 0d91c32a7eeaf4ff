//! Reports and report schedules.

use crate::common::{audited, cascade, enum_col};
use crate::m20261124_000001_create_tenancy::Accounts;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    AccountId,
    Kind,
    Period,
    RangeStart,
    RangeEnd,
    DeviceIds,
    Format,
    State,
    FilePath,
    FileSize,
    FileSha256,
    Error,
    ScheduleId,
    RequestedBy,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReportSchedules {
    Table,
    Id,
    AccountId,
    Name,
    Cron,
    Kind,
    Period,
    DeviceIds,
    Format,
    Recipients,
    Enabled,
    LastRunAt,
    NextRunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(ReportSchedules::Table)
                        .if_not_exists()
                        .col(pk_uuid(ReportSchedules::Id))
                        .col(uuid(ReportSchedules::AccountId))
                        .col(string_len(ReportSchedules::Name, 120))
                        .col(string_len(ReportSchedules::Cron, 120))
                        .col(enum_col(ReportSchedules::Kind))
                        .col(enum_col(ReportSchedules::Period))
                        .col(json_binary(ReportSchedules::DeviceIds))
                        .col(enum_col(ReportSchedules::Format))
                        .col(json_binary(ReportSchedules::Recipients))
                        .col(boolean(ReportSchedules::Enabled))
                        .col(timestamp_with_time_zone_null(ReportSchedules::LastRunAt))
                        .col(timestamp_with_time_zone_null(ReportSchedules::NextRunAt))
                        .foreign_key(&mut cascade(
                            ReportSchedules::Table,
                            ReportSchedules::AccountId,
                            Accounts::Table,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .if_not_exists()
                    .col(pk_uuid(Reports::Id))
                    .col(uuid(Reports::AccountId))
                    .col(enum_col(Reports::Kind))
                    .col(enum_col(Reports::Period))
                    .col(timestamp_with_time_zone(Reports::RangeStart))
                    .col(timestamp_with_time_zone(Reports::RangeEnd))
                    .col(json_binary(Reports::DeviceIds))
                    .col(enum_col(Reports::Format))
                    .col(enum_col(Reports::State))
                    .col(string_null(Reports::FilePath))
                    .col(big_integer_null(Reports::FileSize))
                    .col(string_len_null(Reports::FileSha256, 64))
                    .col(text_null(Reports::Error))
                    .col(uuid_null(Reports::ScheduleId))
                    .col(uuid_null(Reports::RequestedBy))
                    .col(timestamp_with_time_zone_null(Reports::CompletedAt))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .foreign_key(&mut cascade(
                        Reports::Table,
                        Reports::AccountId,
                        Accounts::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_account_created")
                    .table(Reports::Table)
                    .col(Reports::AccountId)
                    .col(Reports::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["reports", "report_schedules"] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

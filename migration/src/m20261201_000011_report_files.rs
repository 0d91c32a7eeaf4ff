//! What reports need beyond migration 6 (issue 11):
//!
//! - `stored_files`: generated files (reports, certificate bundles) in the database, so
//!   every api replica serves what any worker or replica wrote; each expires.
//! - Reports: progress while RUNNING, the stored file and its page / row counts, the
//!   selection by gateway, the language it was written in, and when it expires.
//! - Accounts: how long their reports are kept.
//! - Report schedules: the selection by gateway, and the outcome of the last run (a
//!   failing schedule shows why).
//!
//! Columns are added one per statement (SQLite alters one column at a time); those that
//! cannot be null get a default, as SQLite requires.

use crate::common::cascade;
use crate::m20261124_000001_create_tenancy::Accounts;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StoredFiles {
    Table,
    Id,
    AccountId,
    Purpose,
    FileName,
    ContentType,
    Size,
    Sha256,
    Content,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Progress,
    FileId,
    Pages,
    Rows,
    GatewayId,
    Locale,
    ExpiresAt,
    StartedAt,
}

#[derive(DeriveIden)]
enum ReportSchedules {
    Table,
    GatewayId,
    LastReportId,
    LastError,
}

/// `accounts.report_retention_days` (the accounts' iden enum belongs to migration 1).
fn retention_days() -> Alias {
    Alias::new("report_retention_days")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoredFiles::Table)
                    .if_not_exists()
                    .col(pk_uuid(StoredFiles::Id))
                    .col(uuid(StoredFiles::AccountId))
                    .col(string_len(StoredFiles::Purpose, 32))
                    .col(string_len(StoredFiles::FileName, 255))
                    .col(string_len(StoredFiles::ContentType, 128))
                    .col(big_integer(StoredFiles::Size))
                    .col(string_len(StoredFiles::Sha256, 64))
                    .col(blob(StoredFiles::Content))
                    .col(timestamp_with_time_zone(StoredFiles::CreatedAt))
                    .col(timestamp_with_time_zone(StoredFiles::ExpiresAt))
                    .foreign_key(&mut cascade(
                        StoredFiles::Table,
                        StoredFiles::AccountId,
                        Accounts::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stored_files_expiry")
                    .table(StoredFiles::Table)
                    .col(StoredFiles::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        for col in [
            integer(Reports::Progress).default(0).to_owned(),
            uuid_null(Reports::FileId),
            integer_null(Reports::Pages),
            big_integer_null(Reports::Rows),
            uuid_null(Reports::GatewayId),
            string_len(Reports::Locale, 16).default("pt-BR").to_owned(),
            timestamp_with_time_zone_null(Reports::ExpiresAt),
            timestamp_with_time_zone_null(Reports::StartedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Reports::Table)
                        .add_column_if_not_exists(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [
            uuid_null(ReportSchedules::GatewayId),
            uuid_null(ReportSchedules::LastReportId),
            text_null(ReportSchedules::LastError),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReportSchedules::Table)
                        .add_column_if_not_exists(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column_if_not_exists(integer(retention_days()).default(90).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(retention_days())
                    .to_owned(),
            )
            .await?;
        for col in [
            ReportSchedules::GatewayId,
            ReportSchedules::LastReportId,
            ReportSchedules::LastError,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ReportSchedules::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for col in [
            Reports::Progress,
            Reports::FileId,
            Reports::Pages,
            Reports::Rows,
            Reports::GatewayId,
            Reports::Locale,
            Reports::ExpiresAt,
            Reports::StartedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Reports::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(
                Table::drop()
                    .table(StoredFiles::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}

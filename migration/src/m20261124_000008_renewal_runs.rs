//! What the over-the-air renewal (ADR-004) needs beyond the renewal log of migration 4:
//! the nightly runs (one per night, so a second run of the same night does nothing),
//! every step of every renewal, each gateway's renewal mode, and at most one renewal in
//! flight per gateway (a partial unique index, on PostgreSQL and SQLite alike), the
//! certificate PEM (public) so a successor can be sent again unchanged, and when a
//! renewal's retained update was cleared.

use crate::common::enum_col;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RenewalRuns {
    Table,
    Id,
    Night,
    StartedAt,
    Scheduled,
    Trigger,
}

#[derive(DeriveIden)]
enum CertificateRenewalSteps {
    Table,
    Id,
    RenewalId,
    AccountId,
    At,
    Step,
    Detail,
}

#[derive(DeriveIden)]
enum CertificateRenewals {
    Table,
    RunId,
    DeadlineAt,
    RequestedBy,
    RetainedClearedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Pem,
}

#[derive(DeriveIden)]
enum Gateways {
    Table,
    RenewalMode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RenewalRuns::Table)
                    .if_not_exists()
                    .col(pk_uuid(RenewalRuns::Id))
                    // The local date of the night; unique, so each night runs once.
                    .col(date(RenewalRuns::Night).unique_key())
                    .col(timestamp_with_time_zone(RenewalRuns::StartedAt))
                    .col(integer(RenewalRuns::Scheduled))
                    .col(enum_col(RenewalRuns::Trigger))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CertificateRenewalSteps::Table)
                    .if_not_exists()
                    .col(pk_uuid(CertificateRenewalSteps::Id))
                    .col(uuid(CertificateRenewalSteps::RenewalId))
                    .col(uuid(CertificateRenewalSteps::AccountId))
                    .col(timestamp_with_time_zone(CertificateRenewalSteps::At))
                    .col(enum_col(CertificateRenewalSteps::Step))
                    .col(text_null(CertificateRenewalSteps::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("certificate_renewal_steps_renewal")
                    .table(CertificateRenewalSteps::Table)
                    .col(CertificateRenewalSteps::RenewalId)
                    .col(CertificateRenewalSteps::At)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        for col in [
            uuid_null(CertificateRenewals::RunId),
            timestamp_with_time_zone_null(CertificateRenewals::DeadlineAt),
            uuid_null(CertificateRenewals::RequestedBy),
            timestamp_with_time_zone_null(CertificateRenewals::RetainedClearedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CertificateRenewals::Table)
                        .add_column_if_not_exists(col)
                        .to_owned(),
                )
                .await?;
        }
        // The certificate itself (public): a successor can be published again as it was.
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .add_column_if_not_exists(text_null(Certificates::Pem))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Gateways::Table)
                    .add_column_if_not_exists(
                        string_len(Gateways::RenewalMode, 24).default("SERVER_KEY"),
                    )
                    .to_owned(),
            )
            .await?;
        // One renewal in flight per gateway (its retained topic holds one update), whoever
        // starts it (the night, an operator, a second worker replica).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS certificate_renewals_one_in_flight \
                 ON certificate_renewals (gateway_id) \
                 WHERE state IN ('SCHEDULED', 'PUBLISHED')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS certificate_renewals_one_in_flight")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Gateways::Table)
                    .drop_column(Gateways::RenewalMode)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Certificates::Table)
                    .drop_column(Certificates::Pem)
                    .to_owned(),
            )
            .await?;
        for col in [
            CertificateRenewals::RunId,
            CertificateRenewals::DeadlineAt,
            CertificateRenewals::RequestedBy,
            CertificateRenewals::RetainedClearedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CertificateRenewals::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for table in ["certificate_renewal_steps", "renewal_runs"] {
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

//! Certificates the platform issued and the log of their over-the-air renewals.

use crate::common::{audited, enum_col};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    AccountId,
    GatewayId,
    Purpose,
    Serial,
    CommonName,
    FingerprintSha256,
    NotBefore,
    NotAfter,
    KeyAlgorithm,
    Status,
    RevokedAt,
    RevocationReason,
    SuccessorId,
}

#[derive(DeriveIden)]
enum CertificateRenewals {
    Table,
    Id,
    AccountId,
    GatewayId,
    OldCertificateId,
    NewCertificateId,
    Mode,
    State,
    Attempts,
    ScheduledAt,
    PublishedAt,
    AcknowledgedAt,
    CompletedAt,
    Error,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Certificates::Table)
                        .if_not_exists()
                        .col(pk_uuid(Certificates::Id))
                        .col(uuid_null(Certificates::AccountId))
                        .col(uuid_null(Certificates::GatewayId))
                        .col(enum_col(Certificates::Purpose))
                        .col(string_len_uniq(Certificates::Serial, 64))
                        .col(string_len(Certificates::CommonName, 128))
                        .col(string_len(Certificates::FingerprintSha256, 64))
                        .col(timestamp_with_time_zone(Certificates::NotBefore))
                        .col(timestamp_with_time_zone(Certificates::NotAfter))
                        .col(enum_col(Certificates::KeyAlgorithm))
                        .col(enum_col(Certificates::Status))
                        .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                        .col(string_null(Certificates::RevocationReason))
                        .col(uuid_null(Certificates::SuccessorId)),
                )
                .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("certificates_gateway", vec![Certificates::GatewayId]),
            (
                "certificates_status_expiry",
                vec![Certificates::Status, Certificates::NotAfter],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(Certificates::Table).if_not_exists();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CertificateRenewals::Table)
                    .if_not_exists()
                    .col(pk_uuid(CertificateRenewals::Id))
                    .col(uuid(CertificateRenewals::AccountId))
                    .col(uuid(CertificateRenewals::GatewayId))
                    .col(uuid(CertificateRenewals::OldCertificateId))
                    .col(uuid_null(CertificateRenewals::NewCertificateId))
                    .col(enum_col(CertificateRenewals::Mode))
                    .col(enum_col(CertificateRenewals::State))
                    .col(integer(CertificateRenewals::Attempts))
                    .col(timestamp_with_time_zone(CertificateRenewals::ScheduledAt))
                    .col(timestamp_with_time_zone_null(
                        CertificateRenewals::PublishedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        CertificateRenewals::AcknowledgedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        CertificateRenewals::CompletedAt,
                    ))
                    .col(text_null(CertificateRenewals::Error))
                    .col(timestamp_with_time_zone(CertificateRenewals::CreatedAt))
                    .col(timestamp_with_time_zone(CertificateRenewals::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            (
                "certificate_renewals_gateway",
                CertificateRenewals::GatewayId,
            ),
            ("certificate_renewals_state", CertificateRenewals::State),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(CertificateRenewals::Table)
                        .col(col)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["certificate_renewals", "certificates"] {
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

//! Gateways and the devices behind them.

use crate::common::{audited, cascade, enum_col};
use crate::m20261124_000001_create_tenancy::Accounts;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Gateways {
    Table,
    Id,
    AccountId,
    Code,
    Mac,
    Name,
    Latitude,
    Longitude,
    Capacity,
    ReportingIntervalS,
    Status,
    IsOnline,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    AccountId,
    GatewayId,
    Code,
    Name,
    Kind,
    Unit,
    Measurement,
    SlaveId,
    Register,
    ConversionFactor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Gateways::Table)
                        .if_not_exists()
                        .col(pk_uuid(Gateways::Id))
                        .col(uuid(Gateways::AccountId))
                        .col(string_len(Gateways::Code, 30))
                        .col(string_len_uniq(Gateways::Mac, 17))
                        .col(string_len(Gateways::Name, 120))
                        .col(double_null(Gateways::Latitude))
                        .col(double_null(Gateways::Longitude))
                        .col(integer(Gateways::Capacity))
                        .col(integer(Gateways::ReportingIntervalS))
                        .col(enum_col(Gateways::Status))
                        .col(boolean(Gateways::IsOnline))
                        .col(timestamp_with_time_zone_null(Gateways::LastSeenAt))
                        .foreign_key(&mut cascade(
                            Gateways::Table,
                            Gateways::AccountId,
                            Accounts::Table,
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("gateways_account_code")
                    .table(Gateways::Table)
                    .col(Gateways::AccountId)
                    .col(Gateways::Code)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audited(
                    Table::create()
                        .table(Devices::Table)
                        .if_not_exists()
                        .col(pk_uuid(Devices::Id))
                        .col(uuid(Devices::AccountId))
                        .col(uuid(Devices::GatewayId))
                        .col(string_len(Devices::Code, 20))
                        .col(string_len(Devices::Name, 120))
                        .col(enum_col(Devices::Kind))
                        .col(string_len(Devices::Unit, 16))
                        .col(enum_col(Devices::Measurement))
                        .col(integer(Devices::SlaveId))
                        .col(integer(Devices::Register))
                        .col(double(Devices::ConversionFactor))
                        .foreign_key(&mut cascade(
                            Devices::Table,
                            Devices::AccountId,
                            Accounts::Table,
                        ))
                        .foreign_key(&mut cascade(
                            Devices::Table,
                            Devices::GatewayId,
                            Gateways::Table,
                        )),
                )
                .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("devices_gateway_code", Devices::Code),
            ("devices_gateway_slave", Devices::SlaveId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Devices::Table)
                        .col(Devices::GatewayId)
                        .col(col)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("devices_account")
                    .table(Devices::Table)
                    .col(Devices::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["devices", "gateways"] {
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

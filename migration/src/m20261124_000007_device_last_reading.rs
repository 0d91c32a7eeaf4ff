//! The latest reading of each device, kept on the device row: the telemetry writer
//! needs it for every consumption step (and locks the row while it does), and
//! `latestReadings` reads it without touching the time series.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Devices {
    Table,
    LastReadingAt,
    LastValue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column_if_not_exists(timestamp_with_time_zone_null(Devices::LastReadingAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column_if_not_exists(double_null(Devices::LastValue))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Devices::LastReadingAt, Devices::LastValue] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

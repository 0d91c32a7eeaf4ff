//! Readings (time-partitioned on PostgreSQL), their rollups, and dead letters.

use crate::common::enum_col;
use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Readings {
    Table,
    DeviceId,
    Time,
    AccountId,
    GatewayId,
    Value,
    Unit,
    Raw,
}

#[derive(DeriveIden)]
enum Rollups {
    Table,
    DeviceId,
    Period,
    BucketStart,
    AccountId,
    Count,
    Sum,
    Min,
    Max,
    FirstValue,
    FirstTime,
    LastValue,
    LastTime,
    Consumption,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeadLetters {
    Table,
    Id,
    AccountId,
    GatewayMac,
    Topic,
    Payload,
    Reason,
    Detail,
    ReceivedAt,
    CreatedAt,
}

/// Columns of `readings` on PostgreSQL; the primary key includes the partition key.
const PG_READINGS_COLUMNS: &str = "
    device_id uuid NOT NULL,
    time timestamptz NOT NULL,
    account_id uuid NOT NULL,
    gateway_id uuid NOT NULL,
    value double precision NOT NULL,
    unit varchar(16) NOT NULL,
    raw jsonb NOT NULL,
    PRIMARY KEY (device_id, time)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            if crate::timescale_available(conn).await? {
                conn.execute_unprepared("CREATE EXTENSION IF NOT EXISTS timescaledb")
                    .await?;
                conn.execute_unprepared(&format!(
                    "CREATE TABLE IF NOT EXISTS readings ({PG_READINGS_COLUMNS})"
                ))
                .await?;
                conn.execute_unprepared(
                    "SELECT create_hypertable('readings', 'time', \
                     chunk_time_interval => INTERVAL '7 days', if_not_exists => TRUE)",
                )
                .await?;
                conn.execute_unprepared(
                    "ALTER TABLE readings SET (timescaledb.compress, \
                     timescaledb.compress_segmentby = 'device_id', \
                     timescaledb.compress_orderby = 'time DESC')",
                )
                .await?;
                conn.execute_unprepared(
                    "SELECT add_compression_policy('readings', INTERVAL '30 days', if_not_exists => TRUE)",
                )
                .await?;
            } else {
                // Native range partitioning by month; the DEFAULT partition catches
                // anything outside the partitions created ahead, so no reading is refused.
                conn.execute_unprepared(&format!(
                    "CREATE TABLE IF NOT EXISTS readings ({PG_READINGS_COLUMNS}) PARTITION BY RANGE (time)"
                ))
                .await?;
                conn.execute_unprepared(
                    "CREATE TABLE IF NOT EXISTS readings_default PARTITION OF readings DEFAULT",
                )
                .await?;
            }
        } else {
            manager
                .create_table(
                    Table::create()
                        .table(Readings::Table)
                        .if_not_exists()
                        .col(uuid(Readings::DeviceId))
                        .col(timestamp_with_time_zone(Readings::Time))
                        .col(uuid(Readings::AccountId))
                        .col(uuid(Readings::GatewayId))
                        .col(double(Readings::Value))
                        .col(string_len(Readings::Unit, 16))
                        .col(json_binary(Readings::Raw))
                        .primary_key(Index::create().col(Readings::DeviceId).col(Readings::Time))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("readings_account_time")
                    .table(Readings::Table)
                    .col(Readings::AccountId)
                    .col(Readings::Time)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rollups::Table)
                    .if_not_exists()
                    .col(uuid(Rollups::DeviceId))
                    .col(enum_col(Rollups::Period))
                    .col(timestamp_with_time_zone(Rollups::BucketStart))
                    .col(uuid(Rollups::AccountId))
                    .col(big_integer(Rollups::Count))
                    .col(double(Rollups::Sum))
                    .col(double(Rollups::Min))
                    .col(double(Rollups::Max))
                    .col(double(Rollups::FirstValue))
                    .col(timestamp_with_time_zone(Rollups::FirstTime))
                    .col(double(Rollups::LastValue))
                    .col(timestamp_with_time_zone(Rollups::LastTime))
                    .col(double_null(Rollups::Consumption))
                    .col(timestamp_with_time_zone(Rollups::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Rollups::DeviceId)
                            .col(Rollups::Period)
                            .col(Rollups::BucketStart),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("rollups_account_period_bucket")
                    .table(Rollups::Table)
                    .col(Rollups::AccountId)
                    .col(Rollups::Period)
                    .col(Rollups::BucketStart)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeadLetters::Table)
                    .if_not_exists()
                    .col(pk_uuid(DeadLetters::Id))
                    .col(uuid_null(DeadLetters::AccountId))
                    .col(string_len_null(DeadLetters::GatewayMac, 17))
                    .col(string(DeadLetters::Topic))
                    .col(blob(DeadLetters::Payload))
                    .col(string_len(DeadLetters::Reason, 40))
                    .col(text(DeadLetters::Detail))
                    .col(timestamp_with_time_zone(DeadLetters::ReceivedAt))
                    .col(timestamp_with_time_zone(DeadLetters::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dead_letters_account_received")
                    .table(DeadLetters::Table)
                    .col(DeadLetters::AccountId)
                    .col(DeadLetters::ReceivedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["dead_letters", "rollups", "readings"] {
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

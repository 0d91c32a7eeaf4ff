//! Database migrations for PostgreSQL and SQLite, plus the PostgreSQL-only
//! upkeep of the readings time series (partitions ahead, or a TimescaleDB hypertable).
//!
//! Migrations are written out by hand rather than derived from the entities, so an
//! old migration never changes meaning when an entity grows.

use chrono::{DateTime, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DatabaseBackend, DatabaseConnection, Statement};

mod common;
mod m20261124_000001_create_tenancy;
mod m20261124_000002_create_fleet;
mod m20261124_000003_create_telemetry;
mod m20261124_000004_create_pki;
mod m20261124_000005_create_alerts;
mod m20261124_000006_create_reports;
mod m20261124_000007_device_last_reading;
mod m20261124_000008_renewal_runs;
mod m20261124_000009_certificates_follow_gateways;
mod m20261201_000010_alert_delivery;
mod m20261201_000011_report_files;
mod m20261201_000012_report_notices;
pub mod partitions;

pub use partitions::{
    ReadingsLayout, ensure_month_partitions, ensure_reading_partitions, readings_layout,
};

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_tenancy::Migration),
            Box::new(m20261124_000002_create_fleet::Migration),
            Box::new(m20261124_000003_create_telemetry::Migration),
            Box::new(m20261124_000004_create_pki::Migration),
            Box::new(m20261124_000005_create_alerts::Migration),
            Box::new(m20261124_000006_create_reports::Migration),
            Box::new(m20261124_000007_device_last_reading::Migration),
            Box::new(m20261124_000008_renewal_runs::Migration),
            Box::new(m20261124_000009_certificates_follow_gateways::Migration),
            Box::new(m20261201_000010_alert_delivery::Migration),
            Box::new(m20261201_000011_report_files::Migration),
            Box::new(m20261201_000012_report_notices::Migration),
        ]
    }
}

/// Names of the migrations of this build that the database has not applied. Only reads:
/// a database that was never migrated gets no migration table from this.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// How many migrations this build has.
pub fn migration_count() -> usize {
    Migrator::migrations().len()
}

/// Names of this build's migrations, in the order they apply (as `seaql_migrations` lists them).
pub fn migration_names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// How many months of reading partitions `migrate` keeps created ahead of today.
pub const PARTITION_MONTHS_AHEAD: u32 = 3;

/// Applies pending migrations, then makes sure reading partitions exist ahead of `now`.
/// Safe to run any number of times.
pub async fn migrate(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    ensure_reading_partitions(db, now, PARTITION_MONTHS_AHEAD).await?;
    Ok(())
}

/// Whether the connected PostgreSQL server can load TimescaleDB.
pub(crate) async fn timescale_available(conn: &impl ConnectionTrait) -> Result<bool, DbErr> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let row = conn
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 AS present FROM pg_available_extensions WHERE name = 'timescaledb'",
        ))
        .await?;
    Ok(row.is_some())
}

//! Monthly partitions of `readings` on PostgreSQL without TimescaleDB.
//!
//! Partitions are created ahead of time so inserts never land in the DEFAULT
//! partition in normal operation. If some did (a backfill, a clock far off), creating
//! that month's partition moves them out of DEFAULT in the same transaction, because
//! PostgreSQL refuses to attach a range the DEFAULT partition already holds rows for.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, TransactionTrait,
};

/// How `readings` is laid out on the connected database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingsLayout {
    /// A plain table (SQLite).
    Plain,
    /// Native range partitioning by month (PostgreSQL).
    Partitioned,
    /// A TimescaleDB hypertable.
    Hypertable,
}

/// Tells how `readings` is stored on this database.
pub async fn readings_layout(db: &DatabaseConnection) -> Result<ReadingsLayout, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(ReadingsLayout::Plain);
    }
    let partitioned = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 AS p FROM pg_class WHERE relname = 'readings' AND relkind = 'p'",
        ))
        .await?
        .is_some();
    if partitioned {
        return Ok(ReadingsLayout::Partitioned);
    }
    let hypertable = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 AS h FROM pg_extension WHERE extname = 'timescaledb'",
        ))
        .await?
        .is_some();
    Ok(if hypertable {
        ReadingsLayout::Hypertable
    } else {
        ReadingsLayout::Plain
    })
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// Makes sure monthly partitions exist from the month before `now` to `months_ahead`
/// months after it. Returns the names of the partitions it created. A no-op on SQLite
/// and on TimescaleDB, which manages its own chunks.
pub async fn ensure_reading_partitions(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    months_ahead: u32,
) -> Result<Vec<String>, DbErr> {
    if readings_layout(db).await? != ReadingsLayout::Partitioned {
        return Ok(Vec::new());
    }
    let (mut year, mut month) = if now.month() == 1 {
        (now.year() - 1, 12)
    } else {
        (now.year(), now.month() - 1)
    };
    let mut created = Vec::new();
    for _ in 0..=months_ahead + 1 {
        created.extend(month_partition(db, year, month).await?);
        (year, month) = next_month(year, month);
    }
    Ok(created)
}

/// Makes sure the monthly partition of each of `months` (any instant of the month, UTC)
/// exists: a restore creates those of the readings it brings back, so past months do not
/// all land in the DEFAULT partition. Returns the partitions created; a no-op where
/// [`ensure_reading_partitions`] is one.
pub async fn ensure_month_partitions(
    db: &DatabaseConnection,
    months: &[DateTime<Utc>],
) -> Result<Vec<String>, DbErr> {
    if readings_layout(db).await? != ReadingsLayout::Partitioned {
        return Ok(Vec::new());
    }
    let mut created = Vec::new();
    for month in months {
        created.extend(month_partition(db, month.year(), month.month()).await?);
    }
    Ok(created)
}

/// Creates the partition of one month unless it exists; its name when created.
async fn month_partition(
    db: &DatabaseConnection,
    year: i32,
    month: u32,
) -> Result<Option<String>, DbErr> {
    let name = format!("readings_p{year:04}{month:02}");
    let (ny, nm) = next_month(year, month);
    let created =
        create_partition(db, &name, month_start(year, month), month_start(ny, nm)).await?;
    Ok(created.then_some(name))
}

async fn create_partition(
    db: &DatabaseConnection,
    name: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let exists = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT 1 AS e FROM pg_class WHERE relname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let (from, to) = (from.to_rfc3339(), to.to_rfc3339());
    let txn = db.begin().await?;
    // Serialises concurrent maintenance runs (two workers starting at once).
    txn.execute_unprepared("LOCK TABLE readings_default IN ACCESS EXCLUSIVE MODE")
        .await?;
    let exists = txn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT 1 AS e FROM pg_class WHERE relname = $1",
            [name.into()],
        ))
        .await?
        .is_some();
    if exists {
        txn.rollback().await?;
        return Ok(false);
    }
    txn.execute_unprepared(&format!(
        "CREATE TABLE {name} (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
         INSERT INTO {name} SELECT * FROM readings_default WHERE time >= '{from}' AND time < '{to}';
         DELETE FROM readings_default WHERE time >= '{from}' AND time < '{to}';
         ALTER TABLE readings ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}');"
    ))
    .await?;
    txn.commit().await?;
    Ok(true)
}

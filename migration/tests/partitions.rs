//! Reading partitions on PostgreSQL: created ahead, and rows that fell into DEFAULT
//! moved into their month when it gets a partition.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{TimeZone, Utc};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tds_testkit::{Backend, TestDb};

async fn count(db: &TestDb, sql: &str) -> i64 {
    let row = db
        .db
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn partitions_are_created_ahead_and_default_rows_move_in() {
    let db = TestDb::empty(Backend::Postgres).await;
    let november = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    tds_migration::migrate(&db.db, november).await.unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind = 'r' AND c.relname LIKE 'readings_p%'").await,
        5,
        "October (last month) to February (three ahead)"
    );

    // A reading beyond the partitions lands in DEFAULT: stored, not refused.
    db.db
        .execute_unprepared(
            "INSERT INTO readings (device_id, time, account_id, gateway_id, value, unit, raw) VALUES \
             (gen_random_uuid(), '2027-06-10T00:00:00Z', gen_random_uuid(), gen_random_uuid(), 1.5, 'kWh', '{}')",
        )
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM readings_default").await,
        1
    );

    // Months later maintenance creates June's partition and the row moves into it.
    let may = Utc.with_ymd_and_hms(2027, 5, 2, 0, 0, 0).unwrap();
    let created = tds_migration::ensure_reading_partitions(&db.db, may, 3)
        .await
        .unwrap();
    assert!(
        created.contains(&"readings_p202706".to_owned()),
        "{created:?}"
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM readings_default").await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM readings_p202706").await,
        1
    );
    assert_eq!(count(&db, "SELECT count(*) AS n FROM readings").await, 1);
    // Idempotent.
    assert!(
        tds_migration::ensure_reading_partitions(&db.db, may, 3)
            .await
            .unwrap()
            .is_empty()
    );
    // Still unique per (device, time) across the parent.
    let dup = db
        .db
        .execute_unprepared("INSERT INTO readings SELECT * FROM readings_p202706")
        .await;
    assert!(dup.is_err(), "a repeated (device, time) is refused");
}

//! CPU time spent by this process and by the PostgreSQL backends serving one database,
//! read from `/proc`: on a shared, noisy box CPU per unit of work is steadier than
//! wall-clock rates.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// Linux reports `/proc/<pid>/stat` times in USER_HZ, fixed at 100 on every architecture
/// the kernel exposes to user space.
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU of one process, or `None` when it is gone or `/proc` is absent.
pub fn of_process(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (utime + stime) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU of this process.
pub fn own() -> Option<Duration> {
    of_process(std::process::id())
}

/// CPU of each PostgreSQL backend now connected to the database `db` uses (empty on
/// SQLite or when PostgreSQL runs where `/proc` cannot see it).
pub async fn postgres_backends(db: &DatabaseConnection) -> HashMap<u32, Duration> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return HashMap::new();
    }
    let sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database()";
    let Ok(rows) = db
        .query_all_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
        .await
    else {
        return HashMap::new();
    };
    rows.iter()
        .filter_map(|row| row.try_get::<i32>("", "pid").ok())
        .filter_map(|pid| {
            let pid = u32::try_from(pid).ok()?;
            Some((pid, of_process(pid)?))
        })
        .collect()
}

/// CPU the backends spent between two readings; a backend that appeared in between
/// counts from zero (one that left is lost, which a pooled connection does not do).
pub fn backends_delta(before: &HashMap<u32, Duration>, after: &HashMap<u32, Duration>) -> Duration {
    after
        .iter()
        .map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or_default()))
        .sum()
}

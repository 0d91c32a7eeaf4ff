//! SQLite: the backup is a `VACUUM INTO` copy of the database file (a consistent snapshot
//! made by SQLite itself; JSON would need every UUID, stored as a blob, spelled out), and
//! a restore attaches that copy and inserts its tables in one transaction.

use std::path::Path;

use anyhow::{Context, bail};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
};
use sea_orm::sqlx::{self, AssertSqlSafe};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, SqlxSqliteConnector, Statement,
};

use super::manifest::{FileEntry, Manifest, PrivateFile, TableEntry, hash_file};
use super::schema::{self, quoted};
use super::{Snapshot, rows_refusal};

/// The copy of the database inside the backup.
const DATABASE_FILE: &str = "database.sqlite";

/// Writes a snapshot of the database to `dir/database.sqlite` and counts its rows.
pub async fn dump(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<Snapshot> {
    // Created empty and private first: VACUUM INTO fills an empty file and keeps its mode.
    PrivateFile::create(dir, DATABASE_FILE)?.finish()?;
    let path = dir.join(DATABASE_FILE);
    let target = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .context("cannot copy the database (VACUUM INTO)")?;
    // Rollback-journal mode: reading the copy later (a restore attaches it) leaves no
    // -wal or -shm file beside it.
    let copy = open(&path, SqliteJournalMode::Delete).await?;
    let migrations = schema::applied_migrations(&copy).await?;
    let names = schema::tables_in_order(&copy).await?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let row = copy
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Sqlite,
                format!("SELECT count(*) AS n FROM {}", quoted(&name)),
            ))
            .await?
            .context("count(*) returned no row")?;
        let rows = row.try_get::<i64>("", "n")? as u64;
        tables.push(TableEntry { name, rows });
    }
    copy.close().await?;
    let (bytes, sha256) = hash_file(&path)?;
    Ok(Snapshot {
        migrations,
        tables,
        reading_months: Vec::new(),
        files: vec![FileEntry {
            path: DATABASE_FILE.into(),
            bytes,
            sha256,
        }],
    })
}

/// One connection to a database file.
async fn open(path: &Path, journal: SqliteJournalMode) -> anyhow::Result<DatabaseConnection> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(journal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Copies `tables` (parents first) from the backup's database file into `db` in one
/// transaction; with `force`, the tables are emptied first in the same transaction.
pub async fn load(
    db: &DatabaseConnection,
    dir: &Path,
    manifest: &Manifest,
    tables: &[String],
    force: bool,
) -> anyhow::Result<u64> {
    if manifest.file(DATABASE_FILE).is_none() {
        bail!("the backup has no {DATABASE_FILE}");
    }
    let path = dir.join(DATABASE_FILE);
    let source = path
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", path.display()))?;
    // ATTACH belongs to one connection and cannot happen inside a transaction: one
    // connection of the pool does all of it.
    let mut conn = db.get_sqlite_connection_pool().acquire().await?;
    sqlx::query("ATTACH DATABASE ? AS backup")
        .bind(source)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let copied = copy_tables(&mut conn, manifest, tables, force).await;
    if copied.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    let _ = sqlx::query("DETACH DATABASE backup")
        .execute(&mut *conn)
        .await;
    copied
}

async fn copy_tables(
    conn: &mut SqliteConnection,
    manifest: &Manifest,
    tables: &[String],
    force: bool,
) -> anyhow::Result<u64> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    if force {
        for table in tables.iter().rev() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM main.{}", quoted(table))))
                .execute(&mut *conn)
                .await?;
        }
    } else {
        let mut found = Vec::new();
        for table in tables {
            let sql = format!("SELECT 1 FROM main.{} LIMIT 1", quoted(table));
            if sqlx::query(AssertSqlSafe(sql))
                .fetch_optional(&mut *conn)
                .await?
                .is_some()
            {
                found.push(table.clone());
            }
        }
        if !found.is_empty() {
            return Err(rows_refusal(&found));
        }
    }
    let mut total = 0u64;
    for table in tables {
        let Some(entry) = manifest.tables.iter().find(|t| &t.name == table) else {
            bail!("the backup has no table {table}");
        };
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?, 'main') ORDER BY cid")
                .bind(table.as_str())
                .fetch_all(&mut *conn)
                .await?;
        let columns: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
        let columns = columns.join(", ");
        let name = quoted(table);
        let inserted = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO main.{name} ({columns}) SELECT {columns} FROM backup.{name}"
        )))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("restoring table {table}"))?
        .rows_affected();
        if inserted != entry.rows {
            bail!(
                "table {table}: {inserted} rows restored, the manifest says {}",
                entry.rows
            );
        }
        total += inserted;
    }
    sqlx::query("COMMIT")
        .execute(&mut *conn)
        .await
        .context("cannot commit the restore")?;
    Ok(total)
}

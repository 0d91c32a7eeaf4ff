//! PostgreSQL: every table as JSON lines (`tables/<name>.jsonl`, one `row_to_json` per
//! row), read in one REPEATABLE READ snapshot and streamed to disk, so a table of millions
//! of readings never sits in memory; restored in batches through `json_populate_recordset`
//! in one transaction.

use std::path::Path;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, IsolationLevel, Statement,
    StreamTrait, TransactionTrait,
};
use tokio::io::AsyncBufReadExt;

use super::manifest::{FileEntry, Manifest, PrivateFile, TableEntry, relative};
use super::schema::{self, quoted};
use super::{Snapshot, refuse_rows};

/// At most this many rows go in one INSERT …
const BATCH_ROWS: usize = 2_000;
/// … and at most about this much JSON (a row of a stored report file can be large).
const BATCH_BYTES: usize = 4 << 20;

/// The file of a table inside the backup.
fn table_file(table: &str) -> String {
    format!("tables/{table}.jsonl")
}

/// Writes every table into `dir/tables/` from one snapshot of the database.
pub async fn dump(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<Snapshot> {
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
        .context("cannot open a snapshot of the database")?;
    let migrations = schema::applied_migrations(&txn).await?;
    let names = schema::tables_in_order(&txn).await?;
    tds_certs::files::create_dir(&dir.join("tables"), 0o700)?;
    let mut tables = Vec::with_capacity(names.len());
    let mut files = Vec::with_capacity(names.len());
    for table in &names {
        let mut out = PrivateFile::create(dir, &table_file(table))?;
        let sql = format!(
            "SELECT row_to_json(t)::text AS row FROM {} AS t",
            quoted(table)
        );
        let mut rows = Box::pin(
            txn.stream_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
                .await?,
        );
        let mut count = 0u64;
        while let Some(row) = rows.try_next().await? {
            let json: String = row.try_get("", "row")?;
            out.write_all(json.as_bytes())?;
            out.write_all(b"\n")?;
            count += 1;
        }
        drop(rows);
        files.push(out.finish()?);
        tables.push(TableEntry {
            name: table.clone(),
            rows: count,
        });
    }
    let reading_months = if names.iter().any(|t| t == "readings") {
        reading_months(&txn).await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    Ok(Snapshot {
        migrations,
        tables,
        reading_months,
        files,
    })
}

/// The months (UTC) holding readings, as partitions are cut.
async fn reading_months(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<DateTime<Utc>>> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT DISTINCT date_trunc('month', time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month \
             FROM readings ORDER BY 1",
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<DateTime<Utc>>("", "month").map_err(Into::into))
        .collect()
}

/// Inserts the backup's rows into `tables` (parents first) in one transaction; with
/// `force`, the tables are emptied first in the same transaction. Returns the rows.
pub async fn load(
    db: &DatabaseConnection,
    dir: &Path,
    manifest: &Manifest,
    tables: &[String],
    force: bool,
) -> anyhow::Result<u64> {
    // Partitions first (each in its own short transaction): rows then go straight to
    // their month instead of the DEFAULT partition.
    tds_migration::ensure_month_partitions(db, &manifest.reading_months).await?;
    let txn = db.begin().await?;
    if force {
        let list: Vec<String> = tables.iter().map(|t| quoted(t)).collect();
        txn.execute_unprepared(&format!("TRUNCATE TABLE {}", list.join(", ")))
            .await?;
    } else {
        refuse_rows(&txn, tables).await?;
    }
    let mut total = 0u64;
    for table in tables {
        let Some(entry) = manifest.tables.iter().find(|t| &t.name == table) else {
            bail!("the backup has no table {table}");
        };
        let path = table_file(table);
        let Some(file) = manifest.file(&path) else {
            bail!("the backup lists table {table} but not its file {path}");
        };
        let inserted = load_table(&txn, dir, table, file)
            .await
            .with_context(|| format!("restoring table {table}"))?;
        if inserted != entry.rows {
            bail!(
                "table {table}: {inserted} rows restored, the manifest says {}",
                entry.rows
            );
        }
        total += inserted;
    }
    txn.commit().await.context("cannot commit the restore")?;
    // Fresh statistics, as a table that has lived would have them.
    db.execute_unprepared("ANALYZE").await?;
    Ok(total)
}

/// Streams one table's JSON lines into it, a batch per INSERT.
async fn load_table(
    conn: &impl ConnectionTrait,
    dir: &Path,
    table: &str,
    file: &FileEntry,
) -> anyhow::Result<u64> {
    let name = quoted(table);
    let sql =
        format!("INSERT INTO {name} SELECT * FROM json_populate_recordset(NULL::{name}, $1::json)");
    let reader = tokio::fs::File::open(dir.join(relative(&file.path)?)).await?;
    let mut lines = tokio::io::BufReader::with_capacity(1 << 16, reader).lines();
    let mut batch = String::with_capacity(BATCH_BYTES + (1 << 16));
    let mut in_batch = 0usize;
    let mut inserted = 0u64;
    loop {
        let line = lines.next_line().await?;
        if let Some(line) = &line {
            batch.push(if in_batch == 0 { '[' } else { ',' });
            batch.push_str(line);
            in_batch += 1;
        }
        let full = in_batch >= BATCH_ROWS || batch.len() >= BATCH_BYTES;
        if in_batch > 0 && (full || line.is_none()) {
            batch.push(']');
            let result = conn
                .execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    sql.as_str(),
                    [std::mem::take(&mut batch).into()],
                ))
                .await?;
            inserted += result.rows_affected();
            in_batch = 0;
        }
        if line.is_none() {
            return Ok(inserted);
        }
    }
}

//! `tds backup` and `tds restore`: the database and the CA, together and consistent.
//!
//! A backup directory holds the database (PostgreSQL: a JSON-lines file per table from
//! one snapshot; SQLite: a `VACUUM INTO` copy), the CA files, and `manifest.json` with the
//! migrations, row counts and a SHA-256 of every file. A restore checks all of that before
//! it writes anything, fills an empty database in one transaction, then puts the CA back
//! and rewrites the CRL from the restored certificates.

mod manifest;
mod pki;
mod postgres;
mod schema;
mod sqlite;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tds_domain::config::Settings;
use tds_domain::db::SchemaError;

use manifest::{Backend, FileEntry, Manifest, TableEntry};

/// What a backend's dump produced.
struct Snapshot {
    migrations: Vec<String>,
    tables: Vec<TableEntry>,
    reading_months: Vec<DateTime<Utc>>,
    files: Vec<FileEntry>,
}

/// The one line a backup or restore prints.
pub struct Summary {
    restored: bool,
    dir: PathBuf,
    tables: usize,
    rows: u64,
    bytes: u64,
    ca: bool,
    seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ca = if self.ca { " and the CA" } else { " (no CA)" };
        let (verb, preposition) = if self.restored {
            ("restored", "from")
        } else {
            ("backed up", "into")
        };
        write!(
            f,
            "{verb} {} tables ({} rows, {} bytes){ca} {preposition} {} in {:.2} s",
            self.tables,
            self.rows,
            self.bytes,
            self.dir.display(),
            self.seconds
        )
    }
}

/// Writes a backup of the database and the CA into `out`, a new or empty directory.
pub async fn backup(settings: &Settings, out: &Path) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let db = crate::cli::database(settings).await?;
    let created = prepare_directory(out)?;
    let written = write_backup(&db, settings, out).await;
    if written.is_err() {
        discard(out, created);
    }
    let manifest = written?;
    Ok(Summary {
        restored: false,
        dir: out.to_owned(),
        tables: manifest.tables.len(),
        rows: manifest.rows(),
        bytes: manifest.bytes(),
        ca: manifest.file("pki/ca.pem").is_some(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Creates `out` (0700) or accepts it empty; true when created here.
fn prepare_directory(out: &Path) -> anyhow::Result<bool> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out)
            .with_context(|| format!("cannot use {} as a backup directory", out.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty: a backup goes into a new or empty directory",
                out.display()
            );
        }
        return Ok(false);
    }
    tds_certs::files::create_dir(out, 0o700)?;
    Ok(true)
}

/// Removes a failed backup's files, so no half backup is mistaken for one.
fn discard(out: &Path, created: bool) {
    if created {
        let _ = std::fs::remove_dir_all(out);
    } else if let Ok(entries) = std::fs::read_dir(out) {
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

async fn write_backup(
    db: &DatabaseConnection,
    settings: &Settings,
    out: &Path,
) -> anyhow::Result<Manifest> {
    let created_at = Utc::now();
    let (backend, snapshot) = match db.get_database_backend() {
        DatabaseBackend::Postgres => (Backend::Postgres, postgres::dump(db, out).await?),
        DatabaseBackend::Sqlite => (Backend::Sqlite, sqlite::dump(db, out).await?),
        other => bail!("backups support PostgreSQL and SQLite, not {other:?}"),
    };
    let mut files = snapshot.files;
    files.extend(pki::save(&settings.platform.data_dir, out)?);
    let manifest = Manifest {
        format: manifest::FORMAT,
        created_at,
        tds_version: env!("CARGO_PKG_VERSION").into(),
        backend,
        migrations: snapshot.migrations,
        tables: snapshot.tables,
        reading_months: snapshot.reading_months,
        files,
    };
    manifest.write(out)?;
    // The files are synced; their names are durable once the directories are.
    for dir in [out.join("tables"), out.join("pki"), out.to_owned()] {
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
    }
    Ok(manifest)
}

/// Restores the backup in `from` into the configured database (which must hold no rows
/// unless `force`) and `TDS_DATA_DIR/pki`.
pub async fn restore(settings: &Settings, from: &Path, force: bool) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let manifest = Manifest::read_verified(from)?;
    check_backup_migrations(&manifest)?;
    let ca = pki::plan(from, &manifest, &settings.platform.data_dir, force)?;
    let db = crate::cli::connect(settings).await?;
    let backend = match db.get_database_backend() {
        DatabaseBackend::Postgres => Backend::Postgres,
        DatabaseBackend::Sqlite => Backend::Sqlite,
        other => bail!("backups support PostgreSQL and SQLite, not {other:?}"),
    };
    if backend != manifest.backend {
        bail!(
            "this backup is of a {} database and DATABASE_URL is {backend}: restore it into {}",
            manifest.backend,
            manifest.backend
        );
    }
    let tables = prepare_database(&db, &manifest).await?;
    if !force {
        refuse_rows(&db, &tables).await?;
    }
    let rows = match backend {
        Backend::Postgres => postgres::load(&db, from, &manifest, &tables, force).await?,
        Backend::Sqlite => sqlite::load(&db, from, &manifest, &tables, force).await?,
    };
    if ca == pki::CaRestore::Write {
        pki::write(from, &settings.platform.data_dir)?;
    }
    if ca != pki::CaRestore::Absent {
        let authority = tds_certs::load_ca(&settings.platform.data_dir)?;
        crate::certs_cmd::write_crls(&db, &authority, settings, None, Utc::now()).await?;
    }
    Ok(Summary {
        restored: true,
        dir: from.to_owned(),
        tables: tables.len(),
        rows,
        bytes: manifest.bytes(),
        ca: ca != pki::CaRestore::Absent,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses a backup whose schema is not this build's, saying which `tds` can restore it.
fn check_backup_migrations(manifest: &Manifest) -> anyhow::Result<()> {
    let build = tds_migration::migration_names();
    if manifest.migrations == build {
        return Ok(());
    }
    let version = &manifest.tds_version;
    let unknown: Vec<&str> = manifest
        .migrations
        .iter()
        .filter(|m| !build.contains(m))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        bail!(
            "the backup has migrations this build does not know ({}): restore it with tds {version}, which made it",
            unknown.join(", ")
        );
    }
    let missing: Vec<&str> = build
        .iter()
        .filter(|m| !manifest.migrations.contains(m))
        .map(String::as_str)
        .collect();
    bail!(
        "the backup predates {} migration(s) of this build ({}): restore it with tds {version}, which made it, then run `tds migrate` with this build and back up again",
        missing.len(),
        missing.join(", ")
    )
}

/// Brings the target to this build's schema (a database never migrated is migrated here)
/// and returns its tables in restore order, which must be the backup's tables.
async fn prepare_database(
    db: &DatabaseConnection,
    manifest: &Manifest,
) -> anyhow::Result<Vec<String>> {
    match tds_domain::db::check_migrated(db).await {
        Ok(()) => {}
        Err(SchemaError::NotMigrated) => tds_migration::migrate(db, Utc::now())
            .await
            .context("cannot migrate the database")?,
        Err(other) => return Err(other.into()),
    }
    let applied = schema::applied_migrations(db).await?;
    if applied != tds_migration::migration_names() {
        bail!(
            "the database has migrations this build does not know: it belongs to a newer tds; restore into a database migrated by this build"
        );
    }
    let tables = schema::tables_in_order(db).await?;
    let mut ours: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mut theirs: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    ours.sort_unstable();
    theirs.sort_unstable();
    if ours != theirs {
        bail!(
            "the backup's tables ({}) are not the database's ({})",
            theirs.join(", "),
            ours.join(", ")
        );
    }
    Ok(tables)
}

/// Fails when any of `tables` holds a row.
async fn refuse_rows(conn: &impl ConnectionTrait, tables: &[String]) -> anyhow::Result<()> {
    let found = schema::tables_with_rows(conn, tables).await?;
    if found.is_empty() {
        Ok(())
    } else {
        Err(rows_refusal(&found))
    }
}

/// The refusal to restore over data.
fn rows_refusal(found: &[String]) -> anyhow::Error {
    const SHOWN: usize = 4;
    let mut named = found
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if found.len() > SHOWN {
        named.push_str(&format!(" and {} more", found.len() - SHOWN));
    }
    anyhow::anyhow!(
        "the database is not empty (rows in {named}): restore into an empty database, or pass --force to replace its data"
    )
}

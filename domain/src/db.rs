//! Opening the database with settings that suit each backend.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
};

/// Connects to PostgreSQL or SQLite. SQLite gets WAL and a busy timeout, so the api and
/// workers of the demo mode can share one file; its parent directory is created.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or_default();
        if let Some(parent) = std::path::Path::new(file).parent()
            && !parent.as_os_str().is_empty()
            && file != ":memory:"
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite:") { 4 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        // WAL is a property of the file, so setting it once covers every pooled connection;
        // sqlx already gives each connection foreign keys and a 5 s busy timeout.
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    Ok(db)
}

/// The database is not at this build's schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// No migration was ever applied.
    #[error("database not migrated: run `tds migrate`")]
    NotMigrated,
    /// Some of this build's migrations are not applied yet.
    #[error("database not migrated: {} migration(s) pending ({}): run `tds migrate`", .0.len(), .0.join(", "))]
    Pending(Vec<String>),
    /// The check itself failed.
    #[error("cannot read the database's migrations: {0}")]
    Database(#[from] DbErr),
}

/// Refuses a database this build cannot work on: never migrated, or with migrations
/// pending. Every command but `tds migrate` checks this before its first query, so an
/// operator reads what to do instead of a missing table's SQL error.
pub async fn check_migrated(db: &DatabaseConnection) -> Result<(), SchemaError> {
    let pending = tds_migration::pending_migrations(db).await?;
    if pending.is_empty() {
        return Ok(());
    }
    let applied_any = pending.len() < tds_migration::migration_count();
    Err(if applied_any {
        SchemaError::Pending(pending)
    } else {
        SchemaError::NotMigrated
    })
}

/// Checks the database answers (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

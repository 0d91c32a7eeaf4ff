//! `manifest.json`: what a backup holds and the checksum of every file in it, so a restore
//! refuses a truncated or altered backup before it touches the database or the CA.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the backup layout; a restore refuses another.
pub const FORMAT: u32 = 1;
/// The manifest's name inside a backup directory.
pub const FILE_NAME: &str = "manifest.json";

/// The description of one backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version ([`FORMAT`]).
    pub format: u32,
    /// When the database snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The `tds` that wrote it.
    pub tds_version: String,
    /// Where the rows came from; a backup restores into the same kind of database.
    pub backend: Backend,
    /// The migrations the database had applied, in order.
    pub migrations: Vec<String>,
    /// Every table, with its rows at the snapshot.
    pub tables: Vec<TableEntry>,
    /// Months (UTC) holding readings: their partitions are created before a restore.
    #[serde(default)]
    pub reading_months: Vec<DateTime<Utc>>,
    /// Every file of the backup but the manifest.
    pub files: Vec<FileEntry>,
}

/// The database a backup was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// PostgreSQL: one JSON-lines file per table.
    Postgres,
    /// SQLite: a `VACUUM INTO` copy of the database file.
    Sqlite,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        })
    }
}

/// One table of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Table name.
    pub name: String,
    /// Rows it held.
    pub rows: u64,
}

/// One file of the backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the backup directory, `/`-separated.
    pub path: String,
    /// Size.
    pub bytes: u64,
    /// SHA-256 of the contents, hex.
    pub sha256: String,
}

impl Manifest {
    /// Total size of the files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Total rows of the tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// The entry of `path`, if the backup has that file.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Writes the manifest into `dir` (last, so a directory without one is no backup).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let mut out = PrivateFile::create(dir, FILE_NAME)?;
        out.write_all(&serde_json::to_vec_pretty(self)?)?;
        out.write_all(b"\n")?;
        out.finish()?;
        Ok(())
    }

    /// Reads the manifest of `dir` and checks every file it lists against its checksum.
    pub fn read_verified(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(FILE_NAME);
        let text = std::fs::read(&path).with_context(|| {
            format!(
                "{} is not a backup (cannot read {FILE_NAME})",
                dir.display()
            )
        })?;
        let manifest: Manifest = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a valid manifest", path.display()))?;
        if manifest.format != FORMAT {
            bail!(
                "backup format {} is not this build's ({FORMAT}): restore it with tds {}",
                manifest.format,
                manifest.tds_version
            );
        }
        for file in &manifest.files {
            let (bytes, sha256) = hash_file(&dir.join(relative(&file.path)?))
                .with_context(|| format!("backup file {} is missing or unreadable", file.path))?;
            if bytes != file.bytes || sha256 != file.sha256 {
                bail!(
                    "backup file {} does not match its checksum in {FILE_NAME} (altered or truncated): refusing to restore",
                    file.path
                );
            }
        }
        Ok(manifest)
    }
}

/// A manifest path as a relative path that stays inside the backup directory.
pub fn relative(path: &str) -> anyhow::Result<&Path> {
    let p = Path::new(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        bail!("{FILE_NAME} names a file outside the backup: {path}");
    }
    Ok(p)
}

/// Size and SHA-256 (hex) of a file, read in chunks.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// A new file of the backup, readable by its owner only from the moment it exists (it may
/// hold password hashes or the CA key), hashed as it is written.
pub struct PrivateFile {
    relative: String,
    out: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
}

impl PrivateFile {
    /// Creates `relative` (`/`-separated) under `dir`; refuses an existing file.
    pub fn create(dir: &Path, relative: &str) -> anyhow::Result<Self> {
        let path = dir.join(self::relative(relative)?);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            relative: relative.to_owned(),
            out: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Appends `data`.
    pub fn write_all(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.out
            .write_all(data)
            .with_context(|| format!("cannot write {}", self.relative))?;
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Flushes the file to disk and returns its manifest entry.
    pub fn finish(self) -> anyhow::Result<FileEntry> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all().map(|()| f))
            .with_context(|| format!("cannot write {}", self.relative))?;
        drop(file);
        Ok(FileEntry {
            path: self.relative,
            bytes: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_inside_the_backup() {
        assert!(relative("tables/readings.jsonl").is_ok());
        assert!(relative("pki/ca.key").is_ok());
        for bad in ["", "/etc/passwd", "../ca.key", "tables/../../x", "./x"] {
            assert!(relative(bad).is_err(), "{bad}");
        }
    }
}

//! Writing the PKI's files so that nobody ever sees a key readable by others or half a
//! file: every file is written to a temporary file in its own directory, created with
//! its final mode, and renamed into place (a broker reloading its CRL reads the old file
//! or the new one, never a mix). Directories holding keys are created 0700.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::PkiError;

/// Who may read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Its owner only (0600): private keys, bundles holding keys.
    Private,
    /// Anyone (0644): certificates, the CRL, the broker's configuration.
    Public,
}

impl Access {
    fn mode(self) -> u32 {
        match self {
            Access::Private => 0o600,
            Access::Public => 0o644,
        }
    }
}

/// What to do when the file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it, atomically.
    Replace,
    /// Refuse (the CA key is never overwritten).
    Refuse,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` with `mode` (an existing directory keeps its own). Missing parents get
/// the usual mode: they may be shared, like a temporary directory's.
pub fn create_dir(dir: &Path, mode: u32) -> Result<(), PkiError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    match std::fs::DirBuilder::new().mode(mode).create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other.map_err(io(dir)),
    }
}

/// Writes `contents` to `path` with `access`, through a temporary file renamed into place.
/// A missing directory is created 0700.
pub fn write(
    path: &Path,
    contents: &[u8],
    access: Access,
    existing: Existing,
) -> Result<(), PkiError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    create_dir(&dir, 0o700)?;
    let (temp, mut file) = temporary(&dir, path, access)?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io(&temp));
    drop(file);
    let placed = written.and_then(|()| match existing {
        Existing::Replace => std::fs::rename(&temp, path).map_err(io(path)),
        // A hard link fails when the name exists: no window in which a second writer wins.
        Existing::Refuse => std::fs::hard_link(&temp, path).map_err(io(path)),
    });
    if placed.is_err() || existing == Existing::Refuse {
        let _ = std::fs::remove_file(&temp);
    }
    placed?;
    // The rename is durable once the directory is.
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new file next to `path`, created with its final mode (never wider, not even briefly).
fn temporary(
    dir: &Path,
    path: &Path,
    access: Access,
) -> Result<(PathBuf, std::fs::File), PkiError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(access.mode())
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&temp)(e)),
        }
    }
}

/// A local user's ids, from `/etc/passwd`, or `uid[:gid]` given as numbers.
pub fn user_ids(user: &str) -> Result<(u32, u32), String> {
    if let Some((uid, gid)) = user.split_once(':') {
        return match (uid.parse(), gid.parse()) {
            (Ok(uid), Ok(gid)) => Ok((uid, gid)),
            _ => Err(format!("'{user}' is not uid:gid")),
        };
    }
    if let Ok(uid) = user.parse::<u32>() {
        return Ok((uid, uid));
    }
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&user))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .ok_or_else(|| format!("no user '{user}' on this machine"))
}

/// Gives `path` to the user `ids` (uid, gid).
pub fn give_to(path: &Path, (uid, gid): (u32, u32)) -> Result<(), PkiError> {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io(path))
}

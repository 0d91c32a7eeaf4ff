//! The CA (`TDS_DATA_DIR/pki`): copied into the backup beside the database, put back by a
//! restore. Every certificate row of the database was signed by this CA, so the two only
//! make sense together.

use std::path::Path;

use anyhow::{Context, bail};
use tds_certs::files::{self, Access, Existing};

use super::manifest::{FileEntry, Manifest, PrivateFile, relative};

/// The CA certificate inside the backup.
const CERT: &str = "pki/ca.pem";
/// The CA key inside the backup.
const KEY: &str = "pki/ca.key";
/// The CRL inside the backup (a restore writes a fresh one from the restored database).
const CRL: &str = "pki/crl.pem";

/// Copies the CA (and its CRL if any) of `data_dir` into `out/pki`; nothing when no CA
/// was ever created.
pub fn save(data_dir: &Path, out: &Path) -> anyhow::Result<Vec<FileEntry>> {
    let (cert, key) = tds_certs::ca_paths(data_dir);
    if !cert.exists() && !key.exists() {
        return Ok(Vec::new());
    }
    let crl = cert.with_file_name("crl.pem");
    files::create_dir(&out.join("pki"), 0o700)?;
    let mut saved = Vec::new();
    for (source, name) in [(cert, CERT), (key, KEY), (crl, CRL)] {
        if name == CRL && !source.exists() {
            continue;
        }
        let bytes =
            std::fs::read(&source).with_context(|| format!("cannot read {}", source.display()))?;
        let mut file = PrivateFile::create(out, name)?;
        file.write_all(&bytes)?;
        saved.push(file.finish()?);
    }
    Ok(saved)
}

/// What a restore does with the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaRestore {
    /// The backup holds no CA.
    Absent,
    /// The same CA is in place already.
    InPlace,
    /// The backup's CA is written into the data directory.
    Write,
}

/// Decides what to do with the CA before anything is restored: a different CA in place
/// is kept unless `force` (the certificates it issued would stop verifying).
pub fn plan(
    backup: &Path,
    manifest: &Manifest,
    data_dir: &Path,
    force: bool,
) -> anyhow::Result<CaRestore> {
    if manifest.file(CERT).is_none() {
        return Ok(CaRestore::Absent);
    }
    if manifest.file(KEY).is_none() {
        bail!("the backup has {CERT} but not {KEY}");
    }
    let (cert, key) = tds_certs::ca_paths(data_dir);
    if !cert.exists() && !key.exists() {
        return Ok(CaRestore::Write);
    }
    let same = |installed: &Path, saved: &str| -> anyhow::Result<bool> {
        let saved = std::fs::read(backup.join(relative(saved)?))?;
        Ok(std::fs::read(installed).ok().as_deref() == Some(saved.as_slice()))
    };
    if same(&cert, CERT)? && same(&key, KEY)? {
        return Ok(CaRestore::InPlace);
    }
    if !force {
        bail!(
            "a different CA is in {}: refusing to replace it (--force replaces it; the certificates it issued would no longer verify)",
            cert.parent().unwrap_or(data_dir).display()
        );
    }
    Ok(CaRestore::Write)
}

/// Writes the backup's CA into `data_dir/pki` (directory 0700, key 0600), key first so a
/// certificate never stands there without its key.
pub fn write(backup: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let (cert, key) = tds_certs::ca_paths(data_dir);
    for (saved, installed, access) in [(KEY, key, Access::Private), (CERT, cert, Access::Public)] {
        let bytes = std::fs::read(backup.join(relative(saved)?))
            .with_context(|| format!("cannot read {saved} of the backup"))?;
        files::write(&installed, &bytes, access, Existing::Replace)?;
    }
    Ok(())
}

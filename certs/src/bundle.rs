//! Bundles handed to installers: a zip with each gateway's certificate, key and the CA.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::{Issued, PkiError};

/// One gateway's files inside a bundle.
pub struct BundleEntry<'a> {
    /// Folder name inside the zip (the MAC without colons).
    pub name: String,
    /// What was issued.
    pub issued: &'a Issued,
}

/// A zip holding, per gateway, `<name>/cert.pem`, `<name>/key.pem` and `<name>/ca.pem`.
pub fn zip(entries: &[BundleEntry<'_>], ca_pem: &str) -> Result<Vec<u8>, PkiError> {
    let fail = |e: &dyn std::fmt::Display| PkiError::Bundle(e.to_string());
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().unix_permissions(0o600);
    for entry in entries {
        for (file, contents) in [
            ("cert.pem", entry.issued.cert_pem.as_str()),
            (
                "key.pem",
                entry.issued.key_pem.as_deref().unwrap_or_default(),
            ),
            ("ca.pem", ca_pem),
        ] {
            writer
                .start_file(format!("{}/{file}", entry.name), options)
                .map_err(|e| fail(&e))?;
            writer
                .write_all(contents.as_bytes())
                .map_err(|e| fail(&e))?;
        }
    }
    Ok(writer.finish().map_err(|e| fail(&e))?.into_inner())
}

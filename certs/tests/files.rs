//! How the PKI writes its files: replaced by a rename (a reader sees the old file or the
//! new one, never half of one), keys readable by their owner only from their first byte.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tds-files-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_replaced_file_is_a_new_file_renamed_into_place() {
    let dir = scratch();
    let crl = dir.join("crl.pem");
    tds_certs::write_file(&crl, "first").unwrap();
    let before = std::fs::metadata(&crl).unwrap().ino();
    tds_certs::write_file(&crl, "second").unwrap();
    assert_ne!(
        std::fs::metadata(&crl).unwrap().ino(),
        before,
        "rewritten in place, not replaced"
    );
    assert_eq!(std::fs::read_to_string(&crl).unwrap(), "second");
    assert_eq!(mode(&crl), 0o644);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A broker reloading its CRL while the platform rewrites it.
#[test]
fn a_reader_never_sees_half_a_file() {
    let dir = scratch();
    let crl = dir.join("crl.pem");
    let size = 4 << 20;
    tds_certs::write_file(&crl, &"a".repeat(size)).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (crl, done) = (crl.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                let text = std::fs::read(&crl).unwrap();
                let whole = text.len() == size && text.iter().all(|b| *b == text[0]);
                assert!(whole, "read {} bytes of a {size}-byte file", text.len());
                reads += 1;
            }
            reads
        })
    };
    for i in 0..40 {
        let fill = if i % 2 == 0 { "b" } else { "a" };
        tds_certs::write_file(&crl, &fill.repeat(size)).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every name that ever appears in the directory while keys are written (temporary files
/// included) is readable by its owner only.
#[test]
fn keys_are_private_from_their_first_byte() {
    let dir = scratch();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (dir, done) = (dir.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    if let Ok(meta) = entry.metadata() {
                        seen += 1;
                        let m = meta.permissions().mode() & 0o777;
                        assert_eq!(m & 0o077, 0, "{:?} was {m:o}", entry.file_name());
                    }
                }
            }
            seen
        })
    };
    let (_, key) = tds_certs::gateway_csr("02:00:00:00:00:01", tds_certs::Algorithm::P256).unwrap();
    for i in 0..300 {
        tds_certs::write_key_file(&dir.join(format!("k{i}.key")), &key).unwrap();
    }
    tds_certs::write_private(&dir.join("bundle.zip"), b"zip").unwrap();
    done.store(true, Ordering::Relaxed);
    assert!(watcher.join().unwrap() > 0);
    assert_eq!(mode(&dir.join("k0.key")), 0o600);
    assert_eq!(mode(&dir.join("bundle.zip")), 0o600);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_ca_directory_is_private_and_the_ca_never_overwritten() {
    let data = scratch();
    tds_certs::init_ca(&data, Utc::now()).unwrap();
    let (cert, key) = tds_certs::ca_paths(&data);
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&cert), 0o644);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(matches!(
        tds_certs::init_ca(&data, Utc::now()),
        Err(tds_certs::PkiError::CaExists(_))
    ));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), pem);
    std::fs::remove_dir_all(data).unwrap();
}

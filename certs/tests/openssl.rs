//! What we issue, as OpenSSL (not our code) sees it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, Utc};
use tds_certs::{Algorithm, CertificateAuthority, Revoked, write_file, write_pair};

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tds-pki-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn openssl_agrees_with_our_certificates_and_crl() {
    let dir = scratch();
    let now = Utc::now();
    let ca = CertificateAuthority::create("TDS test CA", now).unwrap();
    let ca_file = dir.join("ca.pem");
    write_file(&ca_file, ca.cert_pem()).unwrap();

    let ec = ca
        .issue_gateway("aa:bb:cc:dd:ee:01", Algorithm::P256, now)
        .unwrap();
    let rsa = ca
        .issue_gateway("aa:bb:cc:dd:ee:02", Algorithm::Rsa2048, now)
        .unwrap();
    let (ec_cert, _) = write_pair(&dir, "ec", &ec).unwrap();
    let (rsa_cert, rsa_key) = write_pair(&dir, "rsa", &rsa).unwrap();

    for cert in [&ec_cert, &rsa_cert] {
        let (ok, text) = openssl(&["verify", "-CAfile", path(&ca_file), path(cert)]);
        assert!(ok, "{text}");
    }
    let (_, text) = openssl(&["x509", "-in", path(&ec_cert), "-noout", "-text"]);
    assert!(text.contains("CN = aa:bb:cc:dd:ee:01"), "{text}");
    assert!(
        text.contains("id-ecPublicKey") && text.contains("P-256"),
        "{text}"
    );
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let (_, text) = openssl(&["x509", "-in", path(&rsa_cert), "-noout", "-text"]);
    assert!(
        text.contains("rsaEncryption") && text.contains("(2048 bit)"),
        "{text}"
    );
    let years = (rsa.not_after - rsa.not_before).num_days() / 365;
    assert_eq!(years, 10);
    let (_, end) = openssl(&["x509", "-in", path(&rsa_cert), "-noout", "-enddate"]);
    assert!(
        end.contains(&(now + Duration::days(3650)).format("%Y").to_string()),
        "{end}"
    );
    // The key matches the certificate.
    let (_, a) = openssl(&["x509", "-in", path(&rsa_cert), "-noout", "-pubkey"]);
    let (_, b) = openssl(&["pkey", "-in", path(&rsa_key), "-pubout"]);
    assert_eq!(a, b);

    // Revoke the RSA one: OpenSSL then refuses it and still accepts the other.
    let crl = ca
        .crl(
            &[Revoked {
                serial: rsa.serial.clone(),
                revoked_at: now,
                reason: Some(rcgen::RevocationReason::KeyCompromise),
            }],
            1,
            now,
        )
        .unwrap();
    let crl_file = dir.join("crl.pem");
    write_file(&crl_file, &crl).unwrap();
    let (ok, text) = openssl(&[
        "verify",
        "-crl_check",
        "-CAfile",
        path(&ca_file),
        "-CRLfile",
        path(&crl_file),
        path(&rsa_cert),
    ]);
    assert!(!ok && text.contains("revoked"), "{text}");
    let (ok, text) = openssl(&[
        "verify",
        "-crl_check",
        "-CAfile",
        path(&ca_file),
        "-CRLfile",
        path(&crl_file),
        path(&ec_cert),
    ]);
    assert!(ok, "{text}");

    // A certificate from another CA is not ours.
    let other = CertificateAuthority::create("Someone else", now).unwrap();
    let stranger = other
        .issue_gateway("aa:bb:cc:dd:ee:03", Algorithm::P256, now)
        .unwrap();
    let (stranger_cert, _) = write_pair(&dir, "stranger", &stranger).unwrap();
    let (ok, _) = openssl(&["verify", "-CAfile", path(&ca_file), path(&stranger_cert)]);
    assert!(!ok);

    // A broker certificate carries its host names for server authentication.
    let broker = ca
        .issue_service("broker", &["localhost".into(), "broker".into()], true, now)
        .unwrap();
    let (broker_cert, _) = write_pair(&dir, "broker", &broker).unwrap();
    let (_, text) = openssl(&["x509", "-in", path(&broker_cert), "-noout", "-text"]);
    assert!(
        text.contains("DNS:localhost") && text.contains("TLS Web Server Authentication"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

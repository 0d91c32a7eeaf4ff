//! Signing gateways' CSRs: only the gateway's own name, and only the keys the fleet uses.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::Utc;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use tds_certs::{Algorithm, CertificateAuthority, PkiError};

const MAC: &str = "02:aa:00:00:00:01";

fn csr_for(cn: &str, key: &KeyPair) -> String {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.serialize_request(key).unwrap().pem().unwrap()
}

/// A CSR from `openssl req` for a new key of `spec` (`rsa:2048` …) named `cn`.
fn openssl_csr(spec: &str, cn: &str) -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            spec,
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
        ])
        .arg(format!("/CN={cn}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(result: Result<tds_certs::Issued, PkiError>) -> String {
    match result {
        Err(PkiError::Csr(why)) => why,
        other => panic!("expected a CSR refusal, got {other:?}"),
    }
}

#[test]
fn a_gateways_own_key_is_certified_for_its_own_name() {
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let (csr, key) = tds_certs::gateway_csr(MAC, Algorithm::P256).unwrap();
    let issued = ca.sign_gateway_csr(MAC, &csr, Utc::now()).unwrap();
    assert!(issued.key_pem.is_none(), "the key never leaves the gateway");
    assert_eq!(issued.algorithm, Algorithm::P256);
    assert!(tds_certs::key_matches(&issued.cert_pem, &key).unwrap());
    assert!(tds_certs::csr_matches_certificate(&csr, &issued.cert_pem).unwrap());
    let (other, _) = tds_certs::gateway_csr(MAC, Algorithm::P256).unwrap();
    assert!(!tds_certs::csr_matches_certificate(&other, &issued.cert_pem).unwrap());
    assert_eq!(
        tds_certs::check_issued_by(ca.cert_pem(), &issued.cert_pem, MAC, Utc::now()).unwrap(),
        issued.serial
    );
    // The CSR of a key kept from an earlier request certifies that same key.
    let again = tds_certs::gateway_csr_with_key(MAC, &key).unwrap();
    assert!(tds_certs::csr_matches_certificate(&again, &issued.cert_pem).unwrap());
}

#[test]
fn other_names_and_other_keys_are_refused() {
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let (csr, _) = tds_certs::gateway_csr("02:aa:00:00:00:02", Algorithm::P256).unwrap();
    assert!(refused(ca.sign_gateway_csr(MAC, &csr, Utc::now())).contains("not the gateway's MAC"));

    // RSA keys other than 2048 bits (made by OpenSSL, as a gateway's toolchain would:
    // ring will not even load a 1024-bit key), while an OpenSSL RSA-2048 CSR is signed.
    let why = refused(ca.sign_gateway_csr(MAC, &openssl_csr("rsa:1024", MAC), Utc::now()));
    assert!(why.contains("1024 bits"), "{why}");
    let issued = ca
        .sign_gateway_csr(MAC, &openssl_csr("rsa:2048", MAC), Utc::now())
        .unwrap();
    assert_eq!(issued.algorithm, Algorithm::Rsa2048);

    // Curves other than P-256.
    let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let why = refused(ca.sign_gateway_csr(MAC, &csr_for(MAC, &p384), Utc::now()));
    assert!(why.contains("not accepted"), "{why}");

    // Not a CSR at all.
    assert!(matches!(
        ca.sign_gateway_csr(
            MAC,
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            Utc::now()
        ),
        Err(PkiError::Csr(_))
    ));
}

/// A CSR made by `openssl req` with the key options `args` (`-newkey rsa:2050` …).
fn openssl_csr_with(args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(["req", "-new", "-nodes", "-keyout", "/dev/null", "-subj"])
        .arg(format!("/CN={MAC}"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_request_whose_key_is_checked_is_the_request_signed() {
    // Found by fuzz/fuzz_targets/renewal_csr.rs (fuzz/regressions/renewal_csr/): the key
    // check read the PEM with x509-parser (a BEGIN line must start the line), the signer
    // with the pem crate (BEGIN anywhere), so one text could show each a different request.
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let (allowed, _) = tds_certs::gateway_csr(MAC, Algorithm::P256).unwrap();
    let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let ed25519 = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    for refused_key in [
        csr_for(MAC, &p384),
        csr_for(MAC, &ed25519),
        openssl_csr("rsa:3072", MAC),
    ] {
        for text in [
            format!("x{refused_key}{allowed}"),
            format!(" {refused_key}{allowed}"),
            format!("{allowed}{refused_key}"),
        ] {
            let Ok(issued) = ca.sign_gateway_csr(MAC, &text, Utc::now()) else {
                continue; // refusing such a text is fine too
            };
            assert!(
                tds_certs::csr_matches_certificate(&allowed, &issued.cert_pem).unwrap(),
                "signed a key other than the one checked:\n{text}"
            );
            assert!(tds_certs::csr_matches_certificate(&text, &issued.cert_pem).unwrap());
        }
    }
}

#[test]
fn an_rsa_key_is_2048_bits_exactly() {
    // x509-parser's key size counts whole bytes past the first: 2049..=2055 bits were
    // taken for 2048, 2041..=2047 for 2040.
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    for bits in [2047, 2050] {
        let csr = openssl_csr_with(&["-newkey", &format!("rsa:{bits}")]);
        let why = refused(ca.sign_gateway_csr(MAC, &csr, Utc::now()));
        assert!(why.contains(&format!("{bits} bits")), "{bits}: {why}");
    }
}

#[test]
fn the_key_is_certified_as_it_is_not_as_the_request_was_signed() {
    // Found by fuzz/fuzz_targets/renewal_csr.rs: the certificate took its key algorithm
    // from the CSR's signature algorithm, so a P-256 key signing its CSR with SHA-384 got
    // a certificate saying P-384 (unusable, and not recognised as that CSR's key).
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key_file = std::env::temp_dir().join(format!("tds-csr-{}.key", uuid::Uuid::new_v4()));
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    // (SHA-512 with P-256 is refused: ring does not verify that pair.)
    for digest in ["-sha256", "-sha384"] {
        let out = std::process::Command::new("openssl")
            .args(["req", "-new", "-subj"])
            .arg(format!("/CN={MAC}"))
            .arg("-key")
            .arg(&key_file)
            .arg(digest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let csr = String::from_utf8(out.stdout).unwrap();
        let issued = ca.sign_gateway_csr(MAC, &csr, Utc::now()).unwrap();
        assert_eq!(issued.algorithm, Algorithm::P256);
        assert!(
            tds_certs::key_matches(&issued.cert_pem, &key.serialize_pem()).unwrap(),
            "{digest}"
        );
        assert!(
            tds_certs::csr_matches_certificate(&csr, &issued.cert_pem).unwrap(),
            "{digest}"
        );
    }
    std::fs::remove_file(&key_file).unwrap();
}

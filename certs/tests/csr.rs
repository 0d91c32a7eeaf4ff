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

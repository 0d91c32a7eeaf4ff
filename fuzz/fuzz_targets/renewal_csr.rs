//! A gateway's CSR on `cert_update/csr`: the `CsrMessage` that
//! `tds_domain::renewals::accept_csr` reads and the CA's check of the request
//! (`tds_certs::CertificateAuthority::sign_gateway_csr`). The first byte picks what the
//! rest is, so the fuzzer mutates each layer directly:
//! 0 the JSON message, 1 the PEM text, anything else the DER request.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tds_certs::{Algorithm, CertificateAuthority};
use tds_domain::renewals::CsrMessage;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The gateway the CSRs are for.
const MAC: &str = "aa:bb:cc:dd:ee:ff";

static CA: LazyLock<CertificateAuthority> =
    LazyLock::new(|| CertificateAuthority::create("fuzz CA", tds_fuzz::now()).expect("CA"));

fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        lines.join("\n")
    )
}

/// Bits of an RSA modulus as an unsigned number (leading zero bytes and bits skipped).
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant: Vec<u8> = modulus.iter().copied().skip_while(|b| *b == 0).collect();
    match significant.first() {
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let csr = match mode {
        0 => match serde_json::from_slice::<CsrMessage>(rest) {
            Ok(message) => message.csr,
            Err(_) => return, // BAD_CSR before any lookup
        },
        1 => String::from_utf8_lossy(rest).into_owned(),
        _ => pem(rest),
    };
    let Ok(issued) = CA.sign_gateway_csr(MAC, &csr, tds_fuzz::now()) else {
        return; // refused: the renewal fails with BAD_CSR
    };
    // An accepted CSR yields a certificate the gateway can use: signed by our CA, for
    // this MAC, for an allowed key, and recognised as that CSR's key on a redelivery.
    CA.check_gateway_cert(&issued.cert_pem, MAC, tds_fuzz::now())
        .expect("issued certificate does not check out");
    let (_, pem_block) = x509_parser::pem::parse_x509_pem(issued.cert_pem.as_bytes()).expect("PEM");
    let (_, cert) = X509Certificate::from_der(&pem_block.contents).expect("DER");
    let cn: Vec<&str> = cert
        .subject()
        .iter_common_name()
        .filter_map(|a| a.as_str().ok())
        .collect();
    assert_eq!(cn, [MAC]);
    let spki = cert.public_key();
    match (spki.parsed().expect("issued key parses"), issued.algorithm) {
        (PublicKey::RSA(rsa), Algorithm::Rsa2048) => {
            assert_eq!(
                modulus_bits(rsa.modulus),
                2048,
                "RSA key of another size signed"
            );
        }
        (PublicKey::EC(_), Algorithm::P256) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            assert_eq!(
                curve,
                Some(x509_parser::oid_registry::OID_EC_P256),
                "other curve signed"
            );
        }
        (key, algorithm) => panic!("{algorithm:?} recorded for key {key:?}"),
    }
    assert!(
        tds_certs::csr_matches_certificate(&csr, &issued.cert_pem).unwrap_or(false),
        "the CSR that was signed is not recognised as the certificate's key"
    );
});

//! The platform's PKI: a CA, gateway certificates (CN = MAC, 10 years, RSA-2048 or
//! ECDSA P-256), service identities (broker server, platform client) and the CRL.
//! Private keys are returned to the caller once and never stored by this crate.
//!
//! Built on rcgen (ASN.1 and signing) and, for RSA keys, the `rsa` crate: ring, the
//! crypto provider of this workspace, can sign with RSA but not generate RSA keys.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use rcgen::RevocationReason;

pub mod broker;
pub mod bundle;
pub mod files;

use files::{Access, Existing};

/// Gateway certificates live ten years (ADR-002); renewal starts well before.
pub const GATEWAY_VALIDITY_DAYS: i64 = 3_650;
/// The CA outlives every certificate it signs.
pub const CA_VALIDITY_DAYS: i64 = 7_300;
/// Service identities (broker, platform) are renewed by operators every two years.
pub const SERVICE_VALIDITY_DAYS: i64 = 825;
/// How long a CRL stays valid; it is rewritten on every revocation and by maintenance.
pub const CRL_VALIDITY_DAYS: i64 = 30;

/// Why a PKI operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen refused (bad parameters, unreadable key …).
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// RSA key generation failed.
    #[error("RSA key: {0}")]
    Rsa(String),
    /// Files could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// `init-ca` found an existing CA.
    #[error("a CA already exists in {0} (refusing to overwrite it)")]
    CaExists(PathBuf),
    /// A bundle could not be built.
    #[error("bundle: {0}")]
    Bundle(String),
    /// No CA was created yet.
    #[error("no CA in {0}: run `tds certs init-ca` first")]
    NoCa(PathBuf),
    /// A certificate signing request was refused.
    #[error("CSR: {0}")]
    Csr(String),
    /// A certificate does not check out against the CA.
    #[error("certificate check: {0}")]
    Check(String),
}

/// Key algorithm of an issued certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSA, 2048-bit modulus (the firmware default).
    Rsa2048,
    /// ECDSA on P-256.
    P256,
}

impl Algorithm {
    /// Parses `rsa2048` or `p256` (case-insensitive).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "rsa2048" | "rsa" => Ok(Self::Rsa2048),
            "p256" | "ecdsa" => Ok(Self::P256),
            other => Err(format!(
                "unknown algorithm '{other}' (expected rsa2048 or p256)"
            )),
        }
    }

    fn key_pair(self) -> Result<KeyPair, PkiError> {
        match self {
            Algorithm::P256 => Ok(KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?),
            Algorithm::Rsa2048 => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                    .map_err(|e| PkiError::Rsa(e.to_string()))?;
                let pem = key
                    .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(|e| PkiError::Rsa(e.to_string()))?;
                Ok(KeyPair::from_pkcs8_pem_and_sign_algo(
                    &pem,
                    &rcgen::PKCS_RSA_SHA256,
                )?)
            }
        }
    }
}

/// A certificate just issued, with its key (to hand over once) and what is recorded.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Certificate, PEM.
    pub cert_pem: String,
    /// Private key, PKCS#8 PEM, when the platform generated it (never stored by the
    /// platform); `None` for a certificate signed from the device's CSR.
    pub key_pem: Option<String>,
    /// Serial number, lower-case hex.
    pub serial: String,
    /// SHA-256 of the DER certificate, lower-case hex.
    pub fingerprint_sha256: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Key algorithm.
    pub algorithm: Algorithm,
}

/// A revoked certificate as the CRL lists it.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// Serial number, hex.
    pub serial: String,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
    /// Why (RFC 5280 reason), when known.
    pub reason: Option<RevocationReason>,
}

fn offset(t: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = std::array::from_fn(|_| 0);
    getrandom_fill(&mut bytes);
    // Positive and 16 bytes long (RFC 5280 allows up to 20).
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn getrandom_fill(bytes: &mut [u8]) {
    use rsa::rand_core::RngCore;
    rsa::rand_core::OsRng.fill_bytes(bytes);
}

fn serial_bytes(hex_serial: &str) -> Option<Vec<u8>> {
    hex::decode(hex_serial.trim_start_matches("0x")).ok()
}

/// The platform CA: its certificate and signing key.
pub struct CertificateAuthority {
    cert_pem: String,
    key: KeyPair,
}

impl CertificateAuthority {
    /// A new CA (ECDSA P-256 key) named `common_name`.
    pub fn create(common_name: &str, now: DateTime<Utc>) -> Result<Self, PkiError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "TDS");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = offset(now - Duration::minutes(5));
        params.not_after = offset(now + Duration::days(CA_VALIDITY_DAYS));
        params.serial_number = Some(random_serial());
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            key,
        })
    }

    /// Loads a CA from its PEM certificate and key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        // Fails early on a certificate rcgen cannot sign with.
        Issuer::from_ca_cert_pem(cert_pem, &key)?;
        Ok(Self {
            cert_pem: cert_pem.to_owned(),
            key,
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    fn issuer(&self) -> Result<Issuer<'static, &KeyPair>, PkiError> {
        Ok(Issuer::from_ca_cert_pem(&self.cert_pem, &self.key)?)
    }

    fn sign(
        &self,
        params: CertificateParams,
        algorithm: Algorithm,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<Issued, PkiError> {
        let key = algorithm.key_pair()?;
        let mut issued = self.sign_with(params, &key, algorithm, now, days)?;
        issued.key_pem = Some(key.serialize_pem());
        Ok(issued)
    }

    /// Signs `params` for the public key `key` (a fresh key pair, or a CSR's key).
    fn sign_with(
        &self,
        mut params: CertificateParams,
        key: &impl rcgen::PublicKeyData,
        algorithm: Algorithm,
        now: DateTime<Utc>,
        days: i64,
    ) -> Result<Issued, PkiError> {
        let not_before = now - Duration::minutes(5);
        let not_after = now + Duration::days(days);
        params.not_before = offset(not_before);
        params.not_after = offset(not_after);
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::Sha256;
        let cert = params.signed_by(key, &self.issuer()?)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: None,
            serial: hex::encode(serial.as_ref()),
            fingerprint_sha256: hex::encode(Sha256::digest(cert.der())),
            not_before: DateTime::from_timestamp(not_before.timestamp(), 0).unwrap_or(now),
            not_after: DateTime::from_timestamp(not_after.timestamp(), 0).unwrap_or(now),
            algorithm,
        })
    }

    /// A gateway's client certificate: CN = normalised MAC, ten years.
    pub fn issue_gateway(
        &self,
        mac: &str,
        algorithm: Algorithm,
        now: DateTime<Utc>,
    ) -> Result<Issued, PkiError> {
        self.sign(gateway_params(mac), algorithm, now, GATEWAY_VALIDITY_DAYS)
    }

    /// A gateway's client certificate for the key in its CSR (the device keeps its key).
    /// The CSR's signature must verify and its CN must be `mac`; everything else in the
    /// certificate (validity, usages) is the platform's, whatever the CSR asked for.
    pub fn sign_gateway_csr(
        &self,
        mac: &str,
        csr_pem: &str,
        now: DateTime<Utc>,
    ) -> Result<Issued, PkiError> {
        // One reading of the text for every check: two PEM parsers could each find a
        // different request in it (the key of one checked, the key of the other signed).
        let der = pem_der(csr_pem, "CSR").map_err(|e| PkiError::Csr(e.to_string()))?;
        // The key first: a weak key gets its own reason, not a signature failure.
        let (algorithm, key) = csr_key(&der)?;
        let csr = rcgen::CertificateSigningRequestParams::from_der(&der.into())
            .map_err(|e| PkiError::Csr(format!("unreadable or badly signed request ({e})")))?;
        let cn = csr
            .params
            .distinguished_name
            .get(&DnType::CommonName)
            .and_then(dn_text)
            .ok_or_else(|| PkiError::Csr("the request has no common name".into()))?;
        if !cn.eq_ignore_ascii_case(mac) {
            return Err(PkiError::Csr(format!(
                "common name '{cn}' is not the gateway's MAC {mac}"
            )));
        }
        self.sign_with(
            gateway_params(mac),
            &key,
            algorithm,
            now,
            GATEWAY_VALIDITY_DAYS,
        )
    }

    /// Checks, as a gateway's firmware does before switching, that `cert_pem` was signed
    /// by this CA, names `mac` and is valid at `now`. Returns its hex serial.
    pub fn check_gateway_cert(
        &self,
        cert_pem: &str,
        mac: &str,
        now: DateTime<Utc>,
    ) -> Result<String, PkiError> {
        check_issued_by(self.cert_pem(), cert_pem, mac, now)
    }

    /// A service identity: a TLS server (the broker, with its host names) or a TLS
    /// client (the platform's own MQTT connections).
    pub fn issue_service(
        &self,
        common_name: &str,
        hosts: &[String],
        server: bool,
        now: DateTime<Utc>,
    ) -> Result<Issued, PkiError> {
        let mut params = CertificateParams::new(hosts.to_vec())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "TDS services");
        params.distinguished_name = dn;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        self.sign(params, Algorithm::P256, now, SERVICE_VALIDITY_DAYS)
    }

    /// A CRL listing `revoked`, valid for [`CRL_VALIDITY_DAYS`].
    pub fn crl(
        &self,
        revoked: &[Revoked],
        crl_number: u64,
        now: DateTime<Utc>,
    ) -> Result<String, PkiError> {
        let params = CertificateRevocationListParams {
            this_update: offset(now),
            next_update: offset(now + Duration::days(CRL_VALIDITY_DAYS)),
            crl_number: SerialNumber::from(crl_number.max(1)),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .filter_map(|r| {
                    Some(RevokedCertParams {
                        serial_number: SerialNumber::from_slice(&serial_bytes(&r.serial)?),
                        revocation_time: offset(r.revoked_at),
                        reason_code: r.reason,
                        invalidity_date: None,
                    })
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer()?)?.pem()?)
    }
}

fn gateway_params(mac: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, mac);
    dn.push(DnType::OrganizationName, "TDS gateways");
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

fn dn_text(value: &rcgen::DnValue) -> Option<String> {
    match value {
        rcgen::DnValue::Utf8String(s) => Some(s.clone()),
        rcgen::DnValue::PrintableString(s) => Some(s.as_str().to_owned()),
        rcgen::DnValue::Ia5String(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

fn pem_der(pem: &str, label: &str) -> Result<Vec<u8>, PkiError> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| PkiError::Check(format!("{label}: not PEM ({e})")))?;
    Ok(parsed.contents)
}

/// Checks that `cert_pem` was signed by the CA certificate `ca_pem`, has CN `mac` and is
/// valid at `now`; returns its hex serial. What a gateway's firmware does with an update
/// before trusting it (it needs only the CA certificate, never the CA key).
pub fn check_issued_by(
    ca_pem: &str,
    cert_pem: &str,
    mac: &str,
    now: DateTime<Utc>,
) -> Result<String, PkiError> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let ca_der = pem_der(ca_pem, "CA")?;
    let cert_der = pem_der(cert_pem, "certificate")?;
    let (_, ca) =
        X509Certificate::from_der(&ca_der).map_err(|e| PkiError::Check(format!("CA: {e}")))?;
    let (_, cert) = X509Certificate::from_der(&cert_der)
        .map_err(|e| PkiError::Check(format!("certificate: {e}")))?;
    cert.verify_signature(Some(ca.public_key()))
        .map_err(|_| PkiError::Check("not signed by the platform CA".into()))?;
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !cn.eq_ignore_ascii_case(mac) {
        return Err(PkiError::Check(format!("issued to '{cn}', not {mac}")));
    }
    let t = now.timestamp();
    let validity = cert.validity();
    if t < validity.not_before.timestamp() || t > validity.not_after.timestamp() {
        return Err(PkiError::Check("not valid now".into()));
    }
    Ok(hex::encode(cert.raw_serial()))
}

/// Bits of an RSA modulus (big-endian, perhaps with leading zero bytes). Not
/// x509-parser's `key_size`, which rounds to whole bytes: it calls 2049 to 2055 bits 2048.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = modulus.iter().position(|b| *b != 0).map(|i| &modulus[i..]);
    significant
        .and_then(|m| {
            m.first()
                .map(|first| m.len() * 8 - first.leading_zeros() as usize)
        })
        .unwrap_or(0)
}

/// The public key of a CSR (DER request) and its algorithm, from the key itself: RSA with
/// a 2048-bit modulus or ECDSA on P-256, nothing else. Not from the CSR's signature
/// algorithm, as rcgen's parsed request does: a P-256 key signing with SHA-384 would be
/// certified as a P-384 key (a certificate no one can use).
fn csr_key(der: &[u8]) -> Result<(Algorithm, rcgen::SubjectPublicKeyInfo), PkiError> {
    use x509_parser::prelude::FromDer;
    use x509_parser::public_key::PublicKey;
    let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(der)
        .map_err(|e| PkiError::Csr(format!("unreadable request ({e})")))?;
    let spki = &csr.certification_request_info.subject_pki;
    let p256 = x509_parser::oid_registry::OID_EC_P256;
    let algorithm = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) if modulus_bits(rsa.modulus) == 2048 => Ok(Algorithm::Rsa2048),
        Ok(PublicKey::RSA(rsa)) => Err(PkiError::Csr(format!(
            "an RSA key of {} bits (RSA-2048 or ECDSA P-256 only)",
            modulus_bits(rsa.modulus)
        ))),
        Ok(PublicKey::EC(_))
            if spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .is_some_and(|curve| curve == p256) =>
        {
            Ok(Algorithm::P256)
        }
        _ => Err(PkiError::Csr(
            "key algorithm not accepted (RSA-2048 or ECDSA P-256 only)".into(),
        )),
    }?;
    let key = rcgen::SubjectPublicKeyInfo::from_der(spki.raw)
        .map_err(|e| PkiError::Csr(format!("unreadable public key ({e})")))?;
    Ok((algorithm, key))
}

/// Whether a CSR asks for the key that `cert_pem` already certifies.
pub fn csr_matches_certificate(csr_pem: &str, cert_pem: &str) -> Result<bool, PkiError> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let csr_der = pem_der(csr_pem, "CSR")?;
    let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(&csr_der)
        .map_err(|e| PkiError::Check(format!("CSR: {e}")))?;
    let cert_der = pem_der(cert_pem, "certificate")?;
    let (_, cert) = X509Certificate::from_der(&cert_der)
        .map_err(|e| PkiError::Check(format!("certificate: {e}")))?;
    Ok(csr.certification_request_info.subject_pki.raw == cert.public_key().raw)
}

/// A certificate signing request for a gateway (CN = `mac`) and its new key, as a
/// CSR-mode firmware makes one: `(csr_pem, key_pem)`.
pub fn gateway_csr(mac: &str, algorithm: Algorithm) -> Result<(String, String), PkiError> {
    let key = algorithm.key_pair()?;
    let csr = gateway_params(mac).serialize_request(&key)?;
    Ok((csr.pem()?, key.serialize_pem()))
}

/// A certificate signing request for a gateway (CN = `mac`) with a key it already has.
pub fn gateway_csr_with_key(mac: &str, key_pem: &str) -> Result<String, PkiError> {
    let key = KeyPair::from_pem(key_pem)?;
    Ok(gateway_params(mac).serialize_request(&key)?.pem()?)
}

/// Whether `key_pem` is the private key of `cert_pem` (compares public keys).
pub fn key_matches(cert_pem: &str, key_pem: &str) -> Result<bool, PkiError> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let key = KeyPair::from_pem(key_pem)?;
    let der = pem_der(cert_pem, "certificate")?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| PkiError::Check(format!("certificate: {e}")))?;
    Ok(cert.public_key().raw == rcgen::PublicKeyData::subject_public_key_info(&key).as_slice())
}

/// Where the CA lives inside the data directory.
pub fn ca_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("pki");
    (dir.join("ca.pem"), dir.join("ca.key"))
}

/// Creates the CA in `data_dir` (its directory 0700, the key 0600); refuses if one exists.
pub fn init_ca(data_dir: &Path, now: DateTime<Utc>) -> Result<CertificateAuthority, PkiError> {
    let (cert, key) = ca_paths(data_dir);
    if cert.exists() || key.exists() {
        return Err(PkiError::CaExists(
            cert.parent().map(Path::to_owned).unwrap_or_default(),
        ));
    }
    let ca = CertificateAuthority::create("TDS platform CA", now)?;
    if let Some(dir) = key.parent() {
        files::create_dir(dir, 0o700)?;
    }
    files::write(
        &key,
        ca.key.serialize_pem().as_bytes(),
        Access::Private,
        Existing::Refuse,
    )?;
    files::write(
        &cert,
        ca.cert_pem.as_bytes(),
        Access::Public,
        Existing::Refuse,
    )?;
    Ok(ca)
}

/// Loads the CA of `data_dir`.
pub fn load_ca(data_dir: &Path) -> Result<CertificateAuthority, PkiError> {
    let (cert, key) = ca_paths(data_dir);
    if !cert.exists() {
        return Err(PkiError::NoCa(data_dir.to_owned()));
    }
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| PkiError::Io {
            path: p.to_owned(),
            source,
        })
    };
    CertificateAuthority::from_pem(&read(&cert)?, &read(&key)?)
}

/// Writes a certificate and its key as `<name>.pem` / `<name>.key` (0600) in `dir`.
pub fn write_pair(dir: &Path, name: &str, issued: &Issued) -> Result<(PathBuf, PathBuf), PkiError> {
    let cert = dir.join(format!("{name}.pem"));
    let key = dir.join(format!("{name}.key"));
    write_file(&cert, &issued.cert_pem)?;
    if let Some(key_pem) = &issued.key_pem {
        write_key_file(&key, key_pem)?;
    }
    Ok((cert, key))
}

/// Writes a public file (certificate, CA copy, CRL) into place atomically (0644).
pub fn write_file(path: &Path, contents: &str) -> Result<(), PkiError> {
    files::write(path, contents.as_bytes(), Access::Public, Existing::Replace)
}

/// Writes a private key (or anything holding one) atomically, readable by its owner only
/// (0600) from the moment it exists.
pub fn write_key_file(path: &Path, contents: &str) -> Result<(), PkiError> {
    write_private(path, contents.as_bytes())
}

/// Writes private bytes (a bundle zip) like [`write_key_file`].
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    files::write(path, contents, Access::Private, Existing::Replace)
}

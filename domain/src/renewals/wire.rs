//! What travels on the gateways' `cert_update` topics: the firmware's message formats.

use serde::{Deserialize, Serialize};
use tds_certs::CertificateAuthority;
use tds_entity::{certificate, certificate_renewal};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Topic of a gateway's (retained) certificate updates.
pub fn update_topic(mac: &str) -> String {
    format!("tds_new/devices/{mac}/cert_update")
}

/// The update a gateway receives: the seeds' firmware format (server-key mode carries
/// `private_key`; CSR mode does not).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateUpdate {
    /// Serial of the successor, hex.
    pub serial: String,
    /// End of its validity, RFC 3339.
    pub not_after: String,
    /// The successor, PEM.
    pub certificate: String,
    /// Its key, PEM (server-key mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// The CA certificate, PEM.
    pub ca: String,
}

/// What a CSR-mode gateway receives first: "send me a CSR for your next key".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CsrRequest {
    /// Always `csr_request`.
    pub action: String,
    /// The renewal it belongs to.
    pub renewal_id: Uuid,
    /// Serial of the certificate being replaced.
    pub serial: String,
}

/// A message the worker must publish retained on a gateway's `cert_update` topic.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The renewal it belongs to.
    pub renewal: certificate_renewal::Model,
    /// `tds_new/devices/{mac}/cert_update`.
    pub topic: String,
    /// JSON payload.
    pub payload: Vec<u8>,
    /// What the worker reports once the broker confirmed it.
    pub sent: Sent,
}

/// What an [`Outbound`] carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The successor (with or without its key).
    Successor,
    /// A request for a CSR.
    CsrRequest,
}

pub(super) fn json<T: Serialize>(value: &T) -> DomainResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| DomainError::Internal(e.to_string()))
}

pub(super) fn update_payload(
    successor: &certificate::Model,
    private_key: Option<String>,
    ca: &CertificateAuthority,
) -> DomainResult<Vec<u8>> {
    json(&CertificateUpdate {
        serial: successor.serial.clone(),
        not_after: successor.not_after.to_rfc3339(),
        certificate: successor.pem.clone().unwrap_or_default(),
        private_key,
        ca: ca.cert_pem().to_owned(),
    })
}

/// A gateway's acknowledgement on `cert_update/ack`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ack {
    /// Serial of the successor it is about (of the current certificate when a CSR
    /// request is refused).
    pub serial: String,
    /// `applied` or `rolled_back`.
    pub status: String,
    /// What the firmware says.
    #[serde(default)]
    pub detail: Option<String>,
    /// The renewal, when the gateway knows it (CSR mode): names it without a successor.
    #[serde(default)]
    pub renewal_id: Option<Uuid>,
}

/// A gateway's CSR on `cert_update/csr`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CsrMessage {
    /// The renewal it answers (optional: the gateway's open CSR renewal otherwise).
    #[serde(default)]
    pub renewal_id: Option<Uuid>,
    /// PKCS#10, PEM.
    pub csr: String,
}

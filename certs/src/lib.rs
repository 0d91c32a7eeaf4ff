//! The platform's PKI: CA, gateway / broker / service certificates, CRL and bundles.
//! Arrives with the PKI issue.

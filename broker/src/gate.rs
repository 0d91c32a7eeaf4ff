//! The gate in front of the embedded broker: mutual TLS against the platform CA and its
//! CRL (read again for every connection, so a revocation bars the next one), then every
//! packet from the client judged by the ACL before it reaches the broker on loopback.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use bytes::BytesMut;
use rumqttd::protocol::{Login, Packet, Protocol, v4::V4};
use rustls::{
    RootCertStore, ServerConfig,
    pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, pem::PemObject},
    server::WebPkiClientVerifier,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsAcceptor;

use crate::{BrokerError, acl::Identity};

/// Longest a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the gate needs to admit and judge clients.
#[derive(Clone)]
pub(crate) struct Gate {
    pub ca_file: PathBuf,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub crl_file: PathBuf,
    pub platform_cn: String,
    pub upstream: SocketAddr,
    /// Given to the broker as every admitted client's password: only the gate knows it,
    /// so nothing reaches the broker around the gate.
    pub secret: String,
    /// Largest packet a client may send.
    pub max_packet: usize,
}

impl Gate {
    /// Accepts clients on `listener` until the task is dropped.
    pub(crate) async fn run(self, listener: TcpListener) {
        let gate = Arc::new(self);
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "broker gate: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let gate = gate.clone();
            tokio::spawn(async move {
                if let Err(e) = gate.serve(stream).await {
                    tracing::info!(%peer, reason = %e, "broker gate: connection closed");
                }
            });
        }
    }

    /// Whether the gate's files make a working TLS configuration.
    pub(crate) fn check(&self) -> Result<(), BrokerError> {
        self.acceptor().map(|_| ())
    }

    fn acceptor(&self) -> Result<TlsAcceptor, BrokerError> {
        let tls = |what: &str, e: &dyn std::fmt::Display| BrokerError::Tls(format!("{what}: {e}"));
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&self.ca_file).map_err(|e| tls("CA", &e))? {
            roots
                .add(cert.map_err(|e| tls("CA", &e))?)
                .map_err(|e| tls("CA", &e))?;
        }
        let crls: Vec<CertificateRevocationListDer<'static>> = if self.crl_file.exists() {
            CertificateRevocationListDer::pem_file_iter(&self.crl_file)
                .map_err(|e| tls("CRL", &e))?
                .collect::<Result<_, _>>()
                .map_err(|e| tls("CRL", &e))?
        } else {
            Vec::new()
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .with_crls(crls)
                .build()
                .map_err(|e| tls("client verifier", &e))?;
        let chain = CertificateDer::pem_file_iter(&self.cert_file)
            .map_err(|e| tls("certificate", &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls("certificate", &e))?;
        let key = PrivateKeyDer::from_pem_file(&self.key_file).map_err(|e| tls("key", &e))?;
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls("protocols", &e))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| tls("server certificate", &e))?;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    async fn serve(&self, stream: TcpStream) -> Result<(), BrokerError> {
        // A client that never finishes its handshake does not hold a task for ever.
        let tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor()?.accept(stream))
            .await
            .map_err(|_| BrokerError::Refused("no TLS handshake within 10 s".into()))??;
        let identity = {
            let (_, session) = tls.get_ref();
            let cert = session
                .peer_certificates()
                .and_then(|c| c.first())
                .ok_or_else(|| BrokerError::Refused("no client certificate".into()))?;
            self.identity(cert)?
        };
        let upstream = TcpStream::connect(self.upstream).await?;
        upstream.set_nodelay(true)?;
        let (mut client_rx, mut client_tx) = tokio::io::split(tls);
        let (mut broker_rx, mut broker_tx) = upstream.into_split();
        let to_client = async {
            tokio::io::copy(&mut broker_rx, &mut client_tx).await?;
            Ok::<_, BrokerError>(())
        };
        let to_broker = async {
            let mut buf = BytesMut::with_capacity(4096);
            let mut connected = false;
            loop {
                while let Some(frame) = self.next_frame(&mut buf)? {
                    let forward = self.judge(&identity, frame, &mut connected)?;
                    broker_tx.write_all(&forward).await?;
                }
                if client_rx.read_buf(&mut buf).await? == 0 {
                    return Ok::<_, BrokerError>(());
                }
            }
        };
        tokio::select! {
            r = to_client => r,
            r = to_broker => r,
        }
    }

    fn identity(&self, cert: &CertificateDer<'_>) -> Result<Identity, BrokerError> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|e| BrokerError::Refused(format!("unreadable certificate: {e}")))?;
        let cn = parsed
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .ok_or_else(|| BrokerError::Refused("certificate without a CN".into()))?;
        Ok(if cn == self.platform_cn {
            Identity::Platform
        } else {
            Identity::Gateway(cn.to_owned())
        })
    }

    /// The next whole packet in `buf`, if one has arrived.
    fn next_frame(&self, buf: &mut BytesMut) -> Result<Option<BytesMut>, BrokerError> {
        use rumqttd::protocol::Error as Mqtt;
        match rumqttd::protocol::v4::check(buf.iter(), self.max_packet) {
            Ok(header) => Ok(Some(buf.split_to(header.frame_length()))),
            Err(Mqtt::InsufficientBytes(_)) => Ok(None),
            Err(e) => Err(BrokerError::Refused(format!(
                "malformed or oversized packet: {e:?}"
            ))),
        }
    }

    /// What to send the broker for one client packet: CONNECT rewritten with the gate's
    /// credentials, PUBLISH and SUBSCRIBE only within the ACL, the rest as it came.
    fn judge(
        &self,
        identity: &Identity,
        frame: BytesMut,
        connected: &mut bool,
    ) -> Result<BytesMut, BrokerError> {
        let packet = V4
            .read_mut(&mut frame.clone(), self.max_packet)
            .map_err(|e| BrokerError::Refused(format!("malformed packet: {e:?}")))?;
        match (packet, *connected) {
            (Packet::Connect(connect, props, will, will_props, _), false) => {
                // A gateway connects as itself: another client id would take over that
                // client's session (the platform's, or another gateway's).
                if let Identity::Gateway(mac) = identity
                    && connect.client_id != *mac
                {
                    return Err(BrokerError::Refused(format!(
                        "gateway {mac} must connect with client id {mac}, not {}",
                        connect.client_id
                    )));
                }
                if let Some(will) = &will {
                    let topic = String::from_utf8_lossy(&will.topic);
                    if !identity.may_publish(&topic) {
                        return Err(BrokerError::Refused(format!("last will on {topic}")));
                    }
                }
                *connected = true;
                let login = Login {
                    username: match identity {
                        Identity::Platform => self.platform_cn.clone(),
                        Identity::Gateway(mac) => mac.clone(),
                    },
                    password: self.secret.clone(),
                };
                let mut out = BytesMut::new();
                V4.write(
                    Packet::Connect(connect, props, will, will_props, Some(login)),
                    &mut out,
                )
                .map_err(|e| BrokerError::Refused(format!("CONNECT: {e:?}")))?;
                Ok(out)
            }
            (Packet::Connect(..), true) => Err(BrokerError::Refused("a second CONNECT".into())),
            (_, false) => Err(BrokerError::Refused("a packet before CONNECT".into())),
            (Packet::Publish(publish, _), true) => {
                let topic = std::str::from_utf8(&publish.topic)
                    .map_err(|_| BrokerError::Refused("topic is not UTF-8".into()))?;
                if identity.may_publish(topic) {
                    Ok(frame)
                } else {
                    Err(BrokerError::Refused(format!(
                        "{identity:?} may not publish to {topic}"
                    )))
                }
            }
            (Packet::Subscribe(subscribe, _), true) => {
                match subscribe
                    .filters
                    .iter()
                    .find(|f| !identity.may_subscribe(&f.path))
                {
                    Some(f) => Err(BrokerError::Refused(format!(
                        "{identity:?} may not subscribe to {}",
                        f.path
                    ))),
                    None => Ok(frame),
                }
            }
            (_, true) => Ok(frame),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttd::protocol::Connect;

    fn gate() -> Gate {
        Gate {
            ca_file: PathBuf::new(),
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            crl_file: PathBuf::new(),
            platform_cn: "tds-platform".into(),
            upstream: ([127, 0, 0, 1], 1).into(),
            secret: "s3cret".into(),
            max_packet: 64 * 1024,
        }
    }

    fn connect(client_id: &str) -> BytesMut {
        let mut out = BytesMut::new();
        let connect = Connect {
            keep_alive: 30,
            client_id: client_id.into(),
            clean_session: false,
        };
        V4.write(Packet::Connect(connect, None, None, None, None), &mut out)
            .unwrap_or_else(|e| panic!("{e:?}"));
        out
    }

    #[test]
    fn a_gateway_connects_only_as_itself_with_the_gates_credentials() {
        let gate = gate();
        let gateway = Identity::Gateway("aa:bb:cc:dd:ee:01".into());
        let mut connected = false;
        let refused = gate.judge(&gateway, connect("tds-ingest-vm"), &mut connected);
        assert!(
            matches!(refused, Err(BrokerError::Refused(_))),
            "{refused:?}"
        );
        assert!(!connected);

        let forwarded = gate
            .judge(&gateway, connect("aa:bb:cc:dd:ee:01"), &mut connected)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(connected);
        match V4.read_mut(&mut forwarded.clone(), 1024) {
            Ok(Packet::Connect(_, _, _, _, Some(login))) => {
                assert_eq!(login.username, "aa:bb:cc:dd:ee:01");
                assert_eq!(login.password, "s3cret");
            }
            other => panic!("{other:?}"),
        }
        // The platform names its own client ids.
        let mut platform = false;
        assert!(
            gate.judge(&Identity::Platform, connect("tds-ingest-vm"), &mut platform)
                .is_ok()
        );
    }

    #[test]
    fn nothing_before_connect_and_no_second_connect() {
        let gate = gate();
        let gateway = Identity::Gateway("aa:bb:cc:dd:ee:01".into());
        let mut connected = false;
        let mut ping = BytesMut::new();
        ping.extend_from_slice(&[0xC0, 0x00]);
        assert!(gate.judge(&gateway, ping, &mut connected).is_err());
        gate.judge(&gateway, connect("aa:bb:cc:dd:ee:01"), &mut connected)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            gate.judge(&gateway, connect("aa:bb:cc:dd:ee:01"), &mut connected)
                .is_err()
        );
    }
}

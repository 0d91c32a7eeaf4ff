//! The embedded MQTT broker of `tds demo`: rumqttd on loopback behind our own gate, which
//! does what rumqttd cannot: client certificates checked against the platform CA and its
//! CRL, the certificate's CN as the client's identity, and the Mosquitto ACL's rules.

mod acl;
mod gate;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub use acl::Identity;

/// The embedded broker could not start or refused a client.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A certificate, key, CA or CRL file is missing or unreadable.
    #[error("broker TLS: {0}")]
    Tls(String),
    /// A socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A client broke a rule (its connection is closed).
    #[error("refused: {0}")]
    Refused(String),
    /// The broker did not come up.
    #[error("broker did not start: {0}")]
    Start(String),
}

/// Where the embedded broker listens and the files it trusts.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// Address gateways and the platform connect to with mutual TLS.
    pub listen: SocketAddr,
    /// CA certificate(s) client certificates must chain to.
    pub ca_file: PathBuf,
    /// The broker's server certificate and key.
    pub cert_file: PathBuf,
    /// The broker's private key.
    pub key_file: PathBuf,
    /// The CRL, read again for every connection (absent: nothing is revoked yet).
    pub crl_file: PathBuf,
    /// The CN of the platform's service identity; every other CN is a gateway's MAC.
    pub platform_cn: String,
    /// Largest payload a client may publish.
    pub max_payload: usize,
}

/// A started broker. It runs until the process ends (rumqttd has no shutdown).
#[derive(Debug)]
pub struct RunningBroker {
    /// The address the gate listens on (the configured one, its port resolved).
    pub addr: SocketAddr,
    gate: tokio::task::JoinHandle<()>,
}

impl Drop for RunningBroker {
    fn drop(&mut self) {
        // New connections stop at once; rumqttd's threads end with the process.
        self.gate.abort();
    }
}

/// Starts rumqttd on a free loopback port and the gate on `config.listen`.
pub async fn start(config: BrokerConfig) -> Result<RunningBroker, BrokerError> {
    let secret = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    let upstream = free_loopback_port()?;
    let max_packet = config.max_payload + 4 * 1024;
    let gate = gate::Gate {
        ca_file: config.ca_file,
        cert_file: config.cert_file,
        key_file: config.key_file,
        crl_file: config.crl_file,
        platform_cn: config.platform_cn,
        upstream,
        secret: secret.clone(),
        max_packet,
    };
    // Bad files are a start-up error, not a refusal of every client later.
    gate.check()?;
    let rumqttd = rumqttd_config(upstream, max_packet, secret.clone());
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(rumqttd);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Err(e) = probe(upstream, &secret).await {
        if tokio::time::Instant::now() >= deadline {
            return Err(BrokerError::Start(format!("{upstream}: {e}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| BrokerError::Start(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener.local_addr()?;
    let gate = tokio::spawn(gate.run(listener));
    Ok(RunningBroker { addr, gate })
}

/// Whether rumqttd accepts a client with the gate's secret: CONNECT, CONNACK, DISCONNECT
/// (a bare TCP probe would make it log an error).
async fn probe(upstream: SocketAddr, secret: &str) -> Result<(), BrokerError> {
    use rumqttd::protocol::{Connect, Login, Packet, Protocol, v4::V4};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(upstream).await?;
    let mut out = bytes::BytesMut::new();
    let connect = Connect {
        keep_alive: 10,
        client_id: "tds-gate-probe".into(),
        clean_session: true,
    };
    let login = Login {
        username: "tds-gate-probe".into(),
        password: secret.into(),
    };
    V4.write(
        Packet::Connect(connect, None, None, None, Some(login)),
        &mut out,
    )
    .map_err(|e| BrokerError::Start(format!("{e:?}")))?;
    stream.write_all(&out).await?;
    let mut answer = bytes::BytesMut::with_capacity(16);
    let connack = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if stream.read_buf(&mut answer).await? == 0 {
                return Err(BrokerError::Start("closed before CONNACK".into()));
            }
            match V4.read_mut(&mut answer, 1024) {
                Ok(packet) => return Ok(packet),
                Err(rumqttd::protocol::Error::InsufficientBytes(_)) => continue,
                Err(e) => return Err(BrokerError::Start(format!("{e:?}"))),
            }
        }
    })
    .await
    .map_err(|_| BrokerError::Start("no CONNACK within 2 s".into()))??;
    match connack {
        Packet::ConnAck(ack, _) if ack.code == rumqttd::protocol::ConnectReturnCode::Success => {
            stream.write_all(&[0xE0, 0x00]).await?;
            Ok(())
        }
        other => Err(BrokerError::Start(format!("refused the gate: {other:?}"))),
    }
}

fn free_loopback_port() -> Result<SocketAddr, BrokerError> {
    let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(probe.local_addr()?)
}

fn rumqttd_config(listen: SocketAddr, max_packet: usize, secret: String) -> rumqttd::Config {
    let mut connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: max_packet,
        max_inflight_count: 100,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    connections.set_auth_handler(move |_client, _user, password: String| {
        // Compared in constant time: loopback is reachable by every local user.
        let allowed = password.len() == secret.len()
            && password
                .bytes()
                .zip(secret.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        async move { allowed }
    });
    let server = rumqttd::ServerSettings {
        name: "tds-embedded".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            // A segment holds whole messages: a few of the largest fit in one.
            max_segment_size: (max_packet * 16).max(1024 * 1024),
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some([("tds".to_owned(), server)].into_iter().collect()),
        ..Default::default()
    }
}

//! Helpers the broker tests share: a Mosquitto from the generated configuration on a
//! free port, the `tds` binary, and the Mosquitto command-line clients.

#![allow(dead_code, clippy::unwrap_used)] // each test binary uses some of them

pub mod http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A Mosquitto started for one test; killed when dropped.
pub struct Broker {
    /// The mosquitto process.
    pub child: Child,
    /// Its TLS port.
    pub port: u16,
    /// Its configuration directory.
    pub dir: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn tds(env: &[(&str, &Path)], db_url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tds"));
    cmd.args(args)
        .env("DATABASE_URL", db_url)
        .env("TDS_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tds {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Client files: (cert, key).
pub fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    )
}

pub fn publish(
    broker: &Broker,
    ca: &Path,
    identity: Option<&(PathBuf, PathBuf)>,
    topic: &str,
    message: &str,
    retain: bool,
) -> bool {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args([
        "-h",
        "localhost",
        "-p",
        &broker.port.to_string(),
        "-q",
        "1",
        "-t",
        topic,
        "-m",
        message,
    ])
    .arg("--cafile")
    .arg(ca);
    if retain {
        cmd.arg("-r");
    }
    if let Some((cert, key)) = identity {
        cmd.arg("--cert").arg(cert).arg("--key").arg(key);
    }
    cmd.output().unwrap().status.success()
}

/// Subscribes and returns the first `count` messages (or fewer after `wait_s` seconds).
pub fn subscribe(
    broker: &Broker,
    ca: &Path,
    identity: &(PathBuf, PathBuf),
    topic: &str,
    count: u32,
    wait_s: u32,
) -> Child {
    Command::new("mosquitto_sub")
        .args([
            "-h",
            "localhost",
            "-p",
            &broker.port.to_string(),
            "-q",
            "1",
            "-v",
            "-t",
            topic,
        ])
        .args(["-C", &count.to_string(), "-W", &wait_s.to_string()])
        .arg("--cafile")
        .arg(ca)
        .arg("--cert")
        .arg(&identity.0)
        .arg("--key")
        .arg(&identity.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts Mosquitto from the generated configuration as it is. Tests run as root, as a
/// service manager does: Mosquitto then drops to its service user before reading its key.
pub fn start_broker(dir: &Path, port: u16) -> Broker {
    let log = dir.join("mosquitto.log");
    let mut child = Command::new("mosquitto")
        .arg("-c")
        .arg(dir.join("mosquitto.conf"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Ready when the TLS port accepts connections.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "mosquitto -c {}/mosquitto.conf exited ({status}): {log}",
                dir.display()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mosquitto did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Broker {
        child,
        port,
        dir: dir.to_owned(),
    }
}

/// `tds serve --only ingest,workers` over `mqtts://localhost:<port>` with the platform
/// identity `platform` (cert, key) and the broker's CA, on a queue, event channel and
/// share group of its own (`tag`); `extra` adds settings.
pub fn serve_platform(
    db_url: &str,
    port: u16,
    ca: &Path,
    platform: &(PathBuf, PathBuf),
    tag: &str,
    extra: &[(&str, &std::ffi::OsStr)],
) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tds"));
    cmd.args(["serve", "--only", "ingest,workers"])
        .env("DATABASE_URL", db_url)
        .env("MQTT_URL", format!("mqtts://localhost:{port}"))
        .env("MQTT_CA_FILE", ca)
        .env("MQTT_CERT_FILE", &platform.0)
        .env("MQTT_KEY_FILE", &platform.1)
        .env("TDS_INSTANCE", tag)
        .env("TDS_QUEUE", format!("tds-test:{tag}:telemetry"))
        .env("TDS_EVENT_CHANNEL", format!("tds-test:{tag}:events"))
        .env("TDS_MQTT_SHARE_GROUP", format!("tds-test-{tag}"))
        .env("TDS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The platform's MQTT identity (in `<root>/platform`) and a broker started on `port`
/// from the configuration `tds certs mosquitto` writes to `broker_dir` (the CA exists).
pub fn platform_and_broker(
    env: &[(&str, &Path)],
    db_url: &str,
    root: &Path,
    broker_dir: &Path,
    port: u16,
) -> (Broker, (PathBuf, PathBuf)) {
    let platform_dir = root.join("platform");
    let (platform_out, broker_out) = (platform_dir.to_str().unwrap(), broker_dir.to_str().unwrap());
    let cn = [
        "certs",
        "service",
        "--cn",
        "tds-platform",
        "--out",
        platform_out,
    ];
    tds(env, db_url, &cn);
    let port_text = port.to_string();
    let conf = [
        "certs",
        "mosquitto",
        "--out",
        broker_out,
        "--port",
        &port_text,
    ];
    tds(env, db_url, &conf);
    (
        start_broker(broker_dir, port),
        pair(&platform_dir, "tds-platform"),
    )
}

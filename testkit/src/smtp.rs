//! A real SMTP server for tests: Python's aiosmtpd in its own process, saving every
//! message it receives in a maildir, and Python's e-mail package to read them (a reader
//! that is not ours). `.ci/run` installs aiosmtpd.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use uuid::Uuid;

/// An aiosmtpd process on a free port; killed (and its maildir removed) when dropped.
pub struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    /// Starts the server and waits until it listens.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let maildir = std::env::temp_dir().join(format!("tds-smtp-{}", Uuid::new_v4().simple()));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd starts (pip install aiosmtpd; .ci/run installs it)");
        let server = Self {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// `SMTP_URL` of this server (plain text: it is on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The messages received so far, as files.
    pub fn received(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    }

    /// Waits until `count` messages arrived (at most `within`), and returns them read.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + within;
        while self.received().len() < count {
            assert!(
                Instant::now() < deadline,
                "{} of {count} e-mails arrived within {within:?}",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received().iter().map(|p| read_message(p)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// A received e-mail: headers and decoded bodies.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// `To` header.
    pub to: String,
    /// `From` header.
    pub from: String,
    /// Subject, decoded.
    pub subject: String,
    /// The text/plain part, decoded.
    pub text: String,
    /// The text/html part, decoded.
    pub html: String,
    /// Attached files.
    pub attachments: Vec<ReceivedAttachment>,
}

/// A file attached to a received e-mail.
#[derive(Debug, Clone)]
pub struct ReceivedAttachment {
    /// Its file name.
    pub file_name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes, decoded.
    pub content: Vec<u8>,
}

/// Reads a message file with Python's e-mail package.
pub fn read_message(path: &Path) -> ReceivedMail {
    let script = r#"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
def part(kind):
    p = m.get_body((kind,))
    return p.get_content() if p is not None else ''
import base64
files = [{'name': a.get_filename() or '', 'type': a.get_content_type(),
          'b64': base64.b64encode(a.get_payload(decode=True) or b'').decode()}
         for a in m.iter_attachments()]
print(json.dumps({'to': str(m['To']), 'from': str(m['From']), 'subject': str(m['Subject']),
                  'text': part('plain'), 'html': part('html'), 'files': files}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from python");
    let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    ReceivedMail {
        to: field("to"),
        from: field("from"),
        subject: field("subject"),
        text: field("text"),
        html: field("html"),
        attachments: v["files"]
            .as_array()
            .map(|files| {
                files
                    .iter()
                    .map(|f| ReceivedAttachment {
                        file_name: f["name"].as_str().unwrap_or_default().to_owned(),
                        content_type: f["type"].as_str().unwrap_or_default().to_owned(),
                        content: base64::engine::general_purpose::STANDARD
                            .decode(f["b64"].as_str().unwrap_or_default())
                            .expect("attachment in base64"),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

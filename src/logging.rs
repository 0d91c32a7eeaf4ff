//! Log and error output. Everything the process writes to stderr passes through
//! `redact_urls`, so a URL's password never reaches a log, whichever crate put the URL
//! into a message (a connect error, a setting, a retry warning).

use std::io::Write;

use tds_domain::config::redact_urls;

/// Logs to stderr with the `TDS_LOG` filter (default `info`), as text or, with
/// `TDS_LOG_FORMAT=json`, one JSON object a line.
pub fn init() {
    let wanted = std::env::var("TDS_LOG").unwrap_or_else(|_| "info".into());
    // Libraries that narrate routine events (a client leaving is an ERROR to rumqttd):
    // quiet unless TDS_LOG names them.
    let mut directives = wanted.clone();
    for (target, level) in [
        ("sqlx", "warn"),
        ("sea_orm_migration", "warn"),
        ("rumqttd", "off"),
    ] {
        if !wanted.contains(target) {
            directives.push_str(&format!(",{target}={level}"));
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactedStderr);
    // One JSON object a line for log collectors; text for people by default.
    let _ = match std::env::var("TDS_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().flatten_event(true).try_init(),
        _ => builder.try_init(),
    };
}

/// Prints a command's failure: one line, passwords masked.
pub fn print_error(error: &anyhow::Error) {
    eprintln!("error: {}", redact_urls(&format!("{error:#}")));
}

/// stderr, with URL passwords masked. The formatter hands over one whole event per write.
struct RedactedStderr;

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact_urls(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

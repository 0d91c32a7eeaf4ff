//! Typed settings: defaults < optional TOML file (`TDS_CONFIG`) < environment.
//! Loaded once by the binary and passed down; nothing else reads the environment.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Everything the services need to know about their surroundings.
#[derive(Clone, Serialize, Deserialize)]
pub struct Settings {
    /// `postgres://…` or `sqlite://…`; defaults to a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Redis for queues and events (production mode).
    pub redis_url: String,
    /// Where the job queues live when not in Redis: `sqlite://FILE` runs every queue on
    /// that file, events in process, and needs api, ingest and workers in one process.
    pub queue_url: Option<String>,
    /// Broker, `mqtt://host:port` or `mqtts://host:port`.
    pub mqtt_url: String,
    /// Where the api listens.
    pub http_addr: String,
    /// PEM certificate chain: with the key, the api speaks HTTPS itself (no proxy).
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// Where a `tds serve` without the api answers `/healthz` and `/readyz` (none when
    /// unset); with the api they are on `http_addr`.
    pub health_addr: Option<String>,
    /// CA, reports and the demo database live here.
    pub data_dir: PathBuf,
    /// Secret signing API tokens, at least 32 bytes, the same on every api replica
    /// (`tds serve` refuses to run the api without it).
    pub jwt_secret: Option<String>,
    /// How long a login token stays valid.
    pub token_ttl_hours: i64,
    /// SMTP server for alert and report e-mails.
    pub smtp_url: Option<String>,
    /// Platform time zone (nightly jobs); accounts have their own for buckets.
    pub timezone: String,
    /// CA the platform trusts for `mqtts://`.
    pub mqtt_ca_file: Option<PathBuf>,
    /// Platform client certificate for `mqtts://`.
    pub mqtt_cert_file: Option<PathBuf>,
    /// Platform client key for `mqtts://`.
    pub mqtt_key_file: Option<PathBuf>,
    /// Where the broker's CA, ACL and CRL files are kept current.
    pub broker_dir: Option<PathBuf>,
    /// Name of this replica (MQTT client id, queue worker name); the host name by default.
    pub instance: String,
    /// Name of the telemetry queue in Redis.
    pub queue_name: String,
    /// Redis channel of platform events.
    pub event_channel: String,
    /// Redis queue of notifications (e-mails, webhooks).
    pub notification_queue: String,
    /// Redis queue of report builds.
    pub report_queue: String,
    /// MQTT shared-subscription group of several ingest replicas; empty (the default):
    /// one replica with a plain subscription, which the broker queues for while ingest is
    /// away. The certificate workers use `<group>-renewals`.
    pub mqtt_share_group: String,
    /// Local time (platform time zone) of the nightly certificate renewal, `HH:MM`.
    pub renewal_at: String,
    /// Most certificates one night renews.
    pub renewal_batch: u64,
    /// Certificates expiring within this many days are due for renewal.
    pub renewal_horizon_days: i64,
    /// Seconds a gateway has to acknowledge a renewal before it times out.
    pub renewal_ack_window_s: u64,
    /// Seconds between two looks of the workers for renewals to publish or expire.
    pub renewal_poll_s: u64,
    /// Seconds between two scans of silence and completeness alert rules.
    pub alert_scan_s: u64,
    /// Seconds between two looks for report schedules falling due.
    pub report_schedule_s: u64,
    /// Whether GraphQL clients may read the schema (GraphiQL, codegen); production may
    /// switch it off.
    pub graphql_introspection: bool,
    /// Sign-in limits, proxies and live-session checks.
    pub auth: AuthSettings,
    /// Notifications: links, sender, webhook reach.
    pub notify: NotifySettings,
}

/// How notifications are sent (the SMTP server itself is `smtp_url`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifySettings {
    /// The web app's public address; links in e-mails and webhooks point under it.
    pub public_url: String,
    /// Sender of e-mails, `Name <address>` or an address.
    pub mail_from: String,
    /// Whether webhooks may reach loopback, private and link-local addresses (off: a
    /// rule's URL cannot make the platform call its own network).
    pub webhook_allow_private: bool,
    /// Largest report file a scheduled e-mail attaches; larger ones go as a link.
    pub report_attach_max_bytes: i64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            mail_from: "TDS <tds@localhost>".into(),
            webhook_allow_private: false,
            report_attach_max_bytes: 10 * 1024 * 1024,
        }
    }
}

impl fmt::Display for NotifySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "public_url={} mail_from={} webhook_allow_private={} report_attach_max_bytes={}",
            self.public_url,
            self.mail_from,
            self.webhook_allow_private,
            self.report_attach_max_bytes
        )
    }
}

/// Sign-in protection and the re-check of WebSocket sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// Failed sign-ins allowed per e-mail in one window.
    pub login_attempts_per_email: u64,
    /// Window of the per-e-mail count, in seconds.
    pub login_email_window_s: u64,
    /// Failed sign-ins allowed per client address in one window.
    pub login_attempts_per_address: u64,
    /// Window of the per-address count, in seconds.
    pub login_address_window_s: u64,
    /// Comma-separated addresses of reverse proxies whose `X-Forwarded-For` is believed;
    /// empty: the socket's peer is the client.
    pub trusted_proxies: String,
    /// Seconds between two re-checks of a WebSocket session (at most 60).
    pub session_recheck_s: u64,
    /// Prefix of the Redis keys holding the sign-in counts.
    pub limits_prefix: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let limits = crate::auth::LoginLimits::default();
        Self {
            login_attempts_per_email: limits.per_email.attempts,
            login_email_window_s: limits.per_email.window.as_secs(),
            login_attempts_per_address: limits.per_address.attempts,
            login_address_window_s: limits.per_address.window.as_secs(),
            trusted_proxies: String::new(),
            session_recheck_s: 60,
            limits_prefix: "tds:limits".into(),
        }
    }
}

impl AuthSettings {
    /// The sign-in allowances.
    pub fn login_limits(&self) -> crate::auth::LoginLimits {
        use crate::auth::Limit;
        use std::time::Duration;
        crate::auth::LoginLimits {
            per_email: Limit {
                attempts: self.login_attempts_per_email,
                window: Duration::from_secs(self.login_email_window_s.max(1)),
            },
            per_address: Limit {
                attempts: self.login_attempts_per_address,
                window: Duration::from_secs(self.login_address_window_s.max(1)),
            },
        }
    }

    /// The trusted proxies, parsed.
    pub fn trusted_proxies(&self) -> Result<Vec<std::net::IpAddr>, String> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .map_err(|_| format!("TDS_TRUSTED_PROXIES: '{p}' is not an IP address"))
            })
            .collect()
    }

    /// How often a WebSocket session is re-checked.
    pub fn session_recheck(&self) -> Result<std::time::Duration, String> {
        match self.session_recheck_s {
            1..=60 => Ok(std::time::Duration::from_secs(self.session_recheck_s)),
            other => Err(format!(
                "TDS_SESSION_RECHECK_S: {other} is not between 1 and 60 seconds"
            )),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.trusted_proxies()?;
        self.session_recheck()?;
        if self.login_attempts_per_email == 0 || self.login_attempts_per_address == 0 {
            return Err("TDS_LOGIN_ATTEMPTS_PER_EMAIL and _PER_ADDRESS must be at least 1".into());
        }
        Ok(())
    }
}

impl fmt::Display for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "login_limits={}/{}s per e-mail, {}/{}s per address trusted_proxies={} session_recheck_s={} limits_prefix={}",
            self.login_attempts_per_email,
            self.login_email_window_s,
            self.login_attempts_per_address,
            self.login_address_window_s,
            if self.trusted_proxies.trim().is_empty() {
                "-"
            } else {
                self.trusted_proxies.as_str()
            },
            self.session_recheck_s,
            self.limits_prefix,
        )
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: None,
            redis_url: "redis://127.0.0.1:6379".into(),
            queue_url: None,
            mqtt_url: "mqtt://127.0.0.1:1883".into(),
            http_addr: "127.0.0.1:8080".into(),
            tls_cert_file: None,
            tls_key_file: None,
            health_addr: None,
            data_dir: PathBuf::from("data"),
            jwt_secret: None,
            token_ttl_hours: 12,
            smtp_url: None,
            timezone: "America/Sao_Paulo".into(),
            mqtt_ca_file: None,
            mqtt_cert_file: None,
            mqtt_key_file: None,
            broker_dir: None,
            instance: default_instance(),
            queue_name: "tds:telemetry".into(),
            event_channel: "tds:events".into(),
            notification_queue: "tds:notifications".into(),
            report_queue: "tds:reports".into(),
            mqtt_share_group: String::new(),
            renewal_at: "02:00".into(),
            renewal_batch: 10,
            renewal_horizon_days: 730,
            renewal_ack_window_s: 86_400,
            renewal_poll_s: 10,
            alert_scan_s: 30,
            report_schedule_s: 30,
            graphql_introspection: true,
            auth: AuthSettings::default(),
            notify: NotifySettings::default(),
        }
    }
}

/// Environment variable → setting, as the operator contract names them.
const ENV_KEYS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("REDIS_URL", "redis_url"),
    ("TDS_QUEUE_URL", "queue_url"),
    ("MQTT_URL", "mqtt_url"),
    ("TDS_HTTP_ADDR", "http_addr"),
    ("TDS_TLS_CERT_FILE", "tls_cert_file"),
    ("TDS_TLS_KEY_FILE", "tls_key_file"),
    ("TDS_HEALTH_ADDR", "health_addr"),
    ("TDS_DATA_DIR", "data_dir"),
    ("TDS_JWT_SECRET", "jwt_secret"),
    ("TDS_TOKEN_TTL_HOURS", "token_ttl_hours"),
    ("SMTP_URL", "smtp_url"),
    ("TDS_TIMEZONE", "timezone"),
    ("MQTT_CA_FILE", "mqtt_ca_file"),
    ("MQTT_CERT_FILE", "mqtt_cert_file"),
    ("MQTT_KEY_FILE", "mqtt_key_file"),
    ("TDS_BROKER_DIR", "broker_dir"),
    ("TDS_INSTANCE", "instance"),
    ("TDS_QUEUE", "queue_name"),
    ("TDS_EVENT_CHANNEL", "event_channel"),
    ("TDS_NOTIFICATION_QUEUE", "notification_queue"),
    ("TDS_REPORT_QUEUE", "report_queue"),
    ("TDS_MQTT_SHARE_GROUP", "mqtt_share_group"),
    ("TDS_RENEWAL_AT", "renewal_at"),
    ("TDS_RENEWAL_BATCH", "renewal_batch"),
    ("TDS_RENEWAL_HORIZON_DAYS", "renewal_horizon_days"),
    ("TDS_RENEWAL_ACK_WINDOW_S", "renewal_ack_window_s"),
    ("TDS_RENEWAL_POLL_S", "renewal_poll_s"),
    ("TDS_ALERT_SCAN_S", "alert_scan_s"),
    ("TDS_REPORT_SCHEDULE_S", "report_schedule_s"),
    ("TDS_GRAPHQL_INTROSPECTION", "graphql_introspection"),
    (
        "TDS_LOGIN_ATTEMPTS_PER_EMAIL",
        "auth.login_attempts_per_email",
    ),
    ("TDS_LOGIN_EMAIL_WINDOW_S", "auth.login_email_window_s"),
    (
        "TDS_LOGIN_ATTEMPTS_PER_ADDRESS",
        "auth.login_attempts_per_address",
    ),
    ("TDS_LOGIN_ADDRESS_WINDOW_S", "auth.login_address_window_s"),
    ("TDS_TRUSTED_PROXIES", "auth.trusted_proxies"),
    ("TDS_SESSION_RECHECK_S", "auth.session_recheck_s"),
    ("TDS_LIMITS_PREFIX", "auth.limits_prefix"),
    ("TDS_PUBLIC_URL", "notify.public_url"),
    ("TDS_MAIL_FROM", "notify.mail_from"),
    ("TDS_WEBHOOK_ALLOW_PRIVATE", "notify.webhook_allow_private"),
    (
        "TDS_REPORT_ATTACH_MAX_BYTES",
        "notify.report_attach_max_bytes",
    ),
];

/// `TDS_*` variables read outside [`Settings`]: logging (read before settings load), the
/// settings file, and the test suite's own.
const OTHER_VARIABLES: &[&str] = &[
    "TDS_LOG",
    "TDS_LOG_FORMAT",
    "TDS_CONFIG",
    "TDS_TEST_PG_URL",
    "TDS_UPDATE_SCHEMA",
];

fn default_instance() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into())
}

/// Settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct SettingsError(String);

impl Settings {
    /// Loads defaults, then the TOML file named by `TDS_CONFIG` (if any), then the environment.
    pub fn load() -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Ok(path) = std::env::var("TDS_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = Env::raw().filter_map(|key| {
            ENV_KEYS
                .iter()
                .find(|(var, _)| key.as_str().eq_ignore_ascii_case(var))
                .map(|(_, field)| (*field).into())
        });
        let settings: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| SettingsError(e.to_string()))?;
        crate::values::parse_timezone(&settings.timezone)
            .map_err(|e| SettingsError(format!("TDS_TIMEZONE: {e}")))?;
        crate::renewals::RenewalPolicy::from_settings(&settings).map_err(SettingsError)?;
        settings.auth.validate().map_err(SettingsError)?;
        Ok(settings)
    }

    /// `TDS_*` variables in the environment that no setting reads: most likely a typo
    /// (`TDS_JWT_SECRT`), which would otherwise silently leave the default in force.
    pub fn unknown_variables() -> Vec<String> {
        let mut unknown: Vec<String> = std::env::vars_os()
            .filter_map(|(key, _)| key.into_string().ok())
            .filter(|key| key.to_ascii_uppercase().starts_with("TDS_"))
            .filter(|key| {
                !ENV_KEYS
                    .iter()
                    .any(|(var, _)| key.eq_ignore_ascii_case(var))
                    && !OTHER_VARIABLES
                        .iter()
                        .any(|var| key.eq_ignore_ascii_case(var))
            })
            .collect();
        unknown.sort();
        unknown
    }

    /// Where the job queues live: `TDS_QUEUE_URL`, or Redis.
    pub fn queue_url(&self) -> String {
        self.queue_url
            .clone()
            .unwrap_or_else(|| self.redis_url.clone())
    }

    /// Whether this process keeps its queues and events to itself (a SQLite queue file):
    /// the single-process mode of `tds demo`, which needs no Redis.
    pub fn single_process(&self) -> bool {
        self.queue_url().starts_with("sqlite:")
    }

    /// The database to use: the configured one, or the demo SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tds.db").display()
            )
        })
    }

    /// The ingest replicas' share group, if several split the messages.
    pub fn ingest_share_group(&self) -> Option<String> {
        let group = self.mqtt_share_group.trim();
        (!group.is_empty()).then(|| group.to_owned())
    }

    /// The certificate workers' share group, if several split the messages.
    pub fn renewals_share_group(&self) -> Option<String> {
        self.ingest_share_group().map(|g| format!("{g}-renewals"))
    }
}

/// `url` with its password replaced by `***`: the one in `user:password@`, and any query
/// parameter whose name holds `pass`, `secret` or `token` (`?password=…`, `sslpassword=…`).
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let (head, rest) = url.split_at(scheme_end);
    let query_at = rest.find(['?', '#']).unwrap_or(rest.len());
    let (before_query, query) = rest.split_at(query_at);
    // The last `@` before the query ends the user info (a password may hold `/` or `@`).
    let before_query = match before_query.rfind('@') {
        Some(at) => match before_query[..at].split_once(':') {
            Some((user, _)) => format!("{user}:***{}", &before_query[at..]),
            None => before_query.to_owned(),
        },
        None => before_query.to_owned(),
    };
    format!("{head}{before_query}{}", mask_query(query))
}

fn mask_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(eq) = rest.find('=') {
        let name_start = rest[..eq].rfind(['?', '&', ';', '#']).map_or(0, |i| i + 1);
        let name = rest[name_start..eq].to_ascii_lowercase();
        let value_end = rest[eq + 1..]
            .find(['&', ';', '#'])
            .map_or(rest.len(), |i| eq + 1 + i);
        out.push_str(&rest[..=eq]);
        if ["pass", "secret", "token"].iter().any(|k| name.contains(k)) {
            out.push_str("***");
        } else {
            out.push_str(&rest[eq + 1..value_end]);
        }
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

/// `text` with the password of every URL in it masked (see [`mask_url`]): applied to every
/// log line and error message the binaries print, whichever library wrote the URL there.
pub fn redact_urls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_scheme = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
    let ends_url = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let start = rest[..sep]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_scheme(*c))
            .last()
            .map_or(sep, |(i, _)| i);
        let end = rest[sep..].find(ends_url).map_or(rest.len(), |i| sep + i);
        out.push_str(&rest[..start]);
        out.push_str(&mask_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "-".into())
        };
        write!(
            f,
            "database={} redis={} queues={} mqtt={} http={} tls_cert={} tls_key={} data_dir={} jwt_secret={} token_ttl_hours={} smtp={} timezone={} mqtt_ca={} mqtt_cert={} mqtt_key={} broker_dir={} instance={} queue={} event_channel={} notification_queue={} report_queue={} share_group={} renewal_at={} renewal_batch={} renewal_horizon_days={} renewal_ack_window_s={} renewal_poll_s={} alert_scan_s={} report_schedule_s={} graphql_introspection={}",
            mask_url(&self.database_url()),
            mask_url(&self.redis_url),
            mask_url(&self.queue_url()),
            mask_url(&self.mqtt_url),
            self.http_addr,
            opt(&self.tls_cert_file),
            opt(&self.tls_key_file),
            self.data_dir.display(),
            if self.jwt_secret.is_some() {
                "***"
            } else {
                "(unset)"
            },
            self.token_ttl_hours,
            self.smtp_url
                .as_deref()
                .map(mask_url)
                .unwrap_or_else(|| "-".into()),
            self.timezone,
            opt(&self.mqtt_ca_file),
            opt(&self.mqtt_cert_file),
            opt(&self.mqtt_key_file),
            opt(&self.broker_dir),
            self.instance,
            self.queue_name,
            self.event_channel,
            self.notification_queue,
            self.report_queue,
            self.mqtt_share_group,
            self.renewal_at,
            self.renewal_batch,
            self.renewal_horizon_days,
            self.renewal_ack_window_s,
            self.renewal_poll_s,
            self.alert_scan_s,
            self.report_schedule_s,
            self.graphql_introspection,
        )?;
        write!(f, " {} {}", self.auth, self.notify)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let s = Settings {
            database_url: Some("postgres://tds:hunter2@db:5432/tds".into()),
            jwt_secret: Some("s3cret".into()),
            ..Settings::default()
        };
        let shown = s.to_string();
        assert!(shown.contains("postgres://tds:***@db:5432/tds"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[test]
    fn url_passwords_are_masked_wherever_they_sit() {
        for (url, masked) in [
            ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
            (
                "rediss://default:s3cret@cache",
                "rediss://default:***@cache",
            ),
            (
                "smtp://mail:s3cr@t/x@smtp.example:587",
                "smtp://mail:***@smtp.example:587",
            ),
            (
                "postgres://tds@db/tds?sslmode=require&password=s3cret#x",
                "postgres://tds@db/tds?sslmode=require&password=***#x",
            ),
            ("mqtts://broker:8883", "mqtts://broker:8883"),
            (
                "sqlite://./data/tds.db?mode=rwc",
                "sqlite://./data/tds.db?mode=rwc",
            ),
            ("not a url", "not a url"),
        ] {
            assert_eq!(mask_url(url), masked);
        }
    }

    #[test]
    fn urls_inside_text_are_masked() {
        let line = "error: cannot reach Redis at redis://:s3cret@127.0.0.1:1: refused; \
                    db=\"postgres://u:hunter2@h/d\" (mqtt://x:pw@b:1883)";
        let shown = redact_urls(line);
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2") && !shown.contains(":pw@"),
            "{shown}"
        );
        assert!(shown.contains("redis://:***@127.0.0.1:1:"), "{shown}");
        assert!(shown.contains("\"postgres://u:***@h/d\""), "{shown}");
        assert_eq!(redact_urls("no urls here"), "no urls here");
    }
}

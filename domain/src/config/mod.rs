//! Typed settings: defaults < optional TOML file (`TDS_CONFIG`) < environment.
//! Loaded once by the binary and passed down; nothing else reads the environment.
//! Each setting is declared once, in its group, below.

#[macro_use]
mod macros;
mod mask;

pub use mask::{mask_url, redact_urls};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

settings! {
    /// Where the data lives.
    database: DatabaseSettings {
        /// `postgres://…` or `sqlite://…`; unset: a SQLite file in `platform.data_dir`.
        url: Option<String> = None => "DATABASE_URL" as url;
    }

    /// This replica and its place on disk and in time.
    platform: PlatformSettings {
        /// CA, reports and the demo database live here.
        data_dir: PathBuf = PathBuf::from("data") => "TDS_DATA_DIR";
        /// Name of this replica (MQTT client id, queue worker name); the host name by default.
        instance: String = default_instance() => "TDS_INSTANCE";
        /// Platform time zone (nightly jobs); accounts have their own for buckets.
        timezone: String = "America/Sao_Paulo".into() => "TDS_TIMEZONE";
    }

    /// Job queues and platform events.
    queue: QueueSettings {
        /// Redis for queues, events and sign-in counts (production mode).
        redis_url: String = "redis://127.0.0.1:6379".into() => "REDIS_URL" as url;
        /// Where the job queues live when not in Redis: `sqlite://FILE` runs every queue on
        /// that file, events in process, and needs api, ingest and workers in one process.
        url: Option<String> = None => "TDS_QUEUE_URL" as url;
        /// Name of the telemetry queue.
        telemetry: String = "tds:telemetry".into() => "TDS_QUEUE";
        /// Name of the queue of notifications (e-mails, webhooks).
        notifications: String = "tds:notifications".into() => "TDS_NOTIFICATION_QUEUE";
        /// Name of the queue of report builds.
        reports: String = "tds:reports".into() => "TDS_REPORT_QUEUE";
        /// Redis channel of platform events.
        event_channel: String = "tds:events".into() => "TDS_EVENT_CHANNEL";
    }

    /// The MQTT broker and the platform's identity on it.
    broker: BrokerSettings {
        /// Broker, `mqtt://host:port` or `mqtts://host:port`.
        mqtt_url: String = "mqtt://127.0.0.1:1883".into() => "MQTT_URL" as url;
        /// CA the platform trusts for `mqtts://`.
        ca_file: Option<PathBuf> = None => "MQTT_CA_FILE";
        /// Platform client certificate for `mqtts://`.
        cert_file: Option<PathBuf> = None => "MQTT_CERT_FILE";
        /// Platform client key for `mqtts://`.
        key_file: Option<PathBuf> = None => "MQTT_KEY_FILE";
        /// Where the broker's CA, ACL and CRL files are kept current.
        dir: Option<PathBuf> = None => "TDS_BROKER_DIR";
        /// MQTT shared-subscription group of several ingest replicas; empty (the default):
        /// one replica with a plain subscription, which the broker queues for while ingest
        /// is away. The certificate workers use `<group>-renewals`.
        share_group: String = String::new() => "TDS_MQTT_SHARE_GROUP";
    }

    /// The HTTP listeners and API tokens.
    api: ApiSettings {
        /// Where the api listens.
        http_addr: String = "127.0.0.1:8080".into() => "TDS_HTTP_ADDR";
        /// Where a `tds serve` without the api answers `/healthz` and `/readyz` (none when
        /// unset); with the api they are on `http_addr`.
        health_addr: Option<String> = None => "TDS_HEALTH_ADDR";
        /// PEM certificate chain: with the key, the api speaks HTTPS itself (no proxy).
        tls_cert_file: Option<PathBuf> = None => "TDS_TLS_CERT_FILE";
        /// PEM private key of `tls_cert_file`.
        tls_key_file: Option<PathBuf> = None => "TDS_TLS_KEY_FILE";
        /// Secret signing API tokens and download links, at least 32 bytes, the same on
        /// every replica (`tds serve` refuses to run the api without it).
        jwt_secret: Option<String> = None => "TDS_JWT_SECRET" as secret;
        /// How long a login token stays valid.
        token_ttl_hours: i64 = 12 => "TDS_TOKEN_TTL_HOURS";
        /// Whether GraphQL clients may read the schema (GraphiQL, codegen); production may
        /// switch it off.
        graphql_introspection: bool = true => "TDS_GRAPHQL_INTROSPECTION";
        /// The built web app (`npm run build` in `web/`), served at `/` with client-side
        /// routes falling back to its `index.html`.
        web_dir: PathBuf = "web/build".into() => "TDS_WEB_DIR";
        /// Comma-separated origins (`https://app.example.com`) whose browser apps may call
        /// the api and open its WebSocket; empty: no CORS headers, same origin only.
        cors_origins: String = String::new() => "TDS_CORS_ORIGINS";
        /// Seconds a browser may reuse a CORS preflight answer.
        cors_max_age_s: u64 = 600 => "TDS_CORS_MAX_AGE_S";
        /// Most automatic persisted queries one replica remembers (least recently used go).
        persisted_queries: u64 = 1000 => "TDS_PERSISTED_QUERIES";
        /// Seconds a cache may reuse a successful GraphQL answer to GET (shared caches
        /// only without `Authorization`; 0: revalidate every time).
        graphql_get_max_age_s: u64 = 0 => "TDS_GRAPHQL_GET_MAX_AGE_S";
    }

    /// Sign-in protection and the re-check of WebSocket sessions.
    auth: AuthSettings {
        /// Failed sign-ins allowed per e-mail in one window.
        login_attempts_per_email: u64 =
            crate::auth::LoginLimits::default().per_email.attempts
            => "TDS_LOGIN_ATTEMPTS_PER_EMAIL";
        /// Window of the per-e-mail count, in seconds.
        login_email_window_s: u64 =
            crate::auth::LoginLimits::default().per_email.window.as_secs()
            => "TDS_LOGIN_EMAIL_WINDOW_S";
        /// Failed sign-ins allowed per client address in one window.
        login_attempts_per_address: u64 =
            crate::auth::LoginLimits::default().per_address.attempts
            => "TDS_LOGIN_ATTEMPTS_PER_ADDRESS";
        /// Window of the per-address count, in seconds.
        login_address_window_s: u64 =
            crate::auth::LoginLimits::default().per_address.window.as_secs()
            => "TDS_LOGIN_ADDRESS_WINDOW_S";
        /// Comma-separated addresses of reverse proxies whose `X-Forwarded-For` is
        /// believed; empty: the socket's peer is the client.
        trusted_proxies: String = String::new() => "TDS_TRUSTED_PROXIES";
        /// Seconds between two re-checks of a WebSocket session (at most 60).
        session_recheck_s: u64 = 60 => "TDS_SESSION_RECHECK_S";
        /// Prefix of the Redis keys holding the sign-in counts.
        limits_prefix: String = "tds:limits".into() => "TDS_LIMITS_PREFIX";
    }

    /// Requests that cost the platform more than most (report builds, long stretches of
    /// raw readings), counted per user.
    expensive: ExpensiveSettings {
        /// Expensive requests one user may make in one window; past it RATE_LIMITED.
        per_user: u64 = crate::auth::ExpensiveLimits::default().per_user.attempts
            => "TDS_EXPENSIVE_PER_USER";
        /// Window of that count, in seconds.
        window_s: u64 = crate::auth::ExpensiveLimits::default().per_user.window.as_secs()
            => "TDS_EXPENSIVE_WINDOW_S";
        /// `readings` over more days than this counts as expensive.
        readings_days: i64 = crate::auth::ExpensiveLimits::default().readings_days
            => "TDS_EXPENSIVE_READINGS_DAYS";
    }

    /// How e-mails and webhooks are sent.
    notify: NotifySettings {
        /// SMTP server for alert, invitation and report e-mails.
        smtp_url: Option<String> = None => "SMTP_URL" as url;
        /// Sender of e-mails, `Name <address>` or an address.
        mail_from: String = "TDS <tds@localhost>".into() => "TDS_MAIL_FROM";
        /// The web app's public address; links in e-mails and webhooks point under it.
        public_url: String = "http://127.0.0.1:8080".into() => "TDS_PUBLIC_URL";
        /// Whether webhooks may reach loopback, private and link-local addresses (off: a
        /// rule's URL cannot make the platform call its own network).
        webhook_allow_private: bool = false => "TDS_WEBHOOK_ALLOW_PRIVATE";
    }

    /// The nightly certificate renewal.
    renewal: RenewalSettings {
        /// Local time (platform time zone) of the nightly renewal, `HH:MM`.
        at: String = "02:00".into() => "TDS_RENEWAL_AT";
        /// Most certificates one night renews.
        batch: u64 = 10 => "TDS_RENEWAL_BATCH";
        /// Certificates expiring within this many days are due for renewal.
        horizon_days: i64 = 730 => "TDS_RENEWAL_HORIZON_DAYS";
        /// Seconds a gateway has to acknowledge a renewal before it times out.
        ack_window_s: u64 = 86_400 => "TDS_RENEWAL_ACK_WINDOW_S";
        /// Seconds between two looks of the workers for renewals to publish or expire.
        poll_s: u64 = 10 => "TDS_RENEWAL_POLL_S";
    }

    /// Alert rules judged on a clock.
    alert: AlertSettings {
        /// Seconds between two scans of silence and completeness alert rules.
        scan_s: u64 = 30 => "TDS_ALERT_SCAN_S";
    }

    /// Scheduled reports.
    report: ReportSettings {
        /// Seconds between two looks for report schedules falling due.
        schedule_s: u64 = 30 => "TDS_REPORT_SCHEDULE_S";
        /// Largest report file a scheduled e-mail attaches; larger ones go as a link.
        attach_max_bytes: i64 = 10 * 1024 * 1024 => "TDS_REPORT_ATTACH_MAX_BYTES";
    }
}

impl ApiSettings {
    /// The CORS origins, each `http(s)://host[:port]` (a trailing `/` is dropped),
    /// lower-cased as browsers send them.
    pub fn cors_origins(&self) -> Result<Vec<String>, String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                let origin = o.trim_end_matches('/').to_ascii_lowercase();
                let host = origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"))
                    .unwrap_or_default();
                let bad = |c: char| "/?#*@ \t".contains(c);
                if host.is_empty() || host.contains(bad) {
                    Err(format!(
                        "TDS_CORS_ORIGINS: '{o}' is not an origin (scheme://host[:port], e.g. https://app.example.com)"
                    ))
                } else {
                    Ok(origin)
                }
            })
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        self.cors_origins()?;
        // The cache's table is allocated whole at start.
        if !(1..=100_000).contains(&self.persisted_queries) {
            return Err(format!(
                "TDS_PERSISTED_QUERIES: {} is not between 1 and 100000",
                self.persisted_queries
            ));
        }
        Ok(())
    }
}

impl ExpensiveSettings {
    /// The allowance of expensive requests.
    pub fn limits(&self) -> crate::auth::ExpensiveLimits {
        crate::auth::ExpensiveLimits {
            per_user: crate::auth::Limit {
                attempts: self.per_user.max(1),
                window: std::time::Duration::from_secs(self.window_s.max(1)),
            },
            readings_days: self.readings_days.max(1),
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
        let settings: Settings = Self::layers()
            .extract()
            .map_err(|e| SettingsError(e.to_string()))?;
        crate::values::parse_timezone(&settings.platform.timezone)
            .map_err(|e| SettingsError(format!("TDS_TIMEZONE: {e}")))?;
        crate::renewals::RenewalPolicy::from_settings(&settings).map_err(SettingsError)?;
        settings.auth.validate().map_err(SettingsError)?;
        settings.api.validate().map_err(SettingsError)?;
        Ok(settings)
    }

    /// The layers, unchecked: defaults, the `TDS_CONFIG` file, the variables of [`ENV_KEYS`].
    fn layers() -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Ok(path) = std::env::var("TDS_CONFIG") {
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = Env::raw().filter_map(|key| {
            ENV_KEYS
                .iter()
                .find(|(var, _)| key.as_str().eq_ignore_ascii_case(var))
                .map(|(_, key)| (*key).into())
        });
        figment.merge(env)
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
        self.queue
            .url
            .clone()
            .unwrap_or_else(|| self.queue.redis_url.clone())
    }

    /// Whether this process keeps its queues and events to itself (a SQLite queue file):
    /// the single-process mode of `tds demo`, which needs no Redis.
    pub fn single_process(&self) -> bool {
        self.queue_url().starts_with("sqlite:")
    }

    /// The database to use: the configured one, or the demo SQLite file in `platform.data_dir`.
    pub fn database_url(&self) -> String {
        self.database.url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.platform.data_dir.join("tds.db").display()
            )
        })
    }

    /// The ingest replicas' share group, if several split the messages.
    pub fn ingest_share_group(&self) -> Option<String> {
        let group = self.broker.share_group.trim();
        (!group.is_empty()).then(|| group.to_owned())
    }

    /// The certificate workers' share group, if several split the messages.
    pub fn renewals_share_group(&self) -> Option<String> {
        self.ingest_share_group().map(|g| format!("{g}-renewals"))
    }
}

/// What the process will use (the database and queues as resolved, defaults filled in),
/// then every setting by group; secrets and URL passwords masked.
impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "database={} queues={} {}",
            mask_url(&self.database_url()),
            mask_url(&self.queue_url()),
            self.groups_shown().join(" ")
        )
    }
}

/// As printed: a secret in a failed assertion stays masked.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::Jail;

    /// Runs `test` with an empty environment and a fresh current directory, both put back
    /// after (and one test at a time: under `cargo test` they share the process).
    #[allow(clippy::result_large_err, reason = "the closure type is Jail's")]
    fn jailed(test: impl FnOnce(&mut Jail)) {
        Jail::expect_with(|jail| {
            jail.clear_env();
            test(jail);
            Ok(())
        });
    }

    #[test]
    fn secrets_are_masked() {
        let mut s = Settings::default();
        s.database.url = Some("postgres://tds:hunter2@db:5432/tds".into());
        s.queue.redis_url = "redis://:r3dis@cache:6379".into();
        s.notify.smtp_url = Some("smtp://mail:m4il@smtp.example:587".into());
        s.api.jwt_secret = Some("s3cret".into());
        let shown = s.to_string();
        assert!(shown.contains("postgres://tds:***@db:5432/tds"), "{shown}");
        assert!(shown.contains("api.jwt_secret=***"), "{shown}");
        for secret in ["hunter2", "r3dis", "m4il", "s3cret"] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(!format!("{s:?}").contains(secret), "{s:?}");
        }
        assert!(
            Settings::default()
                .to_string()
                .contains("api.jwt_secret=(unset)")
        );
    }

    #[test]
    fn the_printout_names_every_setting_and_the_resolved_database() {
        let shown = Settings::default().to_string();
        assert!(
            shown.starts_with(
                "database=sqlite://data/tds.db?mode=rwc queues=redis://127.0.0.1:6379 "
            ),
            "{shown}"
        );
        for (_, key) in ENV_KEYS {
            assert!(
                shown.contains(&format!(" {key}=")),
                "{key} missing: {shown}"
            );
        }
    }

    /// A value of the same kind as the setting's default, but not the default.
    fn another_value(default: Option<serde_json::Value>) -> String {
        match default {
            Some(serde_json::Value::Bool(b)) => (!b).to_string(),
            Some(serde_json::Value::Number(n)) => (n.as_i64().unwrap() + 1).to_string(),
            Some(serde_json::Value::String(s)) => format!("{s}x"),
            _ => "set".into(),
        }
    }

    fn value_at(settings: &Settings, key: &str) -> Option<serde_json::Value> {
        Figment::from(Serialized::defaults(settings))
            .find_value(key)
            .ok()
            .and_then(|v| v.deserialize().ok())
    }

    #[test]
    fn every_variable_sets_its_setting() {
        let defaults = Settings::default();
        for (var, key) in ENV_KEYS {
            let value = another_value(value_at(&defaults, key));
            jailed(|jail| {
                jail.set_env(var, &value);
                let loaded: Settings = Settings::layers().extract().unwrap();
                let got = match value_at(&loaded, key) {
                    Some(serde_json::Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                assert_eq!(got, value, "{var} should set {key}");
                assert!(loaded != defaults, "{var} changed nothing");
            });
        }
        let vars: std::collections::HashSet<_> = ENV_KEYS.iter().map(|(v, _)| v).collect();
        assert_eq!(vars.len(), ENV_KEYS.len(), "a variable named twice");
    }

    #[test]
    fn the_file_has_a_table_per_group_and_the_environment_wins() {
        jailed(|jail| {
            jail.create_file(
                "tds.toml",
                r#"
                [database]
                url = "postgres://tds@db/tds"
                [renewal]
                batch = 3
                at = "03:30"
                [auth]
                trusted_proxies = "10.0.0.2"
                "#,
            )
            .unwrap();
            jail.set_env("TDS_CONFIG", "tds.toml");
            jail.set_env("TDS_RENEWAL_BATCH", "4");
            let settings = Settings::load().unwrap();
            assert_eq!(settings.database_url(), "postgres://tds@db/tds");
            assert_eq!(settings.renewal.batch, 4);
            assert_eq!(settings.renewal.at, "03:30");
            assert_eq!(settings.auth.trusted_proxies, "10.0.0.2");
        });
    }

    #[test]
    fn a_key_outside_the_groups_is_refused() {
        jailed(|jail| {
            // The flat key of before the groups: ignoring it would run on the default.
            jail.create_file("tds.toml", "database_url = \"postgres://tds@db/tds\"\n")
                .unwrap();
            jail.set_env("TDS_CONFIG", "tds.toml");
            let error = Settings::load()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("database_url"), "{error}");
        });
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        for (var, value) in [
            ("TDS_TIMEZONE", "Mars/Olympus"),
            ("TDS_RENEWAL_AT", "25:00"),
            ("TDS_SESSION_RECHECK_S", "61"),
            ("TDS_TRUSTED_PROXIES", "proxy.local"),
            ("TDS_CORS_ORIGINS", "https://app.example.com, *"),
            ("TDS_CORS_ORIGINS", "https://app.example.com/path"),
            ("TDS_PERSISTED_QUERIES", "0"),
        ] {
            jailed(|jail| {
                jail.set_env(var, value);
                let error = Settings::load()
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                assert!(error.contains(var), "{var}={value}: {error}");
            });
        }
    }

    #[test]
    fn only_unread_tds_variables_are_unknown() {
        jailed(|jail| {
            jail.set_env("TDS_JWT_SECRT", "x");
            jail.set_env("tds_renewal_batch", "3");
            jail.set_env("TDS_LOG", "info");
            jail.set_env("DATABASE_URL", "sqlite://x");
            assert_eq!(Settings::unknown_variables(), ["TDS_JWT_SECRT"]);
        });
    }

    #[test]
    fn cors_origins_are_read_as_browsers_send_them() {
        let mut s = Settings::default();
        assert_eq!(s.api.cors_origins(), Ok(vec![]));
        s.api.cors_origins = " https://App.example.com/ ,http://localhost:5173,".into();
        assert_eq!(
            s.api.cors_origins(),
            Ok(vec![
                "https://app.example.com".to_owned(),
                "http://localhost:5173".to_owned()
            ])
        );
    }

    #[test]
    fn share_groups_and_resolved_urls() {
        let mut s = Settings::default();
        assert_eq!(s.ingest_share_group(), None);
        assert!(!s.single_process());
        s.broker.share_group = " ingest ".into();
        s.queue.url = Some("sqlite://q.db".into());
        assert_eq!(s.ingest_share_group().as_deref(), Some("ingest"));
        assert_eq!(s.renewals_share_group().as_deref(), Some("ingest-renewals"));
        assert_eq!(s.queue_url(), "sqlite://q.db");
        assert!(s.single_process());
    }
}

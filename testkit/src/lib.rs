//! Test harness shared by the crates' integration tests.
//!
//! Each test gets its own database: a fresh PostgreSQL database on the machine's server
//! (dropped when the test ends, even if it fails) or a fresh SQLite file, migrated.

pub mod smtp;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::auth::TokenKeys;
use tds_domain::{Credentials, Operator, Tenant};
use tds_entity::{account, user};
use tds_graphql::{ApiState, RequestScope, TdsSchema};
use uuid::Uuid;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The machine's PostgreSQL (`TDS_TEST_PG_URL`, default postgres://postgres@127.0.0.1:5432/postgres).
    Postgres,
    /// A SQLite file in a fresh temporary directory.
    Sqlite,
}

/// URL of the PostgreSQL maintenance database tests create their databases from.
pub fn pg_admin_url() -> String {
    std::env::var("TDS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn pg_url_for(name: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// A database owned by one test.
pub struct TestDb {
    /// Connection to it.
    pub db: DatabaseConnection,
    /// Its URL (for child processes).
    pub url: String,
    backend: Backend,
    name: String,
}

impl TestDb {
    /// Creates an empty database (not migrated).
    pub async fn empty(backend: Backend) -> Self {
        let name = format!("tds_test_{}", Uuid::new_v4().simple());
        let url = match backend {
            Backend::Postgres => {
                let admin = Database::connect(pg_admin_url())
                    .await
                    .expect("PostgreSQL is reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                pg_url_for(&name)
            }
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                format!("sqlite://{}?mode=rwc", dir.join("tds.db").display())
            }
        };
        let db = tds_domain::db::connect(&url)
            .await
            .expect("connect to the test database");
        Self {
            db,
            url,
            backend,
            name,
        }
    }

    /// Creates and migrates a database.
    pub async fn migrated(backend: Backend) -> Self {
        let test = Self::empty(backend).await;
        tds_migration::migrate(&test.db, Utc::now())
            .await
            .expect("migrations apply");
        test
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        match self.backend {
            Backend::Postgres => {
                // Drop is synchronous; a helper thread with its own runtime does the async part.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(pg_admin_url()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                    Ok::<_, std::io::Error>(())
                })
                .join();
            }
            Backend::Sqlite => {
                let _ = std::fs::remove_dir_all(std::env::temp_dir().join(name));
            }
        }
    }
}

/// A GraphQL response, reduced to what tests look at.
#[derive(Debug, Clone)]
pub struct Gql {
    /// `data` as JSON (null when absent).
    pub data: Value,
    /// `errors` as JSON.
    pub errors: Vec<Value>,
}

impl Gql {
    /// The data, failing the test if there were errors.
    pub fn ok(&self) -> &Value {
        assert!(
            self.errors.is_empty(),
            "unexpected errors: {:#?}",
            self.errors
        );
        &self.data
    }

    /// `extensions.code` of the first error (panics if none).
    pub fn code(&self) -> &str {
        self.errors
            .first()
            .unwrap_or_else(|| panic!("expected an error, got data {}", self.data))["extensions"]["code"]
            .as_str()
            .unwrap_or("<no code>")
    }

    /// `extensions.field` of the first error.
    pub fn field(&self) -> Option<&str> {
        self.errors.first()?["extensions"]["field"].as_str()
    }

    /// Every field named in the first error's `extensions.fields`.
    pub fn fields(&self) -> Vec<String> {
        self.errors
            .first()
            .and_then(|e| e["extensions"]["fields"].as_array())
            .map(|l| {
                l.iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Someone who can call the API.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Bearer token.
    pub token: String,
    /// Account sent as `X-Account-Id`.
    pub account: Option<Uuid>,
    /// The user.
    pub user: user::Model,
}

impl Caller {
    /// The same user acting in another account.
    pub fn in_account(&self, account: Uuid) -> Self {
        Self {
            account: Some(account),
            ..self.clone()
        }
    }
}

/// The schema over a test database, executed without HTTP.
pub struct TestApi {
    /// The database.
    pub db: TestDb,
    /// Shared state.
    pub state: ApiState,
    /// The schema.
    pub schema: TdsSchema,
}

impl TestApi {
    /// A migrated database and a schema over it.
    pub async fn new(backend: Backend) -> Self {
        let db = TestDb::migrated(backend).await;
        let state = ApiState {
            pki: Some(std::sync::Arc::new(
                tds_certs::CertificateAuthority::create("test CA", Utc::now()).expect("CA"),
            )),
            crl_paths: vec![
                std::env::temp_dir().join(format!("{}-crl.pem", Uuid::new_v4().simple())),
            ],
            ..ApiState::new(
                db.db.clone(),
                TokenKeys::new(b"test-secret", chrono::Duration::hours(1)),
            )
        };
        let schema = tds_graphql::build_schema(state.clone());
        Self { db, state, schema }
    }

    /// Creates a user (password `password123`) and signs it in.
    pub async fn user(&self, email: &str, superuser: bool) -> Caller {
        let user = accounts::create_user(
            &self.state.db,
            &Operator::command_line(),
            NewUser {
                email: email.into(),
                password: "password123".into(),
                name: String::new(),
                is_superuser: superuser,
            },
            Utc::now(),
        )
        .await
        .expect("create user");
        let (token, _) = self.state.keys.issue(user.id, Utc::now()).expect("token");
        Caller {
            token,
            account: None,
            user,
        }
    }

    /// Creates an account whose first ADMIN is `admin`, returning the admin acting in it.
    pub async fn account(&self, name: &str, admin: &Caller) -> (account::Model, Caller) {
        let account = accounts::create_account(
            &self.state.db,
            &Operator::command_line(),
            NewAccount {
                name: name.into(),
                ..Default::default()
            },
            admin.user.id,
            Utc::now(),
        )
        .await
        .expect("create account");
        let caller = admin.in_account(account.id);
        (account, caller)
    }

    /// An account with its ADMIN and a VIEWER (`admin@<domain>`, `viewer@<domain>`), one
    /// gateway (`mac`) and one device of `kind` (`WATER`, `ENERGY` …), made through the API.
    pub async fn small_fleet(&self, domain: &str, mac: &str, kind: &str) -> SmallFleet {
        let admin = self.user(&format!("admin@{domain}"), false).await;
        let (account, admin) = self.account(&format!("Fleet of {domain}"), &admin).await;
        let r = self
            .run(
                Some(&admin),
                "mutation($mac: String!) { createGateway(input: {code: \"GW1\", mac: $mac, name: \"G\"}) { id } }",
                serde_json::json!({"mac": mac}),
            )
            .await;
        let gateway = r.ok()["createGateway"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let r = self
            .run(
                Some(&admin),
                &format!("mutation($g: ID!) {{ createDevice(input: {{gatewayId: $g, code: \"D01\", name: \"M\", kind: {kind}, slaveId: 1, register: 0}}) {{ id }} }}"),
                serde_json::json!({"g": gateway}),
            )
            .await;
        let device = r.ok()["createDevice"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let viewer = self.user(&format!("viewer@{domain}"), false).await;
        let viewer = self
            .member(&viewer, account.id, tds_entity::Role::Viewer)
            .await;
        SmallFleet {
            account,
            admin,
            viewer,
            gateway,
            device,
        }
    }

    /// Makes `caller` a member of `account_id` with `role`, returning them acting in it.
    pub async fn member(
        &self,
        caller: &Caller,
        account_id: Uuid,
        role: tds_entity::Role,
    ) -> Caller {
        use sea_orm::{ActiveModelTrait, Set};
        tds_entity::membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account_id),
            user_id: Set(caller.user.id),
            role: Set(role),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            created_by: Set(None),
        }
        .insert(&self.state.db)
        .await
        .expect("membership");
        caller.in_account(account_id)
    }

    /// Starts a subscription as `caller`; the stream registers when first polled.
    pub async fn subscribe(
        &self,
        caller: &Caller,
        query: &str,
        variables: Value,
    ) -> impl futures::Stream<Item = async_graphql::Response> + Send + use<> {
        let credentials = Credentials {
            bearer: Some(caller.token.clone()),
            account_id: caller.account.map(|a| a.to_string()),
        };
        let scope = RequestScope::resolve(&self.state, &credentials)
            .await
            .expect("session resolves");
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        self.schema.execute_stream(scope.attach(request))
    }

    /// Executes a document as `caller` (or anonymously).
    pub async fn run(&self, caller: Option<&Caller>, query: &str, variables: Value) -> Gql {
        let credentials = caller
            .map(|c| Credentials {
                bearer: Some(c.token.clone()),
                account_id: c.account.map(|a| a.to_string()),
            })
            .unwrap_or_default();
        let scope = RequestScope::resolve(&self.state, &credentials)
            .await
            .expect("session resolves");
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self.schema.execute(scope.attach(request)).await;
        Gql {
            data: response.data.into_json().unwrap_or(Value::Null),
            errors: response
                .errors
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect(),
        }
    }
}

/// What [`TestApi::small_fleet`] made.
pub struct SmallFleet {
    /// The account.
    pub account: account::Model,
    /// Its ADMIN, acting in it.
    pub admin: Caller,
    /// A VIEWER, acting in it.
    pub viewer: Caller,
    /// The gateway's id.
    pub gateway: String,
    /// The device's id.
    pub device: String,
}

/// Declares an async test function `fn name(backend: Backend)` as two tests,
/// `name::postgres` and `name::sqlite`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                Box::pin(super::$name($crate::Backend::Postgres)).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                Box::pin(super::$name($crate::Backend::Sqlite)).await
            }
        }
    )+};
}

/// The scope of an ADMIN of `account_id` (its first one), as that member's own request
/// would resolve it: what a test needs to call tenant-scoped domain functions directly.
pub async fn admin_of(db: &DatabaseConnection, account_id: Uuid) -> Tenant {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let admin = tds_entity::membership::Entity::find()
        .filter(tds_entity::membership::Column::AccountId.eq(account_id))
        .filter(tds_entity::membership::Column::Role.eq(tds_entity::Role::Admin))
        .order_by_asc(tds_entity::membership::Column::Id)
        .one(db)
        .await
        .expect("membership read")
        .expect("the account has an ADMIN");
    Operator::command_line()
        .act_as(db, admin.user_id, account_id)
        .await
        .expect("the admin's scope")
}

/// A new user made a member of `account_id` with `role`, and that member's scope.
pub async fn member_of(
    db: &DatabaseConnection,
    account_id: Uuid,
    role: tds_entity::Role,
) -> Tenant {
    use sea_orm::{ActiveModelTrait, Set};
    let operator = Operator::command_line();
    let user = tds_domain::accounts::create_user(
        db,
        &operator,
        tds_domain::accounts::NewUser {
            email: format!("{}@test.invalid", Uuid::new_v4().simple()),
            password: "password123".into(),
            name: String::new(),
            is_superuser: false,
        },
        Utc::now(),
    )
    .await
    .expect("user");
    tds_entity::membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        user_id: Set(user.id),
        role: Set(role),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        created_by: Set(None),
    }
    .insert(db)
    .await
    .expect("membership");
    operator
        .act_as(db, user.id, account_id)
        .await
        .expect("the member's scope")
}

/// A gateway created for a test, with its devices' codes and ids.
#[derive(Debug, Clone)]
pub struct TestGateway {
    /// Gateway id.
    pub id: Uuid,
    /// Normalised MAC.
    pub mac: String,
    /// (code, id) of each device, `D01`, `D02` …
    pub devices: Vec<(String, Uuid)>,
}

/// Creates an account (with a fresh admin) holding `gateways` gateways of `devices`
/// devices each. Devices alternate ENERGY (cumulative) and TEMPERATURE (instant) when
/// `mixed`, otherwise all are ENERGY. MACs start with `prefix` (two hex digits).
pub async fn seed_fleet(
    db: &DatabaseConnection,
    timezone: &str,
    prefix: u8,
    gateways: u32,
    devices: u32,
    mixed: bool,
) -> (account::Model, Vec<TestGateway>) {
    use tds_domain::devices::DeviceDraft;
    use tds_domain::gateways::GatewayDraft;
    let now = Utc::now();
    let tag = Uuid::new_v4().simple().to_string();
    let operator = Operator::command_line();
    let user = accounts::create_user(
        db,
        &operator,
        NewUser {
            email: format!("fleet-{tag}@test.invalid"),
            password: "password123".into(),
            name: String::new(),
            is_superuser: false,
        },
        now,
    )
    .await
    .expect("user");
    let account = accounts::create_account(
        db,
        &operator,
        NewAccount {
            name: format!("Fleet {tag}"),
            timezone: Some(timezone.into()),
            ..Default::default()
        },
        user.id,
        now,
    )
    .await
    .expect("account");
    let tenant = operator
        .act_as(db, user.id, account.id)
        .await
        .expect("the fleet's admin");
    let mut out = Vec::new();
    for g in 0..gateways {
        let mac = format!("02:{prefix:02x}:00:00:{:02x}:{:02x}", g / 256, g % 256);
        let draft = GatewayDraft {
            code: format!("GW{g:04}"),
            mac: mac.clone(),
            name: format!("Gateway {g}"),
            latitude: None,
            longitude: None,
            capacity: devices.max(1) as i32,
            reporting_interval_s: 60,
            status: tds_entity::GatewayStatus::Active,
        };
        let gateway = tds_domain::gateways::create_gateway(db, &tenant, draft, now)
            .await
            .expect("gateway");
        let mut list = Vec::new();
        for d in 1..=devices {
            let kind = if mixed && d % 2 == 0 {
                tds_entity::DeviceKind::Temperature
            } else {
                tds_entity::DeviceKind::Energy
            };
            let draft = DeviceDraft {
                code: format!("D{d:02}"),
                name: format!("Device {d}"),
                kind,
                unit: None,
                measurement: None,
                slave_id: d as i32,
                register: 0,
                conversion_factor: 1.0,
            };
            let device = tds_domain::devices::create_device(db, &tenant, gateway.id, draft, now)
                .await
                .expect("device");
            list.push((device.code, device.id));
        }
        out.push(TestGateway {
            id: gateway.id,
            mac,
            devices: list,
        });
    }
    (account, out)
}

/// A telemetry payload in the firmware's format.
pub fn payload(mac: &str, timestamp: chrono::DateTime<Utc>, readings: &[(&str, f64)]) -> Vec<u8> {
    let items: Vec<Value> = readings
        .iter()
        .map(|(code, value)| serde_json::json!({"dispositivo_codigo": code, "valor": value, "unidade": "kWh"}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "gateway_mac": mac,
        "timestamp": timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "leituras": items,
    }))
    .expect("json")
}

/// The telemetry topic of a gateway.
pub fn telemetry_topic(mac: &str) -> String {
    format!("tds_new/devices/{mac}/telemetry")
}

use chrono::DateTime;
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::BTreeMap;
use tds_domain::rollups::{PERIODS, bucket_start, step};
use tds_entity::{Measurement, RollupPeriod, device, reading, rollup};

/// Rollups recomputed from raw rows, keyed like the table.
#[allow(clippy::type_complexity)]
pub async fn expected_rollups(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
) -> BTreeMap<(Uuid, RollupPeriod, DateTime<Utc>), (i64, f64, f64, f64, f64, f64, Option<f64>)> {
    let measurement: BTreeMap<Uuid, Measurement> = device::Entity::find()
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|d| (d.id, d.measurement))
        .collect();
    let rows = reading::Entity::find()
        .order_by_asc(reading::Column::DeviceId)
        .order_by_asc(reading::Column::Time)
        .all(db)
        .await
        .expect("query");
    let mut out = BTreeMap::new();
    let mut previous: Option<&reading::Model> = None;
    for r in &rows {
        let prev = previous.filter(|p| p.device_id == r.device_id);
        let cumulative = measurement[&r.device_id] == Measurement::Cumulative;
        let inc = prev.map_or(0.0, |p| step(p.value, r.value));
        for period in PERIODS {
            let key = (r.device_id, period, bucket_start(period, r.time, tz));
            let e = out.entry(key).or_insert((
                0,
                0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                r.value,
                r.value,
                cumulative.then_some(0.0),
            ));
            e.0 += 1;
            e.1 += r.value;
            e.2 = e.2.min(r.value);
            e.3 = e.3.max(r.value);
            e.5 = r.value; // rows are in time order: the last one wins
            if let Some(c) = e.6.as_mut() {
                *c += inc;
            }
        }
        previous = Some(r);
    }
    out
}

/// Fails unless the stored rollups equal a recomputation from the raw readings.
#[allow(clippy::unwrap_used)]
pub async fn assert_rollups_match(db: &DatabaseConnection, tz: chrono_tz::Tz) {
    let expected = expected_rollups(db, tz).await;
    let actual: BTreeMap<_, _> = rollup::Entity::find()
        .all(db)
        .await
        .expect("query")
        .into_iter()
        .map(|r| {
            (
                (r.device_id, r.period, r.bucket_start),
                (
                    r.count,
                    r.sum,
                    r.min,
                    r.max,
                    r.first_value,
                    r.last_value,
                    r.consumption,
                ),
            )
        })
        .collect();
    assert_eq!(actual.len(), expected.len(), "same buckets");
    for (key, e) in &expected {
        let a = actual
            .get(key)
            .unwrap_or_else(|| panic!("bucket {key:?} missing"));
        let close = |x: f64, y: f64| (x - y).abs() < 1e-6;
        assert!(
            a.0 == e.0
                && close(a.1, e.1)
                && close(a.2, e.2)
                && close(a.3, e.3)
                && close(a.4, e.4)
                && close(a.5, e.5)
                && match (a.6, e.6) {
                    (Some(x), Some(y)) => close(x, y),
                    (None, None) => true,
                    _ => false,
                },
            "bucket {key:?}: stored {a:?}, recomputed {e:?}"
        );
    }
}

/// Publishes messages with QoS 1 from one plain MQTT client and returns once the broker
/// acknowledged every one.
pub async fn publish_all(mqtt_url: &str, messages: Vec<(String, Vec<u8>)>) {
    use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
    let rest = mqtt_url.trim_start_matches("mqtt://");
    let (host, port) = rest
        .rsplit_once(':')
        .map_or((rest, 1883), |(h, p)| (h, p.parse().expect("port")));
    let mut options = MqttOptions::new(format!("test-pub-{}", Uuid::new_v4().simple()), host, port);
    options
        .set_keep_alive(std::time::Duration::from_secs(30))
        .set_inflight(200)
        .set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, messages.len().max(1) + 10);
    let total = messages.len();
    let sender = tokio::spawn(async move {
        for (topic, payload) in messages {
            client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .await
                .expect("publish queued");
        }
        client
    });
    let mut acked = 0;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked < total {
        let event = tokio::time::timeout_at(deadline, eventloop.poll())
            .await
            .expect("broker acknowledges within a minute")
            .expect("broker reachable");
        match event {
            Event::Incoming(Packet::PubAck(_)) => acked += 1,
            Event::Outgoing(Outgoing::Disconnect) => break,
            _ => {}
        }
    }
    let client = sender.await.expect("sender");
    let _ = client.disconnect().await;
}

/// Polls `check` every 50 ms until it returns true; fails the test after `within`.
pub async fn eventually<F, Fut>(within: std::time::Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Hands each announced event to `heard` until it says enough was heard; panics at the
/// deadline. Events follow their commit, so a test that has read the rows waits for them.
pub async fn hear_until(
    events: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<tds_bus::Event>>,
    within: std::time::Duration,
    what: &str,
    mut heard: impl FnMut(&tds_bus::Event) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let event = match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(event)) => event,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                panic!("the test fell {n} events behind while waiting for: {what}")
            }
            Ok(Err(closed)) => panic!("{closed} while waiting for: {what}"),
            Err(_) => panic!("timed out waiting for: {what}"),
        };
        if heard(&event) {
            return;
        }
    }
}

/// Removes a persistent MQTT session from the broker, so tests leave no queues behind.
pub async fn forget_mqtt_session(mqtt_url: &str, client_id: &str) {
    tds_ingest::forget_session(mqtt_url, client_id).await;
}

/// Deletes every Redis key of a test's namespace (`prefix*`).
pub async fn forget_redis_namespace(redis_url: &str, prefix: &str) {
    tds_bus::queue::forget_prefix(redis_url, prefix).await;
}

/// The steps of one certificate renewal's log, oldest first.
pub async fn renewal_log(
    db: &DatabaseConnection,
    renewal_id: Uuid,
) -> Vec<tds_entity::RenewalStep> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use tds_entity::certificate_renewal_step as step;
    step::Entity::find()
        .filter(step::Column::RenewalId.eq(renewal_id))
        .order_by_asc(step::Column::At)
        .order_by_asc(step::Column::Id)
        .all(db)
        .await
        .expect("renewal log")
        .into_iter()
        .map(|s| s.step)
        .collect()
}

//! What every resolver can reach: the shared state (database, token keys) and the
//! per-request session with its account-scoped loaders.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Request};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tds_domain::auth::TokenKeys;
use tds_domain::{Credentials, DomainError, Session, Tenant};

use crate::error::ApiResult;
use crate::loaders::{AlertRuleById, DeviceById, DevicesByGateway, GatewayById};

/// Shared by all requests.
#[derive(Clone)]
pub struct ApiState {
    /// The database.
    pub db: DatabaseConnection,
    /// Signs and checks login tokens.
    pub keys: TokenKeys,
    /// Live events (subscriptions) and fleet-change announcements.
    pub events: tds_bus::EventBus,
    /// The platform CA, when one was created (`tds certs init-ca`).
    pub pki: Option<std::sync::Arc<tds_certs::CertificateAuthority>>,
    /// Where the CRL is rewritten after a revocation (CA directory, broker directory).
    pub crl_paths: Vec<std::path::PathBuf>,
    /// The nightly renewal schedule (the certificate dashboard shows the next run).
    pub renewal_policy: tds_domain::renewals::RenewalPolicy,
    /// Whether clients may read the schema (`__schema`, `__type`); off in production
    /// deployments that want it (`TDS_GRAPHQL_INTROSPECTION=false`).
    pub introspection: bool,
    /// Sign-in limits and live-session checks.
    pub auth: AuthState,
    /// Where e-mails are queued (invitations); `None` without an SMTP server, and the
    /// inviting admin passes the token on.
    pub notifications: Option<tds_bus::NotificationQueue>,
    /// Where report jobs are queued; `None` where no worker builds reports.
    pub reports: Option<tds_bus::ReportQueue>,
    /// Most persisted queries (APQ) this replica remembers; the least recently used go.
    pub persisted_queries: usize,
}

/// Persisted queries a replica remembers unless configured otherwise.
pub const DEFAULT_PERSISTED_QUERIES: usize = 1000;

impl ApiState {
    /// The state around a database and token keys, everything else at its default:
    /// in-process events, no CA, no queues, introspection on. Deployments and tests
    /// override fields with struct update syntax.
    pub fn new(db: DatabaseConnection, keys: TokenKeys) -> Self {
        Self {
            db,
            keys,
            events: tds_bus::EventBus::in_process(),
            pki: None,
            crl_paths: Vec::new(),
            renewal_policy: Default::default(),
            introspection: true,
            auth: Default::default(),
            notifications: None,
            reports: None,
            persisted_queries: DEFAULT_PERSISTED_QUERIES,
        }
    }
}

/// Sign-in protection and the re-check of live (WebSocket) sessions.
#[derive(Clone)]
pub struct AuthState {
    /// Sign-in allowances per e-mail and per client address.
    pub login_limits: tds_domain::auth::LoginLimits,
    /// Where attempts are counted (Redis with several replicas).
    pub counters: tds_bus::WindowCounters,
    /// How often a WebSocket session is re-checked without being told to.
    pub session_recheck: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Expensive requests allowed per user (counted in `counters` too).
    pub expensive: tds_domain::auth::ExpensiveLimits,
}

impl Default for AuthState {
    /// Default limits counted in this process, a 60 s re-check, no trusted proxy.
    fn default() -> Self {
        Self {
            login_limits: Default::default(),
            counters: tds_bus::WindowCounters::in_process(),
            session_recheck: std::time::Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            expensive: Default::default(),
        }
    }
}

/// Loaders batch nested fields into one query per level; they are built per request for
/// the caller's account, so a cached value can never cross tenants.
pub struct Loaders {
    /// Devices of gateways.
    pub devices_by_gateway: DataLoader<DevicesByGateway>,
    /// Gateways by id.
    pub gateway_by_id: DataLoader<GatewayById>,
    /// Devices by id.
    pub device_by_id: DataLoader<DeviceById>,
    /// Alert rules by id.
    pub alert_rule_by_id: DataLoader<AlertRuleById>,
}

/// Per-request data: who is calling, from where, and their loaders.
pub struct RequestScope {
    /// The resolved session.
    pub session: Session,
    /// Present when the session has a tenant.
    pub loaders: Option<Loaders>,
    /// The client's address, when the transport knows it (sign-in limits use it).
    pub client: Option<std::net::IpAddr>,
    /// Set by the first `login` of the request: aliases cannot multiply guesses.
    pub(crate) login_tried: std::sync::atomic::AtomicBool,
}

impl RequestScope {
    /// Resolves credentials (one or two small queries) and prepares the loaders.
    pub async fn resolve(
        state: &ApiState,
        credentials: &Credentials,
    ) -> Result<Self, sea_orm::DbErr> {
        let session = Session::resolve(&state.db, &state.keys, credentials, Utc::now()).await?;
        Ok(Self::for_session(state, session))
    }

    /// The scope of an already resolved session (one operation of a WebSocket connection).
    pub fn for_session(state: &ApiState, session: Session) -> Self {
        let loaders = session.tenant().ok().map(|tenant| Loaders {
            devices_by_gateway: DataLoader::new(
                DevicesByGateway {
                    db: state.db.clone(),
                    account_id: tenant.account_id(),
                },
                tokio::spawn,
            ),
            gateway_by_id: DataLoader::new(
                GatewayById {
                    db: state.db.clone(),
                    account_id: tenant.account_id(),
                },
                tokio::spawn,
            ),
            device_by_id: DataLoader::new(
                DeviceById {
                    db: state.db.clone(),
                    account_id: tenant.account_id(),
                },
                tokio::spawn,
            ),
            alert_rule_by_id: DataLoader::new(
                AlertRuleById {
                    db: state.db.clone(),
                    account_id: tenant.account_id(),
                },
                tokio::spawn,
            ),
        });
        Self {
            session,
            loaders,
            client: None,
            login_tried: Default::default(),
        }
    }

    /// The same scope with the client's address.
    pub fn with_client(mut self, client: Option<std::net::IpAddr>) -> Self {
        self.client = client;
        self
    }

    /// Attaches this scope to a GraphQL request.
    pub fn attach(self, request: Request) -> Request {
        request.data(self)
    }
}

/// Typed access to state and session from a resolver.
pub(crate) trait ContextExt {
    fn state(&self) -> &ApiState;
    fn scope(&self) -> ApiResult<&RequestScope>;
    fn tenant(&self) -> ApiResult<&Tenant>;
    fn loaders(&self) -> ApiResult<&Loaders>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &ApiState {
        // The schema is always built with its state (see `build_schema`).
        self.data_unchecked::<ApiState>()
    }

    fn scope(&self) -> ApiResult<&RequestScope> {
        self.data_opt::<RequestScope>().ok_or_else(|| {
            DomainError::Unauthenticated("sign in first: Authorization: Bearer <token>".into())
                .into()
        })
    }

    fn tenant(&self) -> ApiResult<&Tenant> {
        Ok(self.scope()?.session.tenant()?)
    }

    fn loaders(&self) -> ApiResult<&Loaders> {
        self.tenant()?;
        self.scope()?.loaders.as_ref().ok_or_else(|| {
            DomainError::Internal("loaders missing for a tenant session".into()).into()
        })
    }
}

//! GraphQL object types. Entities are wrapped, not exposed: the API shows what a
//! client needs, in its own names, and database columns can change underneath.

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use base64::Engine;
use chrono::{DateTime, Utc};
use tds_domain::DomainError;
use tds_entity::{account, device, gateway, user};
use uuid::Uuid;

use crate::alerts::Alert;
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};
use crate::pki::CertificateRenewal;
use crate::reports::Report;

/// Parses an id argument; anything that is not one of our ids is simply not found.
pub(crate) fn parse_id(id: &ID, what: &'static str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| DomainError::NotFound(what).into())
}

/// Opaque cursor of a list item.
pub(crate) fn encode_cursor(id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Reads a cursor back; a malformed one is a VALIDATION error on `after`.
pub(crate) fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<Uuid>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| DomainError::invalid("after", "not a cursor from this API").into())
}

pub(crate) fn loader_error(e: std::sync::Arc<DomainError>) -> ApiError {
    DomainError::Internal(e.to_string()).into()
}

/// A member's role in an account.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::Role")]
pub enum Role {
    /// Everything: also members, invitations and the account's settings.
    Admin,
    /// Create and edit gateways, devices, certificates, alert rules and reports.
    Editor,
    /// Read everything in the account; change nothing.
    Viewer,
}

/// Operational status of a gateway.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::GatewayStatus")]
pub enum GatewayStatus {
    /// In service.
    Active,
    /// Out of service; its telemetry is refused.
    Inactive,
    /// Under maintenance.
    Maintenance,
    /// Reported faulty.
    Error,
}

/// What a device meters.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::DeviceKind")]
pub enum DeviceKind {
    /// Water meter.
    Water,
    /// Energy meter.
    Energy,
    /// Gas meter.
    Gas,
    /// Temperature sensor.
    Temperature,
}

/// Register (consumption = increase) or momentary value (min / avg / max).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "tds_entity::Measurement")]
pub enum Measurement {
    /// A growing register.
    Cumulative,
    /// A momentary value.
    Instant,
}

/// A person who signs in.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Platform operator.
    async fn is_superuser(&self) -> bool {
        self.0.is_superuser
    }
}

/// A tenant, seen by one of its members.
pub struct Account {
    /// The account.
    pub model: account::Model,
    /// The caller's role in it.
    pub role: tds_entity::Role,
}

#[Object]
impl Account {
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.model.name
    }
    /// CNPJ, 14 digits.
    async fn tax_id(&self) -> Option<&str> {
        self.model.tax_id.as_deref()
    }
    async fn plan(&self) -> &str {
        &self.model.plan
    }
    /// False once the licence expired.
    async fn is_active(&self) -> bool {
        self.model.is_active
    }
    /// IANA time zone of daily and monthly buckets.
    async fn timezone(&self) -> &str {
        &self.model.timezone
    }
    async fn locale(&self) -> &str {
        &self.model.locale
    }
    /// Days readings are kept.
    async fn retention_days(&self) -> i32 {
        self.model.retention_days
    }
    /// Days report files are kept after they are made.
    async fn report_retention_days(&self) -> i32 {
        self.model.report_retention_days
    }
    /// The caller's role in this account.
    async fn role(&self) -> Role {
        self.role.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
}

/// A user's membership of the current account.
pub struct Member(pub tds_domain::members::Member);

#[Object]
impl Member {
    /// Member id (use it to change the role or remove the member).
    async fn id(&self) -> ID {
        ID(self.0.membership.id.to_string())
    }
    async fn user(&self) -> User {
        User(self.0.user.clone())
    }
    async fn role(&self) -> Role {
        self.0.membership.role.into()
    }
    async fn joined_at(&self) -> DateTime<Utc> {
        self.0.membership.created_at
    }
}

/// An invitation to join the current account.
#[derive(SimpleObject)]
pub struct Invitation {
    /// Invitation id.
    pub id: ID,
    /// Invited address.
    pub email: String,
    /// Role on acceptance.
    pub role: Role,
    /// Last moment it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// One-time token to send to the invitee; shown only now.
    pub token: String,
}

/// A signed-in session.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: User,
}

/// A geographic position.
#[derive(SimpleObject)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

/// A Modbus gateway that publishes its devices' readings.
pub struct Gateway(pub gateway::Model);

#[Object]
impl Gateway {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Code, unique in the account.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Normalised `aa:bb:cc:dd:ee:ff`.
    async fn mac(&self) -> &str {
        &self.0.mac
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn location(&self) -> Option<Location> {
        Some(Location {
            latitude: self.0.latitude?,
            longitude: self.0.longitude?,
        })
    }
    /// Most devices it may carry.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Expected seconds between two telemetry messages.
    async fn reporting_interval_s(&self) -> i32 {
        self.0.reporting_interval_s
    }
    async fn status(&self) -> GatewayStatus {
        self.0.status.into()
    }
    async fn is_online(&self) -> bool {
        self.0.is_online
    }
    async fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen_at
    }
    /// How its certificate is renewed over the air.
    async fn renewal_mode(&self) -> crate::pki::RenewalMode {
        self.0.renewal_mode.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Devices behind this gateway, by code (batched across gateways).
    #[graphql(complexity = "8 * child_complexity")]
    async fn devices(&self, ctx: &Context<'_>) -> ApiResult<Vec<Device>> {
        let devices = ctx
            .loaders()?
            .devices_by_gateway
            .load_one(self.0.id)
            .await
            .map_err(loader_error)?
            .unwrap_or_default();
        Ok(devices.into_iter().map(Device).collect())
    }
    /// How many devices it carries.
    async fn device_count(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        let devices = ctx
            .loaders()?
            .devices_by_gateway
            .load_one(self.0.id)
            .await
            .map_err(loader_error)?;
        Ok(devices.map_or(0, |d| d.len() as i32))
    }
}

/// A meter or sensor behind a gateway.
pub struct Device(pub device::Model);

#[Object]
impl Device {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The `dispositivo_codigo` in telemetry, unique per gateway.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> DeviceKind {
        self.0.kind.into()
    }
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    async fn measurement(&self) -> Measurement {
        self.0.measurement.into()
    }
    /// Modbus slave id (1–247).
    async fn slave_id(&self) -> i32 {
        self.0.slave_id
    }
    /// Modbus holding register (0–65535).
    async fn register(&self) -> i32 {
        self.0.register
    }
    async fn conversion_factor(&self) -> f64 {
        self.0.conversion_factor
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The gateway it sits behind (batched).
    async fn gateway(&self, ctx: &Context<'_>) -> ApiResult<Gateway> {
        ctx.loaders()?
            .gateway_by_id
            .load_one(self.0.gateway_id)
            .await
            .map_err(loader_error)?
            .map(Gateway)
            .ok_or_else(|| DomainError::NotFound("gateway").into())
    }
}

/// Where a page ends.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// More items follow.
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(SimpleObject)]
        #[graphql(complex)]
        pub struct $conn {
            /// Items with their cursors.
            pub edges: Vec<$edge>,
            /// Where this page ends.
            pub page_info: PageInfo,
        }

        #[ComplexObject]
        impl $conn {
            /// The items without cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }
        }

        /// One item of a page with its cursor.
        #[derive(SimpleObject)]
        pub struct $edge {
            /// Opaque position of this item.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $conn {
            pub(crate) fn from_page<M>(
                page: tds_domain::page::Page<M>,
                id: impl Fn(&M) -> Uuid,
                mut wrap: impl FnMut(M) -> $node,
            ) -> Self {
                let end_cursor = page.items.last().map(|m| encode_cursor(id(m)));
                let edges = page
                    .items
                    .into_iter()
                    .map(|m| $edge {
                        cursor: encode_cursor(id(&m)),
                        node: wrap(m),
                    })
                    .collect();
                Self {
                    edges,
                    page_info: PageInfo {
                        has_next_page: page.has_next_page,
                        end_cursor,
                    },
                }
            }
        }
    };
}

connection!(
    GatewayConnection,
    GatewayEdge,
    Gateway,
    "A page of gateways."
);
connection!(DeviceConnection, DeviceEdge, Device, "A page of devices.");
connection!(
    AlertConnection,
    AlertEdge,
    Alert,
    "A page of alerts, newest first."
);
connection!(
    ReportConnection,
    ReportEdge,
    Report,
    "A page of reports, newest first."
);
connection!(
    CertificateRenewalConnection,
    CertificateRenewalEdge,
    CertificateRenewal,
    "A page of the renewal log."
);

/// Gateway list filter.
#[derive(InputObject, Default)]
pub struct GatewayFilter {
    /// Only this status.
    pub status: Option<GatewayStatus>,
    /// Only online (true) or offline (false) gateways.
    pub is_online: Option<bool>,
    /// Code, name or MAC contains this text.
    pub search: Option<String>,
}

/// Device list filter.
#[derive(InputObject, Default)]
pub struct DeviceFilter {
    /// Only devices of this gateway.
    pub gateway_id: Option<ID>,
    /// Only this kind.
    pub kind: Option<DeviceKind>,
    /// Code or name contains this text.
    pub search: Option<String>,
}

/// Position input.
#[derive(InputObject)]
pub struct LocationInput {
    /// Degrees north (−90..90).
    pub latitude: f64,
    /// Degrees east (−180..180).
    pub longitude: f64,
}

/// A new gateway.
#[derive(InputObject)]
pub struct CreateGatewayInput {
    /// Up to 30 letters, digits, `-`, `_`; unique in the account.
    pub code: String,
    /// Any usual notation; stored as `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    pub name: String,
    pub location: Option<LocationInput>,
    /// Most devices (default 8, at most 247).
    pub capacity: Option<i32>,
    /// Seconds between telemetry messages (default 300).
    pub reporting_interval_s: Option<i32>,
    /// Default ACTIVE.
    pub status: Option<GatewayStatus>,
}

/// Changes to a gateway; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateGatewayInput {
    pub code: Option<String>,
    pub mac: Option<String>,
    pub name: Option<String>,
    /// `null` clears the location.
    pub location: async_graphql::MaybeUndefined<LocationInput>,
    pub capacity: Option<i32>,
    pub reporting_interval_s: Option<i32>,
    pub status: Option<GatewayStatus>,
    /// How the gateway's certificate is renewed over the air.
    pub renewal_mode: Option<crate::pki::RenewalMode>,
}

/// A new device.
#[derive(InputObject)]
pub struct CreateDeviceInput {
    /// The gateway it sits behind.
    pub gateway_id: ID,
    /// Up to 20 letters, digits, `-`, `_`; unique per gateway (e.g. `D01`).
    pub code: String,
    pub name: String,
    pub kind: DeviceKind,
    /// Default: m³ for water and gas, kWh for energy, °C for temperature.
    pub unit: Option<String>,
    /// Default: INSTANT for temperature, CUMULATIVE otherwise.
    pub measurement: Option<Measurement>,
    /// Modbus slave id 1–247, unique per gateway.
    pub slave_id: i32,
    /// Modbus holding register 0–65535.
    pub register: i32,
    /// Default 1.
    pub conversion_factor: Option<f64>,
}

/// Changes to a device; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateDeviceInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<DeviceKind>,
    pub unit: Option<String>,
    pub measurement: Option<Measurement>,
    pub slave_id: Option<i32>,
    pub register: Option<i32>,
    pub conversion_factor: Option<f64>,
}

/// A new account (platform operators).
#[derive(InputObject)]
pub struct CreateAccountInput {
    pub name: String,
    /// CNPJ, optional.
    pub tax_id: Option<String>,
    /// IANA time zone (default America/Sao_Paulo).
    pub timezone: Option<String>,
    /// pt-BR (default) or en.
    pub locale: Option<String>,
    /// E-mail of the first ADMIN; the caller when omitted.
    pub admin_email: Option<String>,
}

/// Changes to the current account; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateAccountInput {
    pub name: Option<String>,
    /// Empty string clears it.
    pub tax_id: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub retention_days: Option<i32>,
    /// Days report files are kept (1–3650); a file already made keeps its date.
    pub report_retention_days: Option<i32>,
}

//! Gateways of an account: create, read, update, delete, with per-field validation.
//! A gateway's certificates follow it: deleting it, changing its MAC or setting it
//! INACTIVE revokes them in the same transaction (see [`crate::certificates`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_entity::{GatewayStatus, Role, certificate, device, gateway, reading, rollup};
use uuid::Uuid;

use crate::certificates::{GatewayEnd, mac_still_certified, revoke_gateway_certificates};
use crate::error::{DomainError, DomainResult, FieldError};
use crate::page::{Page, PageRequest};
use crate::tenant::Tenant;
use crate::values::{Mac, parse_code, parse_name};

/// Default most devices per gateway (the seeds' gateways read 8 meters).
pub const DEFAULT_CAPACITY: i32 = 8;
/// Modbus addresses 1–247: no gateway can carry more.
pub const MAX_CAPACITY: i32 = 247;
/// Default reporting interval: five minutes.
pub const DEFAULT_REPORTING_INTERVAL_S: i32 = 300;

/// Everything a gateway is made of, before it is stored.
#[derive(Debug, Clone)]
pub struct GatewayDraft {
    /// Code, unique in the account.
    pub code: String,
    /// MAC in any usual notation.
    pub mac: String,
    /// Display name.
    pub name: String,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Most devices.
    pub capacity: i32,
    /// Seconds between two telemetry messages.
    pub reporting_interval_s: i32,
    /// Operational status.
    pub status: GatewayStatus,
}

/// Changes to a gateway; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct GatewayPatch {
    /// New code.
    pub code: Option<String>,
    /// New MAC.
    pub mac: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New latitude.
    pub latitude: Option<Option<f64>>,
    /// New longitude.
    pub longitude: Option<Option<f64>>,
    /// New capacity.
    pub capacity: Option<i32>,
    /// New reporting interval.
    pub reporting_interval_s: Option<i32>,
    /// New status.
    pub status: Option<GatewayStatus>,
    /// New over-the-air renewal mode.
    pub renewal_mode: Option<tds_entity::RenewalMode>,
}

/// Which gateways to list.
#[derive(Debug, Clone, Default)]
pub struct GatewayFilter {
    /// Only this status.
    pub status: Option<GatewayStatus>,
    /// Only online (true) or offline (false) ones.
    pub is_online: Option<bool>,
    /// Code, name or MAC contains this (case-insensitive).
    pub search: Option<String>,
}

/// A validated draft: MAC normalised, code and name trimmed.
struct ValidGateway {
    code: String,
    mac: Mac,
    name: String,
    draft: GatewayDraft,
}

fn validate(draft: GatewayDraft) -> DomainResult<ValidGateway> {
    let mut errors = Vec::new();
    let code = parse_code(&draft.code, 30).map_err(|m| errors.push(FieldError::new("code", m)));
    let mac = Mac::parse(&draft.mac).map_err(|m| errors.push(FieldError::new("mac", m)));
    let name = parse_name(&draft.name).map_err(|m| errors.push(FieldError::new("name", m)));
    if draft.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        errors.push(FieldError::new("latitude", "between -90 and 90"));
    }
    if draft
        .longitude
        .is_some_and(|v| !(-180.0..=180.0).contains(&v))
    {
        errors.push(FieldError::new("longitude", "between -180 and 180"));
    }
    if !(1..=MAX_CAPACITY).contains(&draft.capacity) {
        errors.push(FieldError::new(
            "capacity",
            format!("between 1 and {MAX_CAPACITY} devices"),
        ));
    }
    if !(10..=86_400).contains(&draft.reporting_interval_s) {
        errors.push(FieldError::new(
            "reportingIntervalS",
            "between 10 and 86400 seconds",
        ));
    }
    match (code, mac, name) {
        (Ok(code), Ok(mac), Ok(name)) if errors.is_empty() => Ok(ValidGateway {
            code,
            mac,
            name,
            draft,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// Checks what only the database knows: MAC free across all accounts, code free in the account.
async fn check_unique(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    valid: &ValidGateway,
    except: Option<Uuid>,
) -> DomainResult<()> {
    let mut errors = Vec::new();
    let mut same_mac = gateway::Entity::find().filter(gateway::Column::Mac.eq(valid.mac.as_str()));
    let mut same_code = gateway::Entity::find()
        .filter(gateway::Column::AccountId.eq(tenant.account_id))
        .filter(gateway::Column::Code.eq(&valid.code));
    if let Some(id) = except {
        same_mac = same_mac.filter(gateway::Column::Id.ne(id));
        same_code = same_code.filter(gateway::Column::Id.ne(id));
    }
    // The topic carries no account, so a MAC is unique platform-wide; the message does
    // not say which account holds it.
    if same_mac.count(db).await? > 0 {
        errors.push(FieldError::new("mac", "this MAC is already registered"));
    } else if mac_still_certified(db, &valid.mac, except).await? {
        // The broker would let that certificate speak for the new gateway.
        errors.push(FieldError::new(
            "mac",
            "a certificate that is not revoked still carries this MAC: it can be registered \
             once that certificate is revoked",
        ));
    }
    if same_code.count(db).await? > 0 {
        errors.push(FieldError::new(
            "code",
            "another gateway of this account has this code",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// One gateway of the caller's account.
pub async fn get_gateway(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<gateway::Model> {
    gateway::Entity::find_by_id(id)
        .filter(gateway::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("gateway"))
}

/// One gateway of the caller's account, held against any other change until the
/// transaction ends (PostgreSQL row lock; SQLite runs one writer at a time anyway).
async fn get_gateway_for_change(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<gateway::Model> {
    gateway::Entity::find_by_id(id)
        .filter(gateway::Column::AccountId.eq(tenant.account_id))
        .lock(LockType::Update)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("gateway"))
}

/// Reads a gateway and keeps it from being deleted or changed until the transaction ends,
/// while others may hold it too: what certificate steps (issue, revoke, renewal) take
/// first, so they never interleave with a change of the gateway.
pub(crate) async fn hold_gateway(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> DomainResult<Option<gateway::Model>> {
    Ok(gateway::Entity::find_by_id(id)
        .lock(LockType::KeyShare)
        .one(db)
        .await?)
}

/// A gateway as changed, with the certificates the change revoked: once it returns, the
/// caller rewrites the CRL ([`crate::certificates::write_crl`]) and tells the workers.
#[derive(Debug, Clone)]
pub struct GatewayChange {
    /// The gateway now.
    pub gateway: gateway::Model,
    /// Certificates revoked with the change (its MAC changed, or it became INACTIVE).
    pub revoked: Vec<certificate::Model>,
}

/// Case-insensitive "contains" on a text column, with LIKE wildcards in the needle escaped.
pub(crate) fn contains_ci(col: impl ColumnTrait, needle: &str) -> sea_orm::sea_query::SimpleExpr {
    let escaped = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// A page of the caller's gateways, in creation order.
pub async fn list_gateways(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    filter: &GatewayFilter,
    page: PageRequest,
) -> DomainResult<Page<gateway::Model>> {
    let mut query =
        gateway::Entity::find().filter(gateway::Column::AccountId.eq(tenant.account_id));
    if let Some(status) = filter.status {
        query = query.filter(gateway::Column::Status.eq(status));
    }
    if let Some(online) = filter.is_online {
        query = query.filter(gateway::Column::IsOnline.eq(online));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        query = query.filter(
            Condition::any()
                .add(contains_ci(gateway::Column::Code, search))
                .add(contains_ci(gateway::Column::Name, search))
                .add(contains_ci(gateway::Column::Mac, search)),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(gateway::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(gateway::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// Registers a gateway (EDITOR).
pub async fn create_gateway(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    draft: GatewayDraft,
    now: DateTime<Utc>,
) -> DomainResult<gateway::Model> {
    tenant.require(Role::Editor)?;
    let valid = validate(draft)?;
    check_unique(db, tenant, &valid, None).await?;
    Ok(gateway::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(tenant.account_id),
        code: Set(valid.code),
        mac: Set(valid.mac.as_str().to_owned()),
        name: Set(valid.name),
        latitude: Set(valid.draft.latitude),
        longitude: Set(valid.draft.longitude),
        capacity: Set(valid.draft.capacity),
        reporting_interval_s: Set(valid.draft.reporting_interval_s),
        status: Set(valid.draft.status),
        is_online: Set(false),
        last_seen_at: Set(None),
        // The seeds' firmware takes a server-generated key; CSR is opted into per gateway.
        renewal_mode: Set(tds_entity::RenewalMode::ServerKey),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(tenant.user_id)),
    }
    .insert(db)
    .await?)
}

/// Changes a gateway (EDITOR). Capacity cannot drop below the devices it carries. A new
/// MAC (`affiliation-changed`) or the INACTIVE status (`cessation-of-operation`) revokes
/// the gateway's certificates and stops their renewals in the same transaction.
pub async fn update_gateway(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: Uuid,
    patch: GatewayPatch,
    now: DateTime<Utc>,
) -> DomainResult<GatewayChange> {
    tenant.require(Role::Editor)?;
    let txn = db.begin().await?;
    let current = get_gateway_for_change(&txn, tenant, id).await?;
    let draft = GatewayDraft {
        code: patch.code.unwrap_or_else(|| current.code.clone()),
        mac: patch.mac.unwrap_or_else(|| current.mac.clone()),
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        latitude: patch.latitude.unwrap_or(current.latitude),
        longitude: patch.longitude.unwrap_or(current.longitude),
        capacity: patch.capacity.unwrap_or(current.capacity),
        reporting_interval_s: patch
            .reporting_interval_s
            .unwrap_or(current.reporting_interval_s),
        status: patch.status.unwrap_or(current.status),
    };
    let valid = validate(draft)?;
    check_unique(&txn, tenant, &valid, Some(id)).await?;
    let carried = device::Entity::find()
        .filter(device::Column::GatewayId.eq(id))
        .count(&txn)
        .await?;
    if (valid.draft.capacity as u64) < carried {
        return Err(DomainError::invalid(
            "capacity",
            format!("the gateway carries {carried} devices: remove some first"),
        ));
    }
    let end = if valid.draft.status == GatewayStatus::Inactive {
        Some(GatewayEnd::Deactivated)
    } else if valid.mac.as_str() != current.mac {
        Some(GatewayEnd::MacChanged)
    } else {
        None
    };
    let mut model: gateway::ActiveModel = current.into();
    model.code = Set(valid.code);
    model.mac = Set(valid.mac.as_str().to_owned());
    model.name = Set(valid.name);
    model.latitude = Set(valid.draft.latitude);
    model.longitude = Set(valid.draft.longitude);
    model.capacity = Set(valid.draft.capacity);
    model.reporting_interval_s = Set(valid.draft.reporting_interval_s);
    model.status = Set(valid.draft.status);
    if let Some(mode) = patch.renewal_mode {
        model.renewal_mode = Set(mode);
    }
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    let revoked = match end {
        Some(end) => revoke_gateway_certificates(&txn, id, end, now).await?,
        None => Vec::new(),
    };
    txn.commit().await?;
    Ok(GatewayChange {
        gateway: updated,
        revoked,
    })
}

/// Deletes a gateway with its devices and their readings and rollups (EDITOR). Its
/// certificates are revoked (`cessation-of-operation`) and their renewals stopped in the
/// same transaction; they stay in the account's history, without the gateway. Returns
/// them, for the CRL and the workers once committed.
pub async fn delete_gateway(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Vec<certificate::Model>> {
    tenant.require(Role::Editor)?;
    let txn = db.begin().await?;
    let gateway = get_gateway_for_change(&txn, tenant, id).await?;
    let revoked = revoke_gateway_certificates(&txn, gateway.id, GatewayEnd::Deleted, now).await?;
    // Readings carry no foreign key (they are partitioned and hot), so they go explicitly.
    reading::Entity::delete_many()
        .filter(reading::Column::GatewayId.eq(gateway.id))
        .exec(&txn)
        .await?;
    let device_ids: Vec<Uuid> = device::Entity::find()
        .filter(device::Column::GatewayId.eq(gateway.id))
        .select_only()
        .column(device::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    rollup::Entity::delete_many()
        .filter(rollup::Column::DeviceId.is_in(device_ids))
        .exec(&txn)
        .await?;
    device::Entity::delete_many()
        .filter(device::Column::GatewayId.eq(gateway.id))
        .exec(&txn)
        .await?;
    gateway::Entity::delete_by_id(gateway.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(revoked)
}

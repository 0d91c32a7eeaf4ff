//! Devices behind a gateway: Modbus addressing, codes, units, capacity.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tds_entity::{DeviceKind, Measurement, Role, device, gateway, reading, rollup};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, FieldError};
use crate::gateways::get_gateway;
use crate::page::{Page, PageRequest};
use crate::tenant::Tenant;
use crate::values::{parse_code, parse_name};

/// A device as entered, before validation.
#[derive(Debug, Clone)]
pub struct DeviceDraft {
    /// Payload code (`dispositivo_codigo`), unique per gateway.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it meters.
    pub kind: DeviceKind,
    /// Unit; the kind's usual unit when absent.
    pub unit: Option<String>,
    /// Register or momentary value; CUMULATIVE except for temperature when absent.
    pub measurement: Option<Measurement>,
    /// Modbus slave id, 1–247.
    pub slave_id: i32,
    /// Modbus holding register, 0–65535.
    pub register: i32,
    /// Raw register value × factor = value in `unit`.
    pub conversion_factor: f64,
}

/// Changes to a device; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct DevicePatch {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<DeviceKind>,
    /// New unit.
    pub unit: Option<String>,
    /// New measurement.
    pub measurement: Option<Measurement>,
    /// New slave id.
    pub slave_id: Option<i32>,
    /// New register.
    pub register: Option<i32>,
    /// New factor.
    pub conversion_factor: Option<f64>,
}

/// Which devices to list.
#[derive(Debug, Clone, Default)]
pub struct DeviceFilter {
    /// Only devices of this gateway.
    pub gateway_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<DeviceKind>,
    /// Code or name contains this (case-insensitive).
    pub search: Option<String>,
}

/// The unit a kind of meter usually reports in.
pub fn default_unit(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Water | DeviceKind::Gas => "m³",
        DeviceKind::Energy => "kWh",
        DeviceKind::Temperature => "°C",
    }
}

/// Meters accumulate; sensors report momentary values.
pub fn default_measurement(kind: DeviceKind) -> Measurement {
    match kind {
        DeviceKind::Temperature => Measurement::Instant,
        _ => Measurement::Cumulative,
    }
}

struct ValidDevice {
    code: String,
    name: String,
    unit: String,
    measurement: Measurement,
    draft: DeviceDraft,
}

fn validate(draft: DeviceDraft) -> DomainResult<ValidDevice> {
    let mut errors = Vec::new();
    let code = parse_code(&draft.code, 20).map_err(|m| errors.push(FieldError::new("code", m)));
    let name = parse_name(&draft.name).map_err(|m| errors.push(FieldError::new("name", m)));
    let unit = draft
        .unit
        .clone()
        .unwrap_or_else(|| default_unit(draft.kind).into());
    let unit = unit.trim().to_owned();
    if unit.is_empty() || unit.chars().count() > 16 {
        errors.push(FieldError::new("unit", "1 to 16 characters"));
    }
    if !(1..=247).contains(&draft.slave_id) {
        errors.push(FieldError::new(
            "slaveId",
            "a Modbus slave id is between 1 and 247",
        ));
    }
    if !(0..=65_535).contains(&draft.register) {
        errors.push(FieldError::new(
            "register",
            "a Modbus register is between 0 and 65535",
        ));
    }
    if !draft.conversion_factor.is_finite() || draft.conversion_factor == 0.0 {
        errors.push(FieldError::new(
            "conversionFactor",
            "a finite, non-zero number",
        ));
    }
    let measurement = draft
        .measurement
        .unwrap_or_else(|| default_measurement(draft.kind));
    match (code, name) {
        (Ok(code), Ok(name)) if errors.is_empty() => Ok(ValidDevice {
            code,
            name,
            unit,
            measurement,
            draft,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

async fn check_unique(
    db: &impl ConnectionTrait,
    gateway_id: Uuid,
    valid: &ValidDevice,
    except: Option<Uuid>,
) -> DomainResult<()> {
    let mut errors = Vec::new();
    let siblings = || {
        let q = device::Entity::find().filter(device::Column::GatewayId.eq(gateway_id));
        match except {
            Some(id) => q.filter(device::Column::Id.ne(id)),
            None => q,
        }
    };
    if siblings()
        .filter(device::Column::Code.eq(&valid.code))
        .count(db)
        .await?
        > 0
    {
        errors.push(FieldError::new(
            "code",
            "another device of this gateway has this code",
        ));
    }
    if siblings()
        .filter(device::Column::SlaveId.eq(valid.draft.slave_id))
        .count(db)
        .await?
        > 0
    {
        errors.push(FieldError::new(
            "slaveId",
            "another device of this gateway uses this slave id",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors))
    }
}

/// One device of the caller's account.
pub async fn get_device(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    id: Uuid,
) -> DomainResult<device::Model> {
    device::Entity::find_by_id(id)
        .filter(device::Column::AccountId.eq(tenant.account_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("device"))
}

/// A page of the caller's devices, in creation order.
pub async fn list_devices(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    filter: &DeviceFilter,
    page: PageRequest,
) -> DomainResult<Page<device::Model>> {
    let mut query = device::Entity::find().filter(device::Column::AccountId.eq(tenant.account_id));
    if let Some(gateway_id) = filter.gateway_id {
        // Another account's gateway id yields NOT_FOUND, not an empty list: ids cannot be probed
        // either way, and a wrong id is a client bug worth reporting.
        get_gateway(db, tenant, gateway_id).await?;
        query = query.filter(device::Column::GatewayId.eq(gateway_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(device::Column::Kind.eq(kind));
    }
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let like = |col| crate::gateways::contains_ci(col, search);
        query = query.filter(
            Condition::any()
                .add(like(device::Column::Code))
                .add(like(device::Column::Name)),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(device::Column::Id.gt(after));
    }
    let rows = query
        .order_by_asc(device::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// Devices of several gateways of one account in one query, grouped by gateway
/// (what the GraphQL loader batches nested `devices` fields into).
pub async fn devices_of_gateways(
    db: &impl ConnectionTrait,
    account_id: Uuid,
    gateway_ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, Vec<device::Model>>> {
    let rows = device::Entity::find()
        .filter(device::Column::AccountId.eq(account_id))
        .filter(device::Column::GatewayId.is_in(gateway_ids.iter().copied()))
        .order_by_asc(device::Column::Code)
        .all(db)
        .await?;
    let mut grouped: HashMap<Uuid, Vec<device::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.gateway_id).or_default().push(row);
    }
    Ok(grouped)
}

/// Adds a device to a gateway (EDITOR); refuses when the gateway is full.
pub async fn create_device(
    db: &DatabaseConnection,
    tenant: &Tenant,
    gateway_id: Uuid,
    draft: DeviceDraft,
    now: DateTime<Utc>,
) -> DomainResult<device::Model> {
    tenant.require(Role::Editor)?;
    let valid = validate(draft)?;
    let txn = db.begin().await?;
    // Lock the gateway row so two concurrent creations cannot both see a free slot.
    let mut gateway_query = gateway::Entity::find_by_id(gateway_id)
        .filter(gateway::Column::AccountId.eq(tenant.account_id));
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        gateway_query = gateway_query.lock_exclusive();
    }
    let gateway = gateway_query
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("gateway"))?;
    let carried = device::Entity::find()
        .filter(device::Column::GatewayId.eq(gateway.id))
        .count(&txn)
        .await?;
    if carried >= gateway.capacity as u64 {
        return Err(DomainError::invalid(
            "gatewayId",
            format!(
                "gateway {} is full ({} of {} devices)",
                gateway.code, carried, gateway.capacity
            ),
        ));
    }
    check_unique(&txn, gateway.id, &valid, None).await?;
    let created = device::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(tenant.account_id),
        gateway_id: Set(gateway.id),
        code: Set(valid.code),
        name: Set(valid.name),
        kind: Set(valid.draft.kind),
        unit: Set(valid.unit),
        measurement: Set(valid.measurement),
        slave_id: Set(valid.draft.slave_id),
        register: Set(valid.draft.register),
        conversion_factor: Set(valid.draft.conversion_factor),
        last_reading_at: Set(None),
        last_value: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(Some(tenant.user_id)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a device (EDITOR).
pub async fn update_device(
    db: &DatabaseConnection,
    tenant: &Tenant,
    id: Uuid,
    patch: DevicePatch,
    now: DateTime<Utc>,
) -> DomainResult<device::Model> {
    tenant.require(Role::Editor)?;
    let txn = db.begin().await?;
    let current = get_device(&txn, tenant, id).await?;
    let draft = DeviceDraft {
        code: patch.code.unwrap_or_else(|| current.code.clone()),
        name: patch.name.unwrap_or_else(|| current.name.clone()),
        kind: patch.kind.unwrap_or(current.kind),
        unit: Some(patch.unit.unwrap_or_else(|| current.unit.clone())),
        measurement: Some(patch.measurement.unwrap_or(current.measurement)),
        slave_id: patch.slave_id.unwrap_or(current.slave_id),
        register: patch.register.unwrap_or(current.register),
        conversion_factor: patch.conversion_factor.unwrap_or(current.conversion_factor),
    };
    let valid = validate(draft)?;
    check_unique(&txn, current.gateway_id, &valid, Some(id)).await?;
    let mut model: device::ActiveModel = current.into();
    model.code = Set(valid.code);
    model.name = Set(valid.name);
    model.kind = Set(valid.draft.kind);
    model.unit = Set(valid.unit);
    model.measurement = Set(valid.measurement);
    model.slave_id = Set(valid.draft.slave_id);
    model.register = Set(valid.draft.register);
    model.conversion_factor = Set(valid.draft.conversion_factor);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a device with its readings and rollups (EDITOR).
pub async fn delete_device(db: &DatabaseConnection, tenant: &Tenant, id: Uuid) -> DomainResult<()> {
    tenant.require(Role::Editor)?;
    let txn = db.begin().await?;
    let device = get_device(&txn, tenant, id).await?;
    reading::Entity::delete_many()
        .filter(reading::Column::DeviceId.eq(device.id))
        .exec(&txn)
        .await?;
    rollup::Entity::delete_many()
        .filter(rollup::Column::DeviceId.eq(device.id))
        .exec(&txn)
        .await?;
    device::Entity::delete_by_id(device.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

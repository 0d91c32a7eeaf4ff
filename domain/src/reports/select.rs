//! Which devices a report covers: a list, one gateway's, or all of the account's; each
//! with its gateway (code, name, reporting interval). Another account's device or
//! gateway is not found.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tds_entity::{device, gateway};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::gateways::get_gateway;
use crate::readings::MAX_CONSUMPTION_DEVICES;
use crate::tenant::Tenant;

/// The devices a report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These devices.
    Devices(Vec<Uuid>),
    /// Every device of this gateway.
    Gateway(Uuid),
    /// Every device of the account.
    All,
}

/// The selected devices with their gateways, by gateway code then device code.
pub(crate) async fn select_devices(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    selection: &Selection,
) -> DomainResult<Vec<(device::Model, gateway::Model)>> {
    let mut query = device::Entity::find().filter(device::Column::AccountId.eq(tenant.account_id));
    match selection {
        Selection::Devices(ids) => {
            if ids.is_empty() {
                return Err(DomainError::invalid(
                    "deviceIds",
                    "choose at least one device",
                ));
            }
            query = query.filter(device::Column::Id.is_in(ids.iter().copied()));
        }
        Selection::Gateway(id) => {
            get_gateway(db, tenant, *id).await?;
            query = query.filter(device::Column::GatewayId.eq(*id));
        }
        Selection::All => {}
    }
    let devices = query.all(db).await?;
    if let Selection::Devices(ids) = selection {
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        if devices.len() != unique.len() {
            return Err(DomainError::NotFound("device"));
        }
    }
    if devices.len() > MAX_CONSUMPTION_DEVICES {
        return Err(DomainError::invalid(
            "deviceIds",
            format!("a report covers at most {MAX_CONSUMPTION_DEVICES} devices"),
        ));
    }
    let gateways: HashMap<Uuid, gateway::Model> = gateway::Entity::find()
        .filter(gateway::Column::AccountId.eq(tenant.account_id))
        .filter(gateway::Column::Id.is_in(devices.iter().map(|d| d.gateway_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let mut out: Vec<(device::Model, gateway::Model)> = devices
        .into_iter()
        .filter_map(|d| {
            let g = gateways.get(&d.gateway_id)?.clone();
            Some((d, g))
        })
        .collect();
    out.sort_by(|a, b| (&a.1.code, &a.0.code).cmp(&(&b.1.code, &b.0.code)));
    Ok(out)
}

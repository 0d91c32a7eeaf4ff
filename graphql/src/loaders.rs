//! Batched loading of nested fields (no N+1), always restricted to one account.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tds_entity::{alert_rule, device, gateway};
use uuid::Uuid;

/// Loader errors are shared between the fields that waited on the same batch.
pub type LoadError = Arc<tds_domain::DomainError>;

/// Devices of many gateways in one query.
pub struct DevicesByGateway {
    pub(crate) db: DatabaseConnection,
    pub(crate) account_id: Uuid,
}

impl Loader<Uuid> for DevicesByGateway {
    type Value = Vec<device::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        tds_domain::devices::devices_of_gateways(&self.db, self.account_id, keys)
            .await
            .map_err(Arc::new)
    }
}

/// Gateways by id in one query.
pub struct GatewayById {
    pub(crate) db: DatabaseConnection,
    pub(crate) account_id: Uuid,
}

impl Loader<Uuid> for GatewayById {
    type Value = gateway::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = gateway::Entity::find()
            .filter(gateway::Column::AccountId.eq(self.account_id))
            .filter(gateway::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows.into_iter().map(|g| (g.id, g)).collect())
    }
}

/// Devices by id in one query.
pub struct DeviceById {
    pub(crate) db: DatabaseConnection,
    pub(crate) account_id: Uuid,
}

impl Loader<Uuid> for DeviceById {
    type Value = device::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = device::Entity::find()
            .filter(device::Column::AccountId.eq(self.account_id))
            .filter(device::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows.into_iter().map(|d| (d.id, d)).collect())
    }
}

/// Alert rules by id in one query (the `rule` of each alert in a page).
pub struct AlertRuleById {
    pub(crate) db: DatabaseConnection,
    pub(crate) account_id: Uuid,
}

impl Loader<Uuid> for AlertRuleById {
    type Value = alert_rule::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = alert_rule::Entity::find()
            .filter(alert_rule::Column::AccountId.eq(self.account_id))
            .filter(alert_rule::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

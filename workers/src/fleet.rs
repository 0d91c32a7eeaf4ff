//! Gateway → account resolution by MAC, cached: every telemetry message needs it and
//! the fleet changes rarely. Entries expire, and `FleetChanged` events drop them at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tds_entity::{
    CertificateStatus, GatewayStatus, Measurement, account, certificate, device, gateway,
};
use tokio::sync::RwLock;
use uuid::Uuid;

/// A device as the telemetry writer needs it.
#[derive(Debug, Clone)]
pub struct DeviceEntry {
    /// Device id.
    pub id: Uuid,
    /// Register or momentary value.
    pub measurement: Measurement,
    /// Unit used when the payload sends none.
    pub unit: String,
    /// What it measures (alert rules may cover a kind).
    pub kind: tds_entity::DeviceKind,
}

/// A gateway and its devices by code.
#[derive(Debug, Clone)]
pub struct GatewayEntry {
    /// Gateway id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Operational status.
    pub status: GatewayStatus,
    /// False when the gateway has certificates and every one is revoked or superseded;
    /// true when one is usable or when it has none (plain MQTT, no PKI in use).
    pub certified: bool,
    /// The account's time zone (rollup buckets).
    pub timezone: Tz,
    /// Devices by `dispositivo_codigo`.
    pub devices: HashMap<String, DeviceEntry>,
}

const FOUND_TTL: Duration = Duration::from_secs(60);
// Unknown MACs are remembered briefly so a misconfigured gateway cannot hammer the
// database, yet a newly registered one is recognised within seconds.
const MISSING_TTL: Duration = Duration::from_secs(5);

/// Cached lookups by MAC: when, and what was found (None: no such gateway).
type Entries = HashMap<String, (Instant, Option<Arc<GatewayEntry>>)>;

/// MAC → gateway cache.
#[derive(Clone, Default)]
pub struct FleetCache {
    entries: Arc<RwLock<Entries>>,
}

impl FleetCache {
    /// Forgets one gateway (after a change).
    pub async fn invalidate(&self, mac: &str) {
        self.entries.write().await.remove(mac);
    }

    /// Resolves many MACs at once, loading the unknown ones in three queries.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        macs: &[String],
    ) -> Result<HashMap<String, Arc<GatewayEntry>>, DbErr> {
        let now = Instant::now();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let entries = self.entries.read().await;
            for mac in macs {
                match entries.get(mac) {
                    Some((at, entry)) => {
                        let ttl = if entry.is_some() {
                            FOUND_TTL
                        } else {
                            MISSING_TTL
                        };
                        if now.duration_since(*at) < ttl {
                            if let Some(entry) = entry {
                                found.insert(mac.clone(), entry.clone());
                            }
                            continue;
                        }
                        missing.push(mac.clone());
                    }
                    None => missing.push(mac.clone()),
                }
            }
        }
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(found);
        }
        let loaded = load(db, &missing).await?;
        let mut entries = self.entries.write().await;
        for mac in missing {
            let entry = loaded.get(&mac).cloned();
            if let Some(entry) = &entry {
                found.insert(mac.clone(), entry.clone());
            }
            entries.insert(mac, (now, entry));
        }
        Ok(found)
    }
}

async fn load(
    db: &DatabaseConnection,
    macs: &[String],
) -> Result<HashMap<String, Arc<GatewayEntry>>, DbErr> {
    let gateways = gateway::Entity::find()
        .filter(gateway::Column::Mac.is_in(macs.iter().cloned()))
        .all(db)
        .await?;
    let accounts: HashMap<Uuid, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(gateways.iter().map(|g| g.account_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    // Gateways with at least one certificate, and those with a usable one.
    let mut with_certificates = std::collections::HashSet::new();
    let mut usable = std::collections::HashSet::new();
    for c in certificate::Entity::find()
        .filter(certificate::Column::GatewayId.is_in(gateways.iter().map(|g| g.id)))
        .all(db)
        .await?
    {
        let Some(gateway_id) = c.gateway_id else {
            continue;
        };
        with_certificates.insert(gateway_id);
        if matches!(
            c.status,
            CertificateStatus::Active | CertificateStatus::Pending
        ) {
            usable.insert(gateway_id);
        }
    }
    let mut devices: HashMap<Uuid, HashMap<String, DeviceEntry>> = HashMap::new();
    for d in device::Entity::find()
        .filter(device::Column::GatewayId.is_in(gateways.iter().map(|g| g.id)))
        .all(db)
        .await?
    {
        devices.entry(d.gateway_id).or_default().insert(
            d.code.clone(),
            DeviceEntry {
                id: d.id,
                measurement: d.measurement,
                unit: d.unit,
                kind: d.kind,
            },
        );
    }
    Ok(gateways
        .into_iter()
        .map(|g| {
            let timezone = accounts
                .get(&g.account_id)
                .and_then(|a| a.timezone.parse::<Tz>().ok())
                .unwrap_or(chrono_tz::America::Sao_Paulo);
            let entry = GatewayEntry {
                id: g.id,
                account_id: g.account_id,
                status: g.status,
                certified: usable.contains(&g.id) || !with_certificates.contains(&g.id),
                timezone,
                devices: devices.remove(&g.id).unwrap_or_default(),
            };
            (g.mac, Arc::new(entry))
        })
        .collect())
}

//! The one place a report reads raw readings: the Readings sheet. A keyset cursor walks
//! device by device, time by time, on the readings' primary key (device, time), so a
//! million-row export holds one page at a time and every page is an index range scan.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tds_entity::reading;
use tds_reports::{ReadingRow, ReportData};
use uuid::Uuid;

use crate::error::DomainResult;
use crate::tenant::Tenant;

/// Readings per page when the caller does not choose.
pub const DEFAULT_PAGE: u64 = 10_000;

/// Where a walk over a report's raw readings stands.
#[derive(Debug, Clone)]
pub struct ReadingCursor {
    account_id: Uuid,
    devices: Vec<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    page: u64,
    /// Index into `devices` of the device being read.
    index: usize,
    /// Time of the last reading handed out for that device.
    after: Option<DateTime<Utc>>,
}

impl ReadingCursor {
    /// A cursor over the readings of `data`'s devices in its period, `page` at a time.
    /// `data` was built for `tenant`, so its devices are the tenant's; the account
    /// filter is applied again anyway.
    pub fn new(tenant: &Tenant, data: &ReportData, page: u64) -> Self {
        Self {
            account_id: tenant.account_id,
            devices: data.devices.iter().map(|d| d.id).collect(),
            from: data.period.from,
            to: data.period.to,
            page: page.clamp(1, 100_000),
            index: 0,
            after: None,
        }
    }

    /// The next page, oldest first within a device, devices in report order; empty
    /// once every reading was handed out.
    pub async fn next_page(&mut self, db: &impl ConnectionTrait) -> DomainResult<Vec<ReadingRow>> {
        while let Some(device) = self.devices.get(self.index).copied() {
            let index = self.index;
            let mut query = reading::Entity::find()
                .select_only()
                .columns([reading::Column::Time, reading::Column::Value])
                .filter(reading::Column::AccountId.eq(self.account_id))
                .filter(reading::Column::DeviceId.eq(device))
                .filter(reading::Column::Time.lt(self.to));
            query = match self.after {
                Some(after) => query.filter(reading::Column::Time.gt(after)),
                None => query.filter(reading::Column::Time.gte(self.from)),
            };
            let rows: Vec<(DateTime<Utc>, f64)> = query
                .order_by_asc(reading::Column::Time)
                .limit(self.page)
                .into_tuple()
                .all(db)
                .await?;
            if (rows.len() as u64) < self.page {
                self.index += 1;
                self.after = None;
            } else {
                self.after = rows.last().map(|r| r.0);
            }
            if !rows.is_empty() {
                return Ok(rows
                    .into_iter()
                    .map(|(time, value)| ReadingRow {
                        device: index,
                        time,
                        value,
                    })
                    .collect());
            }
        }
        Ok(Vec::new())
    }
}

//! Offline detection: a gateway silent for longer than a multiple of its reporting
//! interval is marked offline, with an event.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tds_bus::{Event, EventBus};
use tds_entity::gateway;

/// Marks silent gateways offline; returns how many changed. `grace` is the multiple of
/// the reporting interval tolerated (2.5 means two missed messages and a half).
pub async fn mark_silent_gateways(
    db: &DatabaseConnection,
    events: &EventBus,
    grace: f64,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let online = gateway::Entity::find()
        .filter(gateway::Column::IsOnline.eq(true))
        .all(db)
        .await?;
    let silent: Vec<gateway::Model> = online
        .into_iter()
        .filter(|g| {
            let allowed =
                Duration::milliseconds((f64::from(g.reporting_interval_s) * grace * 1000.0) as i64);
            g.last_seen_at.is_none_or(|seen| now - seen > allowed)
        })
        .collect();
    for g in &silent {
        // Re-checked in the statement: a message that just arrived wins.
        let update = Query::update()
            .table(gateway::Entity)
            .value(gateway::Column::IsOnline, false)
            .and_where(Expr::col(gateway::Column::Id).eq(g.id))
            .and_where(Expr::col(gateway::Column::IsOnline).eq(true))
            .and_where(Expr::col(gateway::Column::LastSeenAt).eq(g.last_seen_at))
            .to_owned();
        if db.execute(&update).await?.rows_affected() == 1 {
            let event = Event::GatewayStatus {
                account_id: g.account_id,
                gateway_id: g.id,
                online: false,
                at: now,
            };
            if let Err(e) = events.publish(&event).await {
                tracing::warn!(error = %e, "offline event not published");
            }
        }
    }
    Ok(silent.len())
}

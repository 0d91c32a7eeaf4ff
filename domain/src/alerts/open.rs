//! Which (rule, subject) pairs have an unresolved alert, kept in memory by the telemetry
//! worker so judging a batch within its limits needs no query: loaded at start, changed
//! by the alerts it applies and by every `AlertChanged` event, and loaded again on each
//! rule scan, which bounds what a missed event can leave stale.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use tds_entity::{AlertState, alert};
use uuid::Uuid;

use crate::error::DomainResult;

/// The (rule id, subject id) pairs of unresolved (open or acknowledged) alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenAlerts(HashSet<(Uuid, Uuid)>);

impl OpenAlerts {
    /// Every unresolved alert (read through the partial unique index of unresolved alerts).
    pub async fn load(db: &impl ConnectionTrait) -> DomainResult<Self> {
        let rows: Vec<(Uuid, Uuid)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::RuleId)
            .column(alert::Column::SubjectId)
            .filter(alert::Column::State.ne(AlertState::Resolved))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self(rows.into_iter().collect()))
    }

    /// Whether `rule` has an unresolved alert about `subject`.
    pub fn contains(&self, (rule, subject): (Uuid, Uuid)) -> bool {
        self.0.contains(&(rule, subject))
    }

    /// Whether no alert is unresolved.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records an alert's new state: unresolved, or resolved.
    pub fn note(&mut self, rule: Uuid, subject: Uuid, resolved: bool) {
        if resolved {
            self.0.remove(&(rule, subject));
        } else {
            self.0.insert((rule, subject));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_open_until_it_resolves() {
        let (rule, subject) = (Uuid::new_v4(), Uuid::new_v4());
        let mut open = OpenAlerts::default();
        assert!(!open.contains((rule, subject)) && open.is_empty());
        open.note(rule, subject, false);
        assert!(open.contains((rule, subject)));
        assert!(!open.contains((subject, rule)), "pairs are ordered");
        open.note(rule, subject, false);
        open.note(rule, subject, true);
        assert!(!open.contains((rule, subject)) && open.is_empty());
    }
}

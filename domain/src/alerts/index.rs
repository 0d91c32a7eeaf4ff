//! The rules that follow readings, held in memory by the telemetry worker so a batch is
//! judged without a query per reading. Built by [`RuleIndex::load`]; when rules of an
//! account change (an `AlertRulesChanged` event), [`RuleIndex::reload_account`] refreshes
//! that account alone.

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use tds_entity::{DeviceKind, account};
use uuid::Uuid;

use super::rules::enabled_rules;
use super::{Condition, Rule, Scope};
use crate::error::DomainResult;

/// The rules of one account, by what their scope names.
#[derive(Debug, Clone)]
struct AccountRules {
    timezone: Tz,
    by_device: HashMap<Uuid, Vec<Arc<Rule>>>,
    by_gateway: HashMap<Uuid, Vec<Arc<Rule>>>,
    by_kind: HashMap<DeviceKind, Vec<Arc<Rule>>>,
    all: Vec<Arc<Rule>>,
}

impl AccountRules {
    fn new(timezone: Tz) -> Self {
        Self {
            timezone,
            by_device: HashMap::new(),
            by_gateway: HashMap::new(),
            by_kind: HashMap::new(),
            all: Vec::new(),
        }
    }

    fn add(&mut self, rule: Rule) {
        let rule = Arc::new(rule);
        match rule.scope {
            Scope::Device(id) => self.by_device.entry(id).or_default().push(rule),
            Scope::Gateway(id) => self.by_gateway.entry(id).or_default().push(rule),
            Scope::Kind(kind) => self.by_kind.entry(kind).or_default().push(rule),
            Scope::All => self.all.push(rule),
        }
    }

    fn len(&self) -> usize {
        self.all.len()
            + self.by_device.values().map(Vec::len).sum::<usize>()
            + self.by_gateway.values().map(Vec::len).sum::<usize>()
            + self.by_kind.values().map(Vec::len).sum::<usize>()
    }
}

/// Enabled rules whose condition follows readings (value and consumption), by account.
#[derive(Debug, Clone, Default)]
pub struct RuleIndex {
    accounts: HashMap<Uuid, AccountRules>,
}

fn timezone_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::America::Sao_Paulo)
}

async fn timezones(
    db: &impl ConnectionTrait,
    account: Option<Uuid>,
) -> DomainResult<HashMap<Uuid, Tz>> {
    let mut query = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::Timezone);
    if let Some(id) = account {
        query = query.filter(account::Column::Id.eq(id));
    }
    let rows: Vec<(Uuid, String)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, tz)| (id, timezone_of(&tz)))
        .collect())
}

impl RuleIndex {
    /// An index of the given rules (those that do not follow readings are left out).
    pub fn from_rules(
        rules: impl IntoIterator<Item = Rule>,
        timezones: &HashMap<Uuid, Tz>,
    ) -> Self {
        let mut index = Self::default();
        for rule in rules {
            if !rule.condition.follows_readings() {
                continue;
            }
            let tz = timezones
                .get(&rule.account_id)
                .copied()
                .unwrap_or(chrono_tz::America::Sao_Paulo);
            index
                .accounts
                .entry(rule.account_id)
                .or_insert_with(|| AccountRules::new(tz))
                .add(rule);
        }
        index
    }

    /// Every enabled rule of every account that follows readings (two queries).
    pub async fn load(db: &impl ConnectionTrait) -> DomainResult<Self> {
        let rules = enabled_rules(db, None, Condition::follows_readings).await?;
        let zones = timezones(db, None).await?;
        Ok(Self::from_rules(rules, &zones))
    }

    /// The rules of one account as stored now (two queries), for
    /// [`RuleIndex::replace_account`]: a shared index is then locked only for the swap,
    /// not across the queries.
    pub async fn load_account(db: &impl ConnectionTrait, account_id: Uuid) -> DomainResult<Self> {
        let rules = enabled_rules(db, Some(account_id), Condition::follows_readings).await?;
        let zones = timezones(db, Some(account_id)).await?;
        Ok(Self::from_rules(rules, &zones))
    }

    /// Replaces the rules of `account_id` with those of `fresh` (from
    /// [`RuleIndex::load_account`]).
    pub fn replace_account(&mut self, account_id: Uuid, mut fresh: RuleIndex) {
        self.accounts.remove(&account_id);
        if let Some(rules) = fresh.accounts.remove(&account_id) {
            self.accounts.insert(account_id, rules);
        }
    }

    /// Replaces the rules of one account with those stored now.
    pub async fn reload_account(
        &mut self,
        db: &impl ConnectionTrait,
        account_id: Uuid,
    ) -> DomainResult<()> {
        let fresh = Self::load_account(db, account_id).await?;
        self.replace_account(account_id, fresh);
        Ok(())
    }

    /// The rules that apply to a device: its own, its gateway's, its kind's and the
    /// account-wide ones.
    pub fn rules_for(
        &self,
        account_id: Uuid,
        gateway_id: Uuid,
        device_id: Uuid,
        kind: DeviceKind,
    ) -> impl Iterator<Item = &Arc<Rule>> + '_ {
        let rules = self.accounts.get(&account_id);
        rules.into_iter().flat_map(move |r| {
            r.by_device
                .get(&device_id)
                .into_iter()
                .flatten()
                .chain(r.by_gateway.get(&gateway_id).into_iter().flatten())
                .chain(r.by_kind.get(&kind).into_iter().flatten())
                .chain(r.all.iter())
        })
    }

    /// The account's time zone (consumption buckets follow it).
    pub fn timezone(&self, account_id: Uuid) -> Tz {
        self.accounts
            .get(&account_id)
            .map_or(chrono_tz::America::Sao_Paulo, |r| r.timezone)
    }

    /// Whether no rule follows readings: the worker can skip evaluation altogether.
    pub fn is_empty(&self) -> bool {
        self.accounts.values().all(|a| a.len() == 0)
    }

    /// How many rules the index holds.
    pub fn len(&self) -> usize {
        self.accounts.values().map(AccountRules::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tds_entity::Severity;

    fn rule(account: Uuid, scope: Scope, condition: Condition) -> Rule {
        Rule {
            id: Uuid::now_v7(),
            account_id: account,
            name: "r".into(),
            scope,
            condition,
            severity: Severity::Info,
            cooldown: chrono::Duration::zero(),
        }
    }

    #[test]
    fn a_device_gets_its_own_its_gateways_its_kinds_and_the_accounts_rules() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (gw, other_gw, dev, other_dev) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let above = Condition::Above { high: 1.0 };
        let rules = vec![
            rule(a, Scope::Device(dev), above),
            rule(a, Scope::Device(other_dev), above),
            rule(a, Scope::Gateway(gw), above),
            rule(a, Scope::Gateway(other_gw), above),
            rule(a, Scope::Kind(DeviceKind::Water), above),
            rule(a, Scope::Kind(DeviceKind::Gas), above),
            rule(a, Scope::All, above),
            rule(a, Scope::All, Condition::DeviceSilent { minutes: 5 }),
            rule(b, Scope::All, above),
        ];
        let expected: Vec<Uuid> = [0, 2, 4, 6].iter().map(|i| rules[*i].id).collect();
        let index = RuleIndex::from_rules(rules, &HashMap::new());
        assert_eq!(index.len(), 8, "the silence rule is not the worker's");
        let mut found: Vec<Uuid> = index
            .rules_for(a, gw, dev, DeviceKind::Water)
            .map(|r| r.id)
            .collect();
        found.sort();
        assert_eq!(found, expected);
        assert_eq!(
            index
                .rules_for(Uuid::nil(), gw, dev, DeviceKind::Water)
                .count(),
            0
        );
    }
}

//! Migration 10 on both backends: alerts raised before it get their subject (and the
//! time that opened them), `SILENT` rules become `GATEWAY_SILENT`, and from then on at
//! most one alert per rule and subject is unresolved. Down and up again works.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Duration, Utc};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::{Alias, Query};
use sea_orm_migration::sea_orm::prelude::{Json, Uuid};
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set,
};
use tds_entity::{AlertCondition, AlertState, Severity, account, alert, alert_rule};
use tds_migration::Migrator;
use tds_testkit::{Backend, TestDb, backend_tests};

async fn insert(
    db: &DatabaseConnection,
    table: &str,
    row: Vec<(&str, sea_orm_migration::sea_orm::Value)>,
) {
    let mut statement = Query::insert();
    statement
        .into_table(Alias::new(table))
        .columns(row.iter().map(|(c, _)| Alias::new(*c)))
        .values_panic(row.into_iter().map(|(_, v)| v.into()));
    db.execute(&statement).await.unwrap();
}

async fn a_new_alert(
    db: &DatabaseConnection,
    rule: &alert_rule::Model,
    gateway: Uuid,
    state: AlertState,
) -> Result<alert::Model, sea_orm_migration::DbErr> {
    let now = Utc::now();
    alert::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(rule.account_id),
        rule_id: Set(rule.id),
        subject_id: Set(gateway),
        device_id: Set(None),
        gateway_id: Set(Some(gateway)),
        severity: Set(Severity::Warning),
        message: Set("new".into()),
        value: Set(None),
        opened_reading_at: Set(Some(now)),
        state: Set(state),
        opened_at: Set(now),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        acknowledge_comment: Set(None),
        resolved_at: Set(None),
        resolved_by: Set(None),
        resolve_comment: Set(None),
        cleared_value: Set(None),
        cleared_reading_at: Set(None),
        notify_due_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

async fn alerts_before_get_a_subject_and_one_stays_unresolved(backend: Backend) {
    let test = TestDb::empty(backend).await;
    let db = &test.db;
    Migrator::up(db, Some(9)).await.unwrap();
    let now = Utc::now();
    // Inserted without reading the row back: the entity has columns of later migrations.
    let account_id = Uuid::now_v7();
    account::Entity::insert(account::ActiveModel {
        id: Set(account_id),
        name: Set("Legacy".into()),
        tax_id: Set(None),
        plan: Set("STANDARD".into()),
        is_active: Set(true),
        timezone: Set("America/Sao_Paulo".into()),
        locale: Set("pt-BR".into()),
        retention_days: Set(730),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    let (rule_id, gateway) = (Uuid::now_v7(), Uuid::now_v7());
    insert(
        db,
        "alert_rules",
        vec![
            ("id", rule_id.into()),
            ("account_id", account_id.into()),
            ("name", "Quiet".into()),
            ("scope", "GATEWAY".into()),
            ("gateway_id", gateway.into()),
            ("condition", "SILENT".into()),
            ("silent_minutes", 10.into()),
            ("severity", "WARNING".into()),
            ("cooldown_s", 0.into()),
            ("recipients", Json::Array(vec![]).into()),
            ("enabled", true.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    for (state, opened) in [("RESOLVED", now - Duration::hours(2)), ("OPEN", now)] {
        insert(
            db,
            "alerts",
            vec![
                ("id", Uuid::now_v7().into()),
                ("account_id", account_id.into()),
                ("rule_id", rule_id.into()),
                ("gateway_id", gateway.into()),
                ("severity", "WARNING".into()),
                ("message", "Quiet: silent".into()),
                ("state", state.into()),
                ("opened_at", opened.into()),
                ("created_at", opened.into()),
                ("updated_at", opened.into()),
            ],
        )
        .await;
    }

    Migrator::up(db, None).await.unwrap();
    let rule = alert_rule::Entity::find_by_id(rule_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rule.condition, AlertCondition::GatewaySilent);
    assert_eq!(rule.webhooks, Json::Array(vec![]));
    assert_eq!(rule.completeness_pct, None);
    let alerts = alert::Entity::find().all(db).await.unwrap();
    assert_eq!(alerts.len(), 2);
    for a in &alerts {
        assert_eq!(a.subject_id, gateway);
        assert_eq!(a.opened_reading_at, Some(a.opened_at));
        assert_eq!(
            a.notify_due_at, None,
            "old alerts were notified the old way"
        );
    }

    // One unresolved alert per rule and subject; resolved ones pile up freely.
    let second = a_new_alert(db, &rule, gateway, AlertState::Acknowledged).await;
    assert!(second.is_err(), "a second unresolved alert is refused");
    a_new_alert(db, &rule, gateway, AlertState::Resolved)
        .await
        .unwrap();
    a_new_alert(db, &rule, Uuid::now_v7(), AlertState::Open)
        .await
        .unwrap();

    Migrator::down(db, Some(1)).await.unwrap();
    Migrator::up(db, None).await.unwrap();
    assert_eq!(alert::Entity::find().all(db).await.unwrap().len(), 4);
}

backend_tests!(alerts_before_get_a_subject_and_one_stays_unresolved);

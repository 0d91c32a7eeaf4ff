//! Alert rules and alerts on PostgreSQL and SQLite: validation per field, roles, other
//! accounts, and the evaluation path the telemetry worker and the scheduled jobs take
//! (index → findings → apply): one alert per burst, nothing on replay, resolution with
//! the clearing reading, cooldown, and one alert when appliers race.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use tds_domain::alerts::{
    self, AlertChange, AlertFilter, Attempt, Finding, LandedReading, RuleDraft, RuleIndex,
    RulePatch, WebhookDraft,
};
use tds_domain::page::PageRequest;
use tds_domain::{DomainError, Tenant};
use tds_entity::{
    AlertCondition, AlertScope, AlertState, DeviceKind, NotificationChannel, NotificationOutcome,
    Role, RollupPeriod, Severity, alert, rollup,
};
use tds_testkit::{Backend, TestDb, TestGateway, admin_of, backend_tests, seed_fleet};
use uuid::Uuid;

fn draft(name: &str, scope: AlertScope, condition: AlertCondition) -> RuleDraft {
    RuleDraft {
        name: name.into(),
        scope,
        device_id: None,
        gateway_id: None,
        device_kind: None,
        condition,
        threshold_low: None,
        threshold_high: None,
        period: None,
        silent_minutes: None,
        completeness_pct: None,
        severity: Severity::Critical,
        cooldown_s: 0,
        emails: vec![],
        webhooks: vec![],
        enabled: true,
    }
}

/// "Value above `high`" on one device.
fn above(device: Uuid, high: f64, cooldown_s: i32) -> RuleDraft {
    RuleDraft {
        device_id: Some(device),
        threshold_high: Some(high),
        cooldown_s,
        ..draft("Too high", AlertScope::Device, AlertCondition::Above)
    }
}

struct Fleet {
    db: TestDb,
    admin: Tenant,
    gateway: TestGateway,
    other: Tenant,
    other_gateway: TestGateway,
}

async fn fleet(backend: Backend) -> Fleet {
    let db = TestDb::migrated(backend).await;
    let (a, gateways) = seed_fleet(&db.db, "UTC", 0xa1, 1, 2, false).await;
    let (b, other_gateways) = seed_fleet(&db.db, "UTC", 0xb2, 1, 1, false).await;
    Fleet {
        admin: admin_of(&db.db, a.id).await,
        other: admin_of(&db.db, b.id).await,
        gateway: gateways[0].clone(),
        other_gateway: other_gateways[0].clone(),
        db,
    }
}

/// A member of the tenant's account with `role`.
async fn member(db: &DatabaseConnection, of: &Tenant, role: Role) -> Tenant {
    tds_testkit::member_of(db, of.account_id(), role).await
}

fn field_errors(result: Result<impl std::fmt::Debug, DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::Validation(list)) => list.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn reading(
    g: &TestGateway,
    account: Uuid,
    device: usize,
    at: DateTime<Utc>,
    value: f64,
) -> LandedReading {
    LandedReading {
        account_id: account,
        gateway_id: g.id,
        device_id: g.devices[device].1,
        kind: DeviceKind::Energy,
        time: at,
        value,
    }
}

async fn judge(db: &DatabaseConnection, readings: &[LandedReading]) -> Vec<Finding> {
    let index = RuleIndex::load(db).await.unwrap();
    let open = alerts::OpenAlerts::load(db).await.unwrap();
    alerts::judge_readings(db, &index, &open, readings)
        .await
        .unwrap()
}

async fn unresolved(db: &DatabaseConnection) -> u64 {
    alert::Entity::find()
        .filter(alert::Column::State.ne(AlertState::Resolved))
        .count(db)
        .await
        .unwrap()
}

async fn rules_are_validated_scoped_and_guarded(backend: Backend) {
    let f = fleet(backend).await;
    let db = &f.db.db;
    let now = Utc::now();
    let device = f.gateway.devices[0].1;

    // Every bad field at once.
    let bad = RuleDraft {
        name: "".into(),
        threshold_low: Some(9.0),
        threshold_high: Some(1.0),
        emails: vec!["ops@example.com".into(), "nobody".into()],
        webhooks: vec![WebhookDraft {
            url: "not a url".into(),
            secret: Some("0123456789abcdef".into()),
        }],
        ..draft("x", AlertScope::Gateway, AlertCondition::Outside)
    };
    assert_eq!(
        field_errors(alerts::create_rule(db, &f.admin, bad, now).await),
        [
            "name",
            "gatewayId",
            "thresholdLow",
            "emails[1]",
            "webhooks[0].url"
        ]
    );

    // A good rule, read back with its channels.
    let good = RuleDraft {
        emails: vec!["Ops@Example.com".into()],
        webhooks: vec![WebhookDraft {
            url: "https://hooks.example/tds".into(),
            secret: Some("s3cret-s3cret-s3cret".into()),
        }],
        ..above(device, 100.0, 60)
    };
    let rule = alerts::create_rule(db, &f.admin, good, now).await.unwrap();
    assert_eq!(rule.device_id, Some(device));
    let channels = alerts::Channels::of(&rule);
    assert_eq!(channels.emails, ["ops@example.com"]);
    assert_eq!(channels.webhooks[0].secret, "s3cret-s3cret-s3cret");

    // An update that leaves the webhook's secret out keeps it; a range check still applies.
    let patch = RulePatch {
        condition: Some(AlertCondition::Outside),
        threshold_low: Some(200.0),
        webhooks: Some(vec![WebhookDraft {
            url: "https://hooks.example/tds".into(),
            secret: None,
        }]),
        ..Default::default()
    };
    assert_eq!(
        field_errors(alerts::update_rule(db, &f.admin, rule.id, patch, now).await),
        ["thresholdLow"]
    );
    let patch = RulePatch {
        name: Some("Renamed".into()),
        webhooks: Some(vec![WebhookDraft {
            url: "https://hooks.example/tds".into(),
            secret: None,
        }]),
        ..Default::default()
    };
    let updated = alerts::update_rule(db, &f.admin, rule.id, patch, now)
        .await
        .unwrap()
        .rule;
    assert_eq!(updated.name, "Renamed");
    assert_eq!(alerts::Channels::of(&updated).webhooks, channels.webhooks);

    // Another account's device, rule or alert is not found, whatever the call.
    let foreign_device = f.other_gateway.devices[0].1;
    let r = alerts::create_rule(db, &f.admin, above(foreign_device, 1.0, 0), now).await;
    assert!(matches!(r, Err(DomainError::NotFound("device"))), "{r:?}");
    let theirs = alerts::create_rule(db, &f.other, above(foreign_device, 1.0, 0), now)
        .await
        .unwrap();
    assert!(matches!(
        alerts::get_rule(db, &f.admin, theirs.id).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        alerts::update_rule(db, &f.admin, theirs.id, RulePatch::default(), now).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        alerts::delete_rule(db, &f.admin, theirs.id).await,
        Err(DomainError::NotFound(_))
    ));
    let reading = reading(&f.other_gateway, f.other.account_id(), 0, now, 5.0);
    let changes = alerts::apply_verdicts(db, judge(db, &[reading]).await, now)
        .await
        .unwrap();
    let their_alert = changes[0].alert().id;
    for r in [
        alerts::get_alert(db, &f.admin, their_alert).await,
        alerts::acknowledge_alert(db, &f.admin, their_alert, None, now).await,
        alerts::resolve_alert(db, &f.admin, their_alert, None, now).await,
    ] {
        assert!(matches!(r, Err(DomainError::NotFound("alert"))), "{r:?}");
    }
    let filter = AlertFilter {
        rule_id: Some(theirs.id),
        ..Default::default()
    };
    let page = PageRequest::new(None, None).unwrap();
    assert!(matches!(
        alerts::list_alerts(db, &f.admin, &filter, page).await,
        Err(DomainError::NotFound(_))
    ));
    assert_eq!(
        alerts::list_rules(db, &f.admin).await.unwrap().len(),
        1,
        "only our own rule"
    );

    // A viewer reads, and changes nothing; an editor edits.
    let viewer = member(db, &f.admin, Role::Viewer).await;
    assert_eq!(alerts::list_rules(db, &viewer).await.unwrap().len(), 1);
    let forbidden = |r: Result<_, DomainError>| matches!(r, Err(DomainError::Forbidden(_)));
    assert!(forbidden(
        alerts::create_rule(db, &viewer, above(device, 1.0, 0), now)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        alerts::update_rule(db, &viewer, rule.id, RulePatch::default(), now)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(alerts::delete_rule(db, &viewer, rule.id).await));
    let ours = alerts::apply_verdicts(
        db,
        judge(
            db,
            &[self::reading(
                &f.gateway,
                f.admin.account_id(),
                0,
                now,
                500.0,
            )],
        )
        .await,
        now,
    )
    .await
    .unwrap();
    let ours = ours[0].alert().id;
    assert!(forbidden(
        alerts::acknowledge_alert(db, &viewer, ours, None, now)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        alerts::resolve_alert(db, &viewer, ours, None, now)
            .await
            .map(|_| ())
    ));
    let editor = member(db, &f.admin, Role::Editor).await;
    alerts::acknowledge_alert(db, &editor, ours, Some("on it".into()), now)
        .await
        .unwrap();
    alerts::delete_rule(db, &editor, rule.id).await.unwrap();
    assert_eq!(
        alert::Entity::find_by_id(ours).one(db).await.unwrap(),
        None,
        "a rule's alerts go with it"
    );
}

async fn a_burst_opens_one_alert_and_a_replay_nothing(backend: Backend) {
    let f = fleet(backend).await;
    let db = &f.db.db;
    let account = f.admin.account_id();
    let t0: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
    let rule = alerts::create_rule(db, &f.admin, above(f.gateway.devices[0].1, 100.0, 3600), t0)
        .await
        .unwrap();

    // A worker's index learns of the rule when told to reload the account.
    let mut index = RuleIndex::default();
    assert!(index.is_empty());
    index.reload_account(db, account).await.unwrap();
    assert_eq!(index.len(), 1);
    index
        .reload_account(db, f.other.account_id())
        .await
        .unwrap();
    assert_eq!(index.len(), 1, "another account's reload keeps ours");

    let burst: Vec<LandedReading> = (0..100)
        .map(|i| {
            reading(
                &f.gateway,
                account,
                0,
                t0 + Duration::seconds(i),
                150.0 + i as f64,
            )
        })
        .collect();
    // The other device is outside the rule's scope.
    let mut batch = burst.clone();
    batch.push(reading(&f.gateway, account, 1, t0, 1e9));
    let findings = judge(db, &batch).await;
    assert_eq!(findings.len(), 100);
    let changes = alerts::apply_verdicts(db, findings.clone(), t0)
        .await
        .unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let AlertChange::Opened(opened) = &changes[0] else {
        panic!("{changes:?}")
    };
    assert_eq!(
        opened.value,
        Some(150.0),
        "the first violating reading opens it"
    );
    assert_eq!(opened.opened_reading_at, Some(t0));
    assert_eq!(opened.severity, Severity::Critical);
    assert_eq!(opened.gateway_id, Some(f.gateway.id));
    assert!(
        opened.message.starts_with("Too high: value 150 above 100"),
        "{}",
        opened.message
    );

    // The change waits in the outbox until its notifications are queued.
    let due = alerts::due_notifications(db, t0, 10).await.unwrap();
    assert_eq!(due.iter().map(|a| a.id).collect::<Vec<_>>(), [opened.id]);
    assert!(
        !alerts::notifications_queued(db, opened.id, t0 - Duration::seconds(1))
            .await
            .unwrap()
    );
    assert!(
        alerts::notifications_queued(db, opened.id, opened.notify_due_at.unwrap())
            .await
            .unwrap()
    );
    assert!(
        alerts::due_notifications(db, t0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The same batch again (a redelivered job) changes nothing.
    assert!(
        alerts::apply_verdicts(db, findings.clone(), t0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(unresolved(db).await, 1);

    // Back to normal: resolved, with the reading that cleared it.
    let t1 = t0 + Duration::minutes(5);
    let normal = [reading(&f.gateway, account, 0, t1, 42.0)];
    let changes = alerts::apply_verdicts(db, judge(db, &normal).await, t1)
        .await
        .unwrap();
    let [AlertChange::Resolved(resolved)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!(resolved.id, opened.id);
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(resolved.cleared_value, Some(42.0));
    assert_eq!(resolved.cleared_reading_at, Some(t1));
    assert_eq!(resolved.resolved_by, None);
    assert_eq!(
        resolved.notify_due_at,
        Some(t1),
        "a resolution is notified too"
    );

    // Replaying everything (old violations, then the clearing reading) raises nothing.
    let mut replay = burst.clone();
    replay.extend(normal);
    assert!(
        alerts::apply_verdicts(db, judge(db, &replay).await, t1)
            .await
            .unwrap()
            .is_empty()
    );

    // Within the cooldown a new violation raises nothing; after it, one alert.
    let t2 = t1 + Duration::minutes(10);
    let again = [reading(&f.gateway, account, 0, t2, 300.0)];
    assert!(
        alerts::apply_verdicts(db, judge(db, &again).await, t2)
            .await
            .unwrap()
            .is_empty()
    );
    let t3 = t1 + Duration::minutes(61);
    let later = [reading(&f.gateway, account, 0, t3, 301.0)];
    let changes = alerts::apply_verdicts(db, judge(db, &later).await, t3)
        .await
        .unwrap();
    assert!(matches!(changes.as_slice(), [AlertChange::Opened(a)] if a.value == Some(301.0)));
    assert_eq!(
        alert::Entity::find()
            .filter(alert::Column::RuleId.eq(rule.id))
            .count(db)
            .await
            .unwrap(),
        2
    );

    // A change that keeps watching the device keeps its alert open …
    let higher = RulePatch {
        threshold_high: Some(120.0),
        ..Default::default()
    };
    let change = alerts::update_rule(db, &f.admin, rule.id, higher, t3)
        .await
        .unwrap();
    assert!(change.resolved.is_empty());
    assert_eq!(unresolved(db).await, 1);

    // … a disabled rule leaves the index, and its alerts resolve: nothing would clear them.
    let off = RulePatch {
        enabled: Some(false),
        ..Default::default()
    };
    let change = alerts::update_rule(db, &f.admin, rule.id, off, t3)
        .await
        .unwrap();
    assert!(RuleIndex::load(db).await.unwrap().is_empty());
    let [gone] = change.resolved.as_slice() else {
        panic!("{:?}", change.resolved)
    };
    assert_eq!(
        gone.resolve_comment.as_deref(),
        Some("the rule was disabled")
    );
    assert_eq!(gone.resolved_by, Some(f.admin.user_id()));
    assert_eq!(unresolved(db).await, 0);

    // Moving a rule to another device resolves the first device's alert.
    let on = RulePatch {
        enabled: Some(true),
        ..Default::default()
    };
    alerts::update_rule(db, &f.admin, rule.id, on, t3)
        .await
        .unwrap();
    let t4 = t3 + Duration::hours(2);
    let hot = [reading(&f.gateway, account, 0, t4, 999.0)];
    assert_eq!(
        alerts::apply_verdicts(db, judge(db, &hot).await, t4)
            .await
            .unwrap()
            .len(),
        1
    );
    let moved = RulePatch {
        device_id: Some(f.gateway.devices[1].1),
        ..Default::default()
    };
    let change = alerts::update_rule(db, &f.admin, rule.id, moved, t4)
        .await
        .unwrap();
    assert_eq!(change.resolved.len(), 1);
    assert_eq!(
        change.resolved[0].resolve_comment.as_deref(),
        Some("the changed rule no longer watches this")
    );
}

async fn racing_appliers_open_one_alert(backend: Backend) {
    let f = fleet(backend).await;
    let db = f.db.db.clone();
    let now = Utc::now();
    alerts::create_rule(&db, &f.admin, above(f.gateway.devices[0].1, 0.0, 0), now)
        .await
        .unwrap();
    let findings = judge(
        &db,
        &[reading(&f.gateway, f.admin.account_id(), 0, now, 9.0)],
    )
    .await;
    let appliers: Vec<_> = (0..8)
        .map(|_| {
            let (db, findings) = (db.clone(), findings.clone());
            tokio::spawn(async move { alerts::apply_verdicts(&db, findings, now).await })
        })
        .collect();
    let mut opened = 0;
    for applier in appliers {
        opened += applier.await.unwrap().unwrap().len();
    }
    assert_eq!(opened, 1, "one applier opens it, the others see it open");
    assert_eq!(unresolved(&db).await, 1);
}

async fn acknowledge_resolve_and_list(backend: Backend) {
    let f = fleet(backend).await;
    let db = &f.db.db;
    let account = f.admin.account_id();
    let now = Utc::now();
    for (i, device) in f.gateway.devices.iter().enumerate() {
        let mut rule = above(device.1, 10.0, 0);
        rule.name = format!("Rule {i}");
        rule.severity = if i == 0 {
            Severity::Info
        } else {
            Severity::Critical
        };
        alerts::create_rule(db, &f.admin, rule, now).await.unwrap();
    }
    let batch: Vec<LandedReading> = (0..2)
        .map(|d| reading(&f.gateway, account, d, now, 11.0))
        .collect();
    let changes = alerts::apply_verdicts(db, judge(db, &batch).await, now)
        .await
        .unwrap();
    assert_eq!(changes.len(), 2);
    let first = changes[0].alert().clone();

    let counts = alerts::open_alert_counts(db, &f.admin).await.unwrap();
    assert_eq!(
        counts,
        [
            (Severity::Info, 1),
            (Severity::Warning, 0),
            (Severity::Critical, 1)
        ]
    );
    let summary = tds_domain::readings::dashboard_summary(db, &f.admin, now)
        .await
        .unwrap();
    assert_eq!(summary.open_alerts, 2);

    let acked = alerts::acknowledge_alert(db, &f.admin, first.id, Some("  looking  ".into()), now)
        .await
        .unwrap();
    assert_eq!(acked.state, AlertState::Acknowledged);
    assert_eq!(acked.acknowledged_by, Some(f.admin.user_id()));
    assert_eq!(acked.acknowledge_comment.as_deref(), Some("looking"));
    let again = alerts::acknowledge_alert(db, &f.admin, first.id, None, now).await;
    assert!(matches!(again, Err(DomainError::Conflict(_))), "{again:?}");
    let long = "x".repeat(2001);
    assert_eq!(
        field_errors(alerts::resolve_alert(db, &f.admin, first.id, Some(long), now).await),
        ["comment"]
    );
    let resolved = alerts::resolve_alert(db, &f.admin, first.id, Some("fixed".into()), now)
        .await
        .unwrap();
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(resolved.resolved_by, Some(f.admin.user_id()));
    assert_eq!(resolved.resolve_comment.as_deref(), Some("fixed"));
    assert!(
        resolved.notify_due_at.is_some(),
        "a person's resolution is told to the rule's recipients too"
    );
    assert!(matches!(
        alerts::resolve_alert(db, &f.admin, first.id, None, now).await,
        Err(DomainError::Conflict(_))
    ));
    assert!(matches!(
        alerts::acknowledge_alert(db, &f.admin, first.id, None, now).await,
        Err(DomainError::Conflict(_))
    ));

    // Filters and pages.
    let list = |filter: AlertFilter, first: i32, after: Option<Uuid>| {
        let tenant = f.admin.clone();
        async move {
            let page = PageRequest::new(Some(first), after).unwrap();
            alerts::list_alerts(db, &tenant, &filter, page)
                .await
                .unwrap()
        }
    };
    let all = list(AlertFilter::default(), 1, None).await;
    assert!(all.has_next_page);
    assert_eq!(all.items[0].id, changes[1].alert().id, "newest first");
    let rest = list(AlertFilter::default(), 1, Some(all.items[0].id)).await;
    assert_eq!(rest.items[0].id, first.id);
    assert!(!rest.has_next_page);
    let open = list(
        AlertFilter {
            states: vec![AlertState::Open, AlertState::Acknowledged],
            ..Default::default()
        },
        10,
        None,
    )
    .await;
    assert_eq!(open.items.len(), 1);
    let by_text = list(
        AlertFilter {
            search: Some("rule 0".into()),
            gateway_id: Some(f.gateway.id),
            device_id: Some(f.gateway.devices[0].1),
            severity: Some(Severity::Info),
            from: Some(now - Duration::minutes(1)),
            to: Some(now + Duration::minutes(1)),
            ..Default::default()
        },
        10,
        None,
    )
    .await;
    assert_eq!(by_text.items.len(), 1);
    assert_eq!(by_text.items[0].id, first.id);

    // The delivery side's view and log.
    let plan = alerts::notification_plan(db, first.id).await.unwrap();
    assert_eq!(plan.rule.name, "Rule 0");
    let attempt = Attempt {
        alert_id: first.id,
        channel: NotificationChannel::Webhook,
        target: "https://hooks.example/x".into(),
        attempt: 1,
        attempted_at: now,
        outcome: NotificationOutcome::Failed,
        error: Some("HTTP 503".into()),
    };
    alerts::record_attempt(db, attempt).await.unwrap();
    let log = alerts::notifications_of(db, &f.admin, first.id)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, NotificationOutcome::Failed);
    assert_eq!(log[0].account_id, account);
    assert!(matches!(
        alerts::notifications_of(db, &f.other, first.id).await,
        Err(DomainError::NotFound(_))
    ));
}

async fn silence_completeness_and_consumption(backend: Backend) {
    let f = fleet(backend).await;
    let db = &f.db.db;
    let account = f.admin.account_id();
    let start = Utc::now();
    let silent_gateway = RuleDraft {
        silent_minutes: Some(10),
        ..draft(
            "Gateway quiet",
            AlertScope::All,
            AlertCondition::GatewaySilent,
        )
    };
    alerts::create_rule(db, &f.admin, silent_gateway, start)
        .await
        .unwrap();
    let silent_device = RuleDraft {
        device_kind: Some(DeviceKind::Energy),
        silent_minutes: Some(30),
        ..draft(
            "Meter quiet",
            AlertScope::DeviceKind,
            AlertCondition::DeviceSilent,
        )
    };
    alerts::create_rule(db, &f.admin, silent_device, start)
        .await
        .unwrap();

    // Never heard from: silence counts from creation.
    let t1 = start + Duration::minutes(20);
    let findings = alerts::silent_subjects(db, t1).await.unwrap();
    assert_eq!(
        findings.len(),
        1 + 2,
        "the gateway and the two energy meters"
    );
    let changes = alerts::apply_verdicts(db, findings, t1).await.unwrap();
    assert_eq!(changes.len(), 1, "only the gateway is silent long enough");
    assert_eq!(changes[0].alert().device_id, None);
    assert_eq!(changes[0].alert().subject_id, f.gateway.id);
    assert!(changes[0].alert().message.contains("silent for 20 minutes"));
    assert_eq!(
        alerts::apply_verdicts(db, alerts::silent_subjects(db, t1).await.unwrap(), t1)
            .await
            .unwrap(),
        vec![],
        "the next check finds it open"
    );

    // The gateway speaks again: resolved at the next check.
    let mut gateway: tds_entity::gateway::ActiveModel =
        tds_entity::gateway::Entity::find_by_id(f.gateway.id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
            .into();
    gateway.last_seen_at = Set(Some(t1 + Duration::minutes(1)));
    gateway.update(db).await.unwrap();
    let t2 = t1 + Duration::minutes(5);
    let changes = alerts::apply_verdicts(db, alerts::silent_subjects(db, t2).await.unwrap(), t2)
        .await
        .unwrap();
    assert!(
        matches!(changes.as_slice(), [AlertChange::Resolved(a)] if a.subject_id == f.gateway.id)
    );

    // Completeness: 90 % of one reading a minute (the fleet's interval) for the first hour.
    let completeness = RuleDraft {
        gateway_id: Some(f.gateway.id),
        completeness_pct: Some(90.0),
        ..draft(
            "Lossy",
            AlertScope::Gateway,
            AlertCondition::CompletenessBelow,
        )
    };
    alerts::create_rule(db, &f.admin, completeness, start)
        .await
        .unwrap();
    let hour = start + Duration::hours(1);
    let day = hour.date_naive();
    let bucket = tds_domain::rollups::bucket_start(RollupPeriod::Day, hour, chrono_tz::UTC);
    let received = |device: usize, count: i64, consumption: Option<f64>| rollup::ActiveModel {
        device_id: Set(f.gateway.devices[device].1),
        period: Set(RollupPeriod::Day),
        bucket_start: Set(bucket),
        account_id: Set(account),
        count: Set(count),
        sum: Set(0.0),
        min: Set(0.0),
        max: Set(0.0),
        first_value: Set(0.0),
        first_time: Set(bucket),
        last_value: Set(0.0),
        last_time: Set(bucket),
        consumption: Set(consumption),
        updated_at: Set(hour),
    };
    received(0, 60, Some(150.0)).insert(db).await.unwrap();
    let findings = alerts::completeness_below(db, day, hour).await.unwrap();
    assert_eq!(findings.len(), 2);
    let changes = alerts::apply_verdicts(db, findings, hour).await.unwrap();
    let [AlertChange::Opened(lossy)] = changes.as_slice() else {
        panic!("{changes:?}")
    };
    assert_eq!(
        lossy.device_id,
        Some(f.gateway.devices[1].1),
        "the meter that sent nothing"
    );
    assert_eq!(lossy.value, Some(0.0));

    // Consumption of the day from the rollup: 150 above 100.
    let consumption = RuleDraft {
        device_id: Some(f.gateway.devices[0].1),
        period: Some(RollupPeriod::Day),
        threshold_high: Some(100.0),
        ..draft(
            "Thirsty",
            AlertScope::Device,
            AlertCondition::ConsumptionAbove,
        )
    };
    alerts::create_rule(db, &f.admin, consumption, start)
        .await
        .unwrap();
    let batch = [reading(&f.gateway, account, 0, hour, 1234.0)];
    let changes = alerts::apply_verdicts(db, judge(db, &batch).await, hour)
        .await
        .unwrap();
    assert!(
        matches!(changes.as_slice(), [AlertChange::Opened(a)] if a.value == Some(150.0)),
        "{changes:?}"
    );
}

backend_tests!(
    rules_are_validated_scoped_and_guarded,
    a_burst_opens_one_alert_and_a_replay_nothing,
    racing_appliers_open_one_alert,
    acknowledge_resolve_and_list,
    silence_completeness_and_consumption,
);

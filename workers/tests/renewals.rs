//! Over-the-air renewal decisions against real databases, with the clock in the test's
//! hands: which certificates a night picks, what goes out, what acks, CSRs and silence do.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::EntityTrait;
use tds_certs::{Algorithm, CertificateAuthority};
use tds_domain::renewals::{self, CertificateUpdate, CsrRequest, RenewalPolicy, Sent};
use tds_domain::{DomainError, Tenant};
use tds_entity::{
    CertificateStatus, RenewalMode, RenewalState, RenewalStep, RenewalTrigger, certificate,
    certificate_renewal,
};
use tds_testkit::{Backend, TestDb, backend_tests, renewal_log, seed_fleet};
use uuid::Uuid;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn policy(tz: &str) -> RenewalPolicy {
    RenewalPolicy {
        timezone: tz.parse().unwrap(),
        ..RenewalPolicy::default()
    }
}

async fn admin(db: &sea_orm::DatabaseConnection, account_id: Uuid) -> Tenant {
    tds_testkit::admin_of(db, account_id).await
}

async fn renewal(db: &sea_orm::DatabaseConnection, id: Uuid) -> certificate_renewal::Model {
    certificate_renewal::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn cert(db: &sea_orm::DatabaseConnection, id: Uuid) -> certificate::Model {
    certificate::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

fn ack(serial: &str, status: &str) -> Vec<u8> {
    serde_json::json!({"serial": serial, "status": status, "detail": "test"})
        .to_string()
        .into_bytes()
}

#[test]
fn the_night_follows_local_time_and_daylight_saving() {
    // São Paulo (no DST since 2019): 02:00 local is 05:00 UTC.
    let sp = policy("America/Sao_Paulo");
    let nov25 = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert_eq!(sp.run_instant(nov25), at(2026, 11, 25, 5, 0));
    assert_eq!(
        sp.night_due(at(2026, 11, 25, 4, 59)),
        nov25.pred_opt().unwrap()
    );
    assert_eq!(sp.night_due(at(2026, 11, 25, 5, 0)), nov25);
    assert_eq!(
        sp.next_run_after(at(2026, 11, 25, 5, 0)),
        at(2026, 11, 26, 5, 0)
    );
    assert_eq!(
        sp.next_run_after(at(2026, 11, 25, 4, 0)),
        at(2026, 11, 25, 5, 0)
    );
    assert_eq!(sp.cron_expression(), "0 0 2 * * *");
    // A night that did not run may still run until 06:00 local, not later in the day.
    assert!(sp.may_catch_up(at(2026, 11, 25, 5, 0)));
    assert!(sp.may_catch_up(at(2026, 11, 25, 8, 59)));
    assert!(!sp.may_catch_up(at(2026, 11, 25, 9, 0)));
    assert!(
        !sp.may_catch_up(at(2026, 11, 25, 4, 59)),
        "01:59 belongs to yesterday's night"
    );

    // Berlin, 2027-03-28: clocks jump 02:00 → 03:00, so the run moves to 03:00 CEST (01:00Z).
    let berlin = policy("Europe/Berlin");
    let spring = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
    assert_eq!(berlin.run_instant(spring), at(2027, 3, 28, 1, 0));
    // 2027-10-31: 02:00 happens twice; the first one (CEST, 00:00Z) counts, once.
    let autumn = NaiveDate::from_ymd_opt(2027, 10, 31).unwrap();
    assert_eq!(berlin.run_instant(autumn), at(2027, 10, 31, 0, 0));
    assert_eq!(berlin.night_due(at(2027, 10, 31, 1, 30)), autumn);
    assert_eq!(
        berlin.next_run_after(at(2027, 10, 31, 0, 0)),
        at(2027, 11, 1, 1, 0)
    );
}

/// 25 certificates made at different times: each night renews the 10 earliest expiring
/// that have no renewal in flight; a second run the same night renews nobody.
async fn each_night_renews_the_ten_earliest(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x51, 25, 0, false).await;
    let (other_account, _) = seed_fleet(&db.db, "America/Sao_Paulo", 0x55, 1, 0, false).await;
    let start = at(2026, 11, 24, 12, 0);
    let ca = CertificateAuthority::create("test CA", start - Duration::days(4_000)).unwrap();
    // Issued ~8 years ago in a shuffled order, so expiry order ≠ gateway or insert order.
    let mut expiry = Vec::new();
    for (i, g) in gateways.iter().enumerate() {
        let offset = (i * 7) % 25;
        let issued_at = start - Duration::days(3_000) - Duration::days(offset as i64 * 3);
        let (record, _) = tds_domain::certificates::issue_for_gateway(
            &db.db,
            &tds_domain::Operator::command_line(),
            &ca,
            &g.mac,
            Algorithm::P256,
            issued_at,
        )
        .await
        .unwrap();
        expiry.push((record.not_after, record.id));
    }
    // One certificate far from expiry is never due.
    let fresh_gateway = &gateways[0];
    let (fresh, _) = tds_domain::certificates::issue_for_gateway(
        &db.db,
        &tds_domain::Operator::command_line(),
        &ca,
        &fresh_gateway.mac,
        Algorithm::P256,
        start,
    )
    .await
    .unwrap();
    expiry.sort();
    let order: Vec<Uuid> = expiry.iter().map(|(_, id)| *id).collect();
    let policy = policy("America/Sao_Paulo");

    let night1 = at(2026, 11, 25, 5, 0);
    let first = renewals::run_night(&db.db, &policy, night1, RenewalTrigger::Schedule)
        .await
        .unwrap();
    assert!(first.started);
    assert_eq!(
        first.run.night,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    );
    assert_eq!(first.run.scheduled, 10);
    // Each account's dashboard counts its own renewals of the night, nobody else's.
    let mine = renewals::dashboard(&db.db, &admin(&db.db, account.id).await, &policy, night1)
        .await
        .unwrap();
    assert_eq!(
        mine.last_run.map(|(run, n)| (run.id, n)),
        Some((first.run.id, 10))
    );
    let theirs = renewals::dashboard(
        &db.db,
        &admin(&db.db, other_account.id).await,
        &policy,
        night1,
    )
    .await
    .unwrap();
    assert_eq!(theirs.last_run.map(|(_, n)| n), Some(0));
    let picked: Vec<Uuid> = first
        .renewals
        .iter()
        .map(|r| r.old_certificate_id)
        .collect();
    assert_eq!(
        picked,
        order[..10],
        "the 10 earliest expiring, earliest first"
    );
    assert!(!picked.contains(&fresh.id));

    // Twice the same night (another replica, a restart): nobody is renewed twice.
    let again = renewals::run_night(
        &db.db,
        &policy,
        night1 + Duration::minutes(30),
        RenewalTrigger::CatchUp,
    )
    .await
    .unwrap();
    assert!(!again.started);
    assert!(again.renewals.is_empty());
    let later_same_night = renewals::run_night(
        &db.db,
        &policy,
        at(2026, 11, 26, 4, 59),
        RenewalTrigger::CatchUp,
    )
    .await
    .unwrap();
    assert!(
        !later_same_night.started,
        "04:59 next morning is still the 25th's night"
    );
    assert_eq!(
        certificate_renewal::Entity::find()
            .all(&db.db)
            .await
            .unwrap()
            .len(),
        10
    );

    // The first night's renewals are applied by their gateways.
    for r in &first.renewals {
        let out = renewals::prepare(&db.db, &ca, &policy, r.id, night1)
            .await
            .unwrap()
            .unwrap();
        renewals::mark_sent(&db.db, &policy, &out, night1)
            .await
            .unwrap();
        let update: CertificateUpdate = serde_json::from_slice(&out.payload).unwrap();
        let mac = cert(&db.db, r.old_certificate_id).await.common_name;
        renewals::apply_ack(&db.db, &mac, &ack(&update.serial, "applied"), night1)
            .await
            .unwrap();
        assert_eq!(renewal(&db.db, r.id).await.state, RenewalState::Applied);
    }

    // The next night: the next 10.
    let second = renewals::run_night(
        &db.db,
        &policy,
        at(2026, 11, 26, 5, 0),
        RenewalTrigger::Schedule,
    )
    .await
    .unwrap();
    let picked: Vec<Uuid> = second
        .renewals
        .iter()
        .map(|r| r.old_certificate_id)
        .collect();
    assert_eq!(picked, order[10..20]);
    // Left in flight (published, no ack yet): the third night takes the last 5 only.
    let third = renewals::run_night(
        &db.db,
        &policy,
        at(2026, 11, 27, 5, 0),
        RenewalTrigger::Schedule,
    )
    .await
    .unwrap();
    let picked: Vec<Uuid> = third
        .renewals
        .iter()
        .map(|r| r.old_certificate_id)
        .collect();
    assert_eq!(picked, order[20..25]);
    let fourth = renewals::run_night(
        &db.db,
        &policy,
        at(2026, 11, 28, 5, 0),
        RenewalTrigger::Schedule,
    )
    .await
    .unwrap();
    assert!(fourth.started);
    assert!(
        fourth.renewals.is_empty(),
        "everything due is renewed or in flight"
    );
}

/// Server-key mode: what goes out checks against the CA; `rolled_back` and silence both
/// revoke the unused successor and leave the gateway on its certificate; a later attempt
/// succeeds and supersedes the old one.
async fn rollback_and_timeout_keep_the_old_certificate(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x52, 2, 0, false).await;
    let tenant = admin(&db.db, account.id).await;
    let g = &gateways[0];
    let now = at(2026, 11, 24, 12, 0);
    let ca = CertificateAuthority::create("test CA", now - Duration::days(1)).unwrap();
    let policy = policy("America/Sao_Paulo");

    // Without a certificate there is nothing to renew.
    let none = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap_err();
    assert!(matches!(none, DomainError::Conflict(_)), "{none:?}");

    let (old, _) = tds_domain::certificates::issue_for_gateway(
        &db.db,
        &tds_domain::Operator::command_line(),
        &ca,
        &g.mac,
        Algorithm::Rsa2048,
        now,
    )
    .await
    .unwrap();

    // 1. Rolled back.
    let r1 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    assert_eq!(
        (r1.state, r1.mode, r1.attempts),
        (RenewalState::Scheduled, RenewalMode::ServerKey, 1)
    );
    let busy = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap_err();
    assert!(
        matches!(busy, DomainError::Conflict(_)),
        "one renewal in flight per gateway"
    );
    let out = renewals::prepare(&db.db, &ca, &policy, r1.id, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.topic, format!("tds_new/devices/{}/cert_update", g.mac));
    assert_eq!(out.sent, Sent::Successor);
    assert!(
        renewals::prepare(&db.db, &ca, &policy, r1.id, now)
            .await
            .unwrap()
            .is_none(),
        "prepared once"
    );
    let update: CertificateUpdate = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(
        ca.check_gateway_cert(&update.certificate, &g.mac, now)
            .unwrap(),
        update.serial
    );
    let key = update
        .private_key
        .clone()
        .expect("server-key mode carries the key");
    assert!(tds_certs::key_matches(&update.certificate, &key).unwrap());
    assert_eq!(update.ca, ca.cert_pem());
    let successor = renewal(&db.db, r1.id).await.new_certificate_id.unwrap();
    let s = cert(&db.db, successor).await;
    assert_eq!(
        (s.status, s.key_algorithm),
        (
            CertificateStatus::Pending,
            tds_entity::KeyAlgorithm::Rsa2048
        )
    );
    renewals::mark_sent(&db.db, &policy, &out, now)
        .await
        .unwrap();
    assert_eq!(renewal(&db.db, r1.id).await.state, RenewalState::Published);

    // An ack naming another gateway's MAC is refused, and changes nothing.
    let wrong = renewals::apply_ack(
        &db.db,
        &gateways[1].mac,
        &ack(&update.serial, "applied"),
        now,
    )
    .await
    .unwrap();
    assert_eq!(wrong.refusal.unwrap().reason, "MAC_MISMATCH");
    let garbage = renewals::apply_ack(&db.db, &g.mac, b"{\"serial\": 1}", now)
        .await
        .unwrap();
    assert_eq!(garbage.refusal.unwrap().reason, "BAD_ACK");

    let effects = renewals::apply_ack(&db.db, &g.mac, &ack(&update.serial, "rolled_back"), now)
        .await
        .unwrap();
    assert!(effects.crl_changed);
    assert_eq!(effects.clear_retained.as_deref(), Some(out.topic.as_str()));
    let r = renewal(&db.db, r1.id).await;
    assert_eq!(r.state, RenewalState::RolledBack);
    assert_eq!(r.error.as_deref(), Some("test"));
    assert_eq!(
        cert(&db.db, successor).await.status,
        CertificateStatus::Revoked
    );
    assert_eq!(cert(&db.db, old.id).await.status, CertificateStatus::Active);
    assert_eq!(
        renewal_log(&db.db, r1.id).await,
        [
            RenewalStep::Scheduled,
            RenewalStep::Published,
            RenewalStep::RolledBack,
            RenewalStep::SuccessorRevoked
        ]
    );

    // 2. Silence: times out at the deadline, not before.
    let r2 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    assert_eq!(r2.attempts, 2);
    let out2 = renewals::prepare(&db.db, &ca, &policy, r2.id, now)
        .await
        .unwrap()
        .unwrap();
    renewals::mark_sent(&db.db, &policy, &out2, now)
        .await
        .unwrap();
    let successor2 = renewal(&db.db, r2.id).await.new_certificate_id.unwrap();
    assert!(
        renewals::expire_overdue(&db.db, now + policy.ack_window - Duration::seconds(1))
            .await
            .unwrap()
            .is_empty()
    );
    let ended = renewals::expire_overdue(&db.db, now + policy.ack_window + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(ended.len(), 1);
    assert!(ended[0].crl_changed);
    assert_eq!(renewal(&db.db, r2.id).await.state, RenewalState::TimedOut);
    assert_eq!(
        cert(&db.db, successor2).await.status,
        CertificateStatus::Revoked
    );
    assert_eq!(cert(&db.db, old.id).await.status, CertificateStatus::Active);
    // A late ack changes nothing but is logged.
    let update2: CertificateUpdate = serde_json::from_slice(&out2.payload).unwrap();
    renewals::apply_ack(
        &db.db,
        &g.mac,
        &ack(&update2.serial, "applied"),
        now + Duration::days(2),
    )
    .await
    .unwrap();
    assert_eq!(renewal(&db.db, r2.id).await.state, RenewalState::TimedOut);
    assert_eq!(
        renewal_log(&db.db, r2.id).await.last(),
        Some(&RenewalStep::Ignored)
    );

    // 3. Applied: successor ACTIVE, old SUPERSEDED and in the CRL; a redelivered ack is harmless.
    let later = now + Duration::days(3);
    let r3 = renewals::renew_now(&db.db, &tenant, g.id, later)
        .await
        .unwrap();
    assert_eq!(r3.attempts, 3);
    let out3 = renewals::prepare(&db.db, &ca, &policy, r3.id, later)
        .await
        .unwrap()
        .unwrap();
    renewals::mark_sent(&db.db, &policy, &out3, later)
        .await
        .unwrap();
    let update3: CertificateUpdate = serde_json::from_slice(&out3.payload).unwrap();
    for _ in 0..2 {
        let effects = renewals::apply_ack(&db.db, &g.mac, &ack(&update3.serial, "applied"), later)
            .await
            .unwrap();
        assert!(effects.refusal.is_none());
        assert!(effects.clear_retained.is_some());
    }
    let r = renewal(&db.db, r3.id).await;
    assert_eq!(r.state, RenewalState::Applied);
    let successor3 = cert(&db.db, r.new_certificate_id.unwrap()).await;
    assert_eq!(successor3.status, CertificateStatus::Active);
    let old_now = cert(&db.db, old.id).await;
    assert_eq!(old_now.status, CertificateStatus::Superseded);
    assert_eq!(old_now.successor_id, Some(successor3.id));
    let revoked: Vec<String> = tds_domain::certificates::revoked(&db.db, later)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.serial)
        .collect();
    for serial in [
        &old.serial,
        &cert(&db.db, successor).await.serial,
        &cert(&db.db, successor2).await.serial,
    ] {
        assert!(revoked.contains(serial), "{serial} in the CRL");
    }
    assert!(!revoked.contains(&successor3.serial));

    // The account's renewal log and dashboard.
    let page = renewals::list(
        &db.db,
        &tenant,
        Default::default(),
        tds_domain::page::PageRequest::new(None, None).unwrap(),
    )
    .await
    .unwrap();
    let states: Vec<RenewalState> = page.items.iter().map(|r| r.state).collect();
    assert_eq!(
        states,
        [
            RenewalState::Applied,
            RenewalState::TimedOut,
            RenewalState::RolledBack
        ]
    );
    let dash = renewals::dashboard(&db.db, &tenant, &policy, later)
        .await
        .unwrap();
    assert_eq!(dash.later, 1, "one ACTIVE certificate, ten years to go");
    assert_eq!(dash.in_flight, 0);
    assert_eq!(
        dash.renewals_by_state,
        [
            (RenewalState::Applied, 1),
            (RenewalState::RolledBack, 1),
            (RenewalState::TimedOut, 1)
        ]
    );
}

/// An operator's revocation during a renewal stands: a revoked successor never becomes
/// ACTIVE, and revoking the certificate being replaced stops the renewal.
async fn operator_revocations_stand(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x54, 1, 0, false).await;
    let tenant = admin(&db.db, account.id).await;
    let g = &gateways[0];
    let now = at(2026, 11, 24, 12, 0);
    let ca = CertificateAuthority::create("test CA", now - Duration::days(1)).unwrap();
    let policy = policy("America/Sao_Paulo");
    let (old, _) = tds_domain::certificates::issue_for_gateway(
        &db.db,
        &tds_domain::Operator::command_line(),
        &ca,
        &g.mac,
        Algorithm::P256,
        now,
    )
    .await
    .unwrap();
    let published = |id| {
        let (db, ca, policy) = (&db.db, &ca, &policy);
        async move {
            let out = renewals::prepare(db, ca, policy, id, now)
                .await
                .unwrap()
                .unwrap();
            renewals::mark_sent(db, policy, &out, now).await.unwrap();
            serde_json::from_slice::<CertificateUpdate>(&out.payload)
                .unwrap()
                .serial
        }
    };

    let r1 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    let serial = published(r1.id).await;
    tds_domain::certificates::revoke(
        &db.db,
        &tds_domain::Operator::command_line(),
        &serial,
        "key-compromise",
        now,
    )
    .await
    .unwrap();
    renewals::apply_ack(&db.db, &g.mac, &ack(&serial, "applied"), now)
        .await
        .unwrap();
    let r1 = renewal(&db.db, r1.id).await;
    assert_eq!(r1.state, RenewalState::Failed);
    let s1 = cert(&db.db, r1.new_certificate_id.unwrap()).await;
    assert_eq!(
        (s1.status, s1.revocation_reason.as_deref()),
        (CertificateStatus::Revoked, Some("key-compromise"))
    );
    assert_eq!(cert(&db.db, old.id).await.status, CertificateStatus::Active);

    let r2 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    let serial = published(r2.id).await;
    tds_domain::certificates::revoke(
        &db.db,
        &tds_domain::Operator::command_line(),
        &old.serial,
        "key-compromise",
        now,
    )
    .await
    .unwrap();
    // Its key may be compromised: the renewal stops at once, its successor is revoked, and
    // a late "applied" changes nothing.
    let r2 = renewal(&db.db, r2.id).await;
    assert_eq!(r2.state, RenewalState::Failed);
    assert!(r2.error.unwrap().contains("revoked by an operator"));
    let s2 = cert(&db.db, r2.new_certificate_id.unwrap()).await;
    assert_eq!(s2.status, CertificateStatus::Revoked);
    renewals::apply_ack(&db.db, &g.mac, &ack(&serial, "applied"), now)
        .await
        .unwrap();
    assert_eq!(renewal(&db.db, r2.id).await.state, RenewalState::Failed);
    assert_eq!(
        renewal_log(&db.db, r2.id).await.last(),
        Some(&RenewalStep::Ignored)
    );
    let old = cert(&db.db, old.id).await;
    assert_eq!(
        (old.status, old.revocation_reason.as_deref()),
        (CertificateStatus::Revoked, Some("key-compromise"))
    );
    assert_eq!(cert(&db.db, s2.id).await.status, CertificateStatus::Revoked);
}

/// A gateway carries one renewal at a time (its retained topic holds one update), and a
/// certificate whose renewals keep failing rests 1, 2, 4 … nights between attempts.
async fn one_per_gateway_and_failures_rest(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (_, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x56, 2, 0, false).await;
    let start = at(2026, 11, 24, 12, 0);
    let ca = CertificateAuthority::create("test CA", start - Duration::days(4_000)).unwrap();
    let issue = |mac: String, days: i64| {
        let (db, ca) = (&db.db, &ca);
        async move {
            tds_domain::certificates::issue_for_gateway(
                db,
                &tds_domain::Operator::command_line(),
                ca,
                &mac,
                Algorithm::P256,
                start - Duration::days(days),
            )
            .await
            .unwrap()
            .0
        }
    };
    let g0_later = issue(gateways[0].mac.clone(), 3_000).await;
    let g0_earlier = issue(gateways[0].mac.clone(), 3_100).await;
    let g1 = issue(gateways[1].mac.clone(), 3_050).await;
    let policy = RenewalPolicy {
        ack_window: Duration::hours(1),
        ..policy("America/Sao_Paulo")
    };
    let night = |n: i64| at(2026, 11, 25, 5, 0) + Duration::days(n);
    let run = |n: i64| {
        let (db, policy) = (&db.db, &policy);
        async move {
            renewals::run_night(db, policy, night(n), RenewalTrigger::Schedule)
                .await
                .unwrap()
                .renewals
        }
    };
    // Publish everything picked, then let it time out within the night.
    let fail_all = |picked: Vec<tds_entity::certificate_renewal::Model>, n: i64| {
        let (db, ca, policy) = (&db.db, &ca, &policy);
        async move {
            for r in &picked {
                let out = renewals::prepare(db, ca, policy, r.id, night(n))
                    .await
                    .unwrap()
                    .unwrap();
                renewals::mark_sent(db, policy, &out, night(n))
                    .await
                    .unwrap();
            }
            let ended = renewals::expire_overdue(db, night(n) + Duration::minutes(61))
                .await
                .unwrap();
            assert_eq!(ended.len(), picked.len());
        }
    };

    let first = run(0).await;
    let mut olds: Vec<Uuid> = first.iter().map(|r| r.old_certificate_id).collect();
    olds.sort();
    let mut expected = vec![g0_earlier.id, g1.id];
    expected.sort();
    assert_eq!(olds, expected, "one certificate per gateway, its earliest");
    assert!(!olds.contains(&g0_later.id));
    fail_all(first, 0).await;

    // g1 failed once: retried the next night; failed twice: rests one night, then retried.
    let picked_g1 = |renewals: &[tds_entity::certificate_renewal::Model]| {
        renewals
            .iter()
            .find(|r| r.old_certificate_id == g1.id)
            .map(|r| r.attempts)
    };
    let second = run(1).await;
    assert_eq!(picked_g1(&second), Some(2));
    fail_all(second, 1).await;
    let third = run(2).await;
    assert_eq!(picked_g1(&third), None, "resting after two failures");
    fail_all(third, 2).await;
    let fourth = run(3).await;
    assert_eq!(picked_g1(&fourth), Some(3));
}

/// CSR mode: the platform asks, the gateway keeps its key, the certificate carries the
/// gateway's public key; a CSR for another MAC fails the renewal.
async fn csr_mode_signs_the_gateways_own_key(backend: Backend) {
    let db = TestDb::migrated(backend).await;
    let (account, gateways) = seed_fleet(&db.db, "America/Sao_Paulo", 0x53, 2, 0, false).await;
    let tenant = admin(&db.db, account.id).await;
    let g = &gateways[0];
    let now = at(2026, 11, 24, 12, 0);
    let ca = CertificateAuthority::create("test CA", now - Duration::days(1)).unwrap();
    let policy = policy("America/Sao_Paulo");
    tds_domain::certificates::issue_for_gateway(
        &db.db,
        &tds_domain::Operator::command_line(),
        &ca,
        &g.mac,
        Algorithm::P256,
        now,
    )
    .await
    .unwrap();
    let patch = tds_domain::gateways::GatewayPatch {
        renewal_mode: Some(RenewalMode::Csr),
        ..Default::default()
    };
    tds_domain::gateways::update_gateway(&db.db, &tenant, g.id, patch, now)
        .await
        .unwrap();

    let r = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    assert_eq!(r.mode, RenewalMode::Csr);
    let out = renewals::prepare(&db.db, &ca, &policy, r.id, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.sent, Sent::CsrRequest);
    let request: CsrRequest = serde_json::from_slice(&out.payload).unwrap();
    assert_eq!(
        (request.action.as_str(), request.renewal_id),
        ("csr_request", r.id)
    );
    renewals::mark_sent(&db.db, &policy, &out, now)
        .await
        .unwrap();
    assert_eq!(
        renewal(&db.db, r.id).await.state,
        RenewalState::Scheduled,
        "waiting for the CSR"
    );

    // Unsolicited CSRs (from the other gateway) are refused.
    let (other_csr, _) = tds_certs::gateway_csr(&gateways[1].mac, Algorithm::P256).unwrap();
    let body = serde_json::json!({"csr": other_csr}).to_string();
    let refused = renewals::accept_csr(&db.db, &ca, &gateways[1].mac, body.as_bytes(), now)
        .await
        .unwrap();
    assert_eq!(refused.refusal.unwrap().reason, "UNEXPECTED_CSR");

    let (csr, key) = tds_certs::gateway_csr(&g.mac, Algorithm::P256).unwrap();
    let body = serde_json::json!({"renewal_id": r.id, "csr": csr}).to_string();
    let effects = renewals::accept_csr(&db.db, &ca, &g.mac, body.as_bytes(), now)
        .await
        .unwrap();
    assert!(effects.refusal.is_none());
    let out = effects.publish.unwrap();
    let update: CertificateUpdate = serde_json::from_slice(&out.payload).unwrap();
    assert!(update.private_key.is_none(), "CSR mode never sends a key");
    assert!(tds_certs::key_matches(&update.certificate, &key).unwrap());
    assert_eq!(
        ca.check_gateway_cert(&update.certificate, &g.mac, now)
            .unwrap(),
        update.serial
    );
    renewals::mark_sent(&db.db, &policy, &out, now)
        .await
        .unwrap();
    // The same CSR again (redelivered, or the gateway reconnected): the same successor.
    let again = renewals::accept_csr(&db.db, &ca, &g.mac, body.as_bytes(), now)
        .await
        .unwrap();
    let again: CertificateUpdate = serde_json::from_slice(&again.publish.unwrap().payload).unwrap();
    assert_eq!(again.serial, update.serial);
    // A CSR for another key: the gateway lost the first one, which is revoked.
    let (csr2, key2) = tds_certs::gateway_csr(&g.mac, Algorithm::P256).unwrap();
    let body2 = serde_json::json!({"renewal_id": r.id, "csr": csr2}).to_string();
    let effects = renewals::accept_csr(&db.db, &ca, &g.mac, body2.as_bytes(), now)
        .await
        .unwrap();
    assert!(effects.crl_changed);
    let out = effects.publish.unwrap();
    let first = update;
    let update: CertificateUpdate = serde_json::from_slice(&out.payload).unwrap();
    assert_ne!(update.serial, first.serial);
    assert!(tds_certs::key_matches(&update.certificate, &key2).unwrap());
    let revoked: Vec<String> = tds_domain::certificates::revoked(&db.db, now)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.serial)
        .collect();
    assert!(revoked.contains(&first.serial));
    renewals::mark_sent(&db.db, &policy, &out, now)
        .await
        .unwrap();
    // "Applied" naming the first (revoked) successor decides nothing: refused.
    let stale = renewals::apply_ack(&db.db, &g.mac, &ack(&first.serial, "applied"), now)
        .await
        .unwrap();
    assert_eq!(stale.refusal.unwrap().reason, "UNKNOWN_RENEWAL");
    assert_eq!(renewal(&db.db, r.id).await.state, RenewalState::Published);
    renewals::apply_ack(&db.db, &g.mac, &ack(&update.serial, "applied"), now)
        .await
        .unwrap();
    assert_eq!(renewal(&db.db, r.id).await.state, RenewalState::Applied);
    assert_eq!(
        renewal_log(&db.db, r.id).await,
        [
            RenewalStep::Scheduled,
            RenewalStep::CsrRequested,
            RenewalStep::CsrReceived,
            RenewalStep::Published,
            RenewalStep::SuccessorRevoked,
            RenewalStep::CsrReceived,
            RenewalStep::Applied,
            RenewalStep::PredecessorRevoked
        ]
    );

    // A CSR whose CN is not the gateway's MAC fails the renewal.
    let r2 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    let out2 = renewals::prepare(&db.db, &ca, &policy, r2.id, now)
        .await
        .unwrap()
        .unwrap();
    renewals::mark_sent(&db.db, &policy, &out2, now)
        .await
        .unwrap();
    let (forged, _) = tds_certs::gateway_csr(&gateways[1].mac, Algorithm::P256).unwrap();
    let body = serde_json::json!({"csr": forged}).to_string();
    let effects = renewals::accept_csr(&db.db, &ca, &g.mac, body.as_bytes(), now)
        .await
        .unwrap();
    let refusal = effects.refusal.unwrap();
    assert_eq!(refusal.reason, "BAD_CSR");
    assert!(
        refusal.detail.contains("is not the gateway's MAC"),
        "{}",
        refusal.detail
    );
    let r2 = renewal(&db.db, r2.id).await;
    assert_eq!(r2.state, RenewalState::Failed);
    assert!(r2.new_certificate_id.is_none());

    // A gateway that refuses the CSR request acks with its current serial (the successor
    // of the renewal applied above) and the renewal's id: that renewal ends, not the old one.
    let r3 = renewals::renew_now(&db.db, &tenant, g.id, now)
        .await
        .unwrap();
    let out3 = renewals::prepare(&db.db, &ca, &policy, r3.id, now)
        .await
        .unwrap()
        .unwrap();
    renewals::mark_sent(&db.db, &policy, &out3, now)
        .await
        .unwrap();
    let refusal = serde_json::json!({
        "serial": update.serial, "status": "rolled_back", "detail": "no room for a key", "renewal_id": r3.id
    });
    renewals::apply_ack(&db.db, &g.mac, refusal.to_string().as_bytes(), now)
        .await
        .unwrap();
    let r3 = renewal(&db.db, r3.id).await;
    assert_eq!(r3.state, RenewalState::RolledBack);
    assert_eq!(r3.error.as_deref(), Some("no room for a key"));
    assert_eq!(renewal(&db.db, r.id).await.state, RenewalState::Applied);
}

/// The apalis cron worker fires at the policy's local time and runs that night: with the
/// time of day set two seconds ahead, no one waits for 02:00.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cron_worker_runs_the_night_at_its_time() {
    use std::sync::Arc;
    use tds_workers::renewals::{DeviceLink, LinkConfig, RenewalWorker, schedule_nights};
    let db = TestDb::migrated(Backend::Postgres).await;
    let tz: chrono_tz::Tz = "America/Sao_Paulo".parse().unwrap();
    // Run instants are whole seconds (02:00:00 in production; cron ticks carry seconds).
    let fire_at = DateTime::from_timestamp(Utc::now().timestamp() + 3, 0).unwrap();
    let policy = RenewalPolicy {
        timezone: tz,
        at: fire_at.with_timezone(&tz).time(),
        ..RenewalPolicy::default()
    };
    let tag = Uuid::new_v4().simple().to_string();
    let link_config = LinkConfig::new("mqtt://127.0.0.1:1883", &tag);
    let (link, _incoming) = DeviceLink::connect(&link_config).unwrap();
    let ca = CertificateAuthority::create("test CA", Utc::now()).unwrap();
    let worker = Arc::new(RenewalWorker::new(
        db.db.clone(),
        Arc::new(ca),
        policy.clone(),
        link,
        Vec::new(),
    ));
    let cron = schedule_nights(worker, &policy, &format!("renewal-night-{tag}"));
    let runs = || async {
        tds_entity::renewal_run::Entity::find()
            .all(&db.db)
            .await
            .unwrap()
    };
    tds_testkit::eventually(
        std::time::Duration::from_secs(15),
        "the cron worker runs the night",
        || async { !runs().await.is_empty() },
    )
    .await;
    let run = runs().await.remove(0);
    assert_eq!(run.trigger, RenewalTrigger::Schedule);
    assert_eq!(run.night, fire_at.with_timezone(&tz).date_naive());
    assert!(
        run.started_at >= fire_at - Duration::seconds(1),
        "not before its time"
    );
    cron.abort();
    tds_testkit::forget_mqtt_session("mqtt://127.0.0.1:1883", &link_config.client_id).await;
}

backend_tests!(
    each_night_renews_the_ten_earliest,
    rollback_and_timeout_keep_the_old_certificate,
    operator_revocations_stand,
    one_per_gateway_and_failures_rest,
    csr_mode_signs_the_gateways_own_key
);

//! Reports as their users follow them, on PostgreSQL and SQLite: a request validated per
//! field and scoped to the account, QUEUED → RUNNING → DONE with a stored file only its
//! account reads, a replayed job that changes nothing, expiry; schedules with a cron in
//! the account's zone, run once each time they fall due.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::DatabaseConnection;
use tds_domain::files;
use tds_domain::report_requests::{self as reports, BuiltReport, NewReport, Selection};
use tds_domain::report_schedules::{self as schedules, ScheduleDraft};
use tds_domain::{DomainError, Tenant};
use tds_entity::{ReportFormat, ReportKind, ReportPeriod, ReportState, Role};
use tds_testkit::{Backend, TestDb, admin_of, backend_tests, member_of, seed_fleet};

fn field_errors(result: Result<impl std::fmt::Debug, DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::Validation(list)) => list.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn viewer_of(db: &DatabaseConnection, of: &Tenant) -> Tenant {
    member_of(db, of.account_id(), Role::Viewer).await
}

fn monthly(selection: Selection) -> NewReport {
    NewReport {
        kind: ReportKind::Consumption,
        period: ReportPeriod::Month,
        date: None,
        from: None,
        to: None,
        selection,
        format: ReportFormat::Pdf,
    }
}

async fn requests_are_checked_and_scoped(backend: Backend) {
    let test = TestDb::migrated(backend).await;
    let db = &test.db;
    let (a, gateways) = seed_fleet(db, "America/Sao_Paulo", 0xc1, 1, 2, false).await;
    let (b, other) = seed_fleet(db, "UTC", 0xc2, 1, 1, false).await;
    let admin = admin_of(db, a.id).await;
    let stranger = admin_of(db, b.id).await;
    let now: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();

    // CUSTOM needs its range; a range backwards or too long is refused on its field.
    let custom = |from, to| NewReport {
        period: ReportPeriod::Custom,
        from,
        to,
        ..monthly(Selection::All)
    };
    assert_eq!(
        field_errors(reports::request_report(db, &admin, custom(None, None), now).await),
        ["from", "to"]
    );
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d);
    assert_eq!(
        field_errors(reports::request_report(db, &admin, custom(day(20), day(10)), now).await),
        ["to"]
    );
    // Another account's device or gateway does not exist for this one.
    let theirs = other[0].devices[0].1;
    assert!(matches!(
        reports::request_report(db, &admin, monthly(Selection::Devices(vec![theirs])), now).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        reports::request_report(db, &admin, monthly(Selection::Gateway(other[0].id)), now).await,
        Err(DomainError::NotFound(_))
    ));
    // VIEWERs read reports but do not request them.
    let viewer = viewer_of(db, &admin).await;
    assert!(matches!(
        reports::request_report(db, &viewer, monthly(Selection::All), now).await,
        Err(DomainError::Forbidden(_))
    ));

    // No date: the last finished month, in the account's zone.
    let mine = gateways[0].devices[0].1;
    let queued = reports::request_report(
        db,
        &admin,
        monthly(Selection::Devices(vec![mine, mine])),
        now,
    )
    .await
    .unwrap();
    assert_eq!(queued.state, ReportState::Queued);
    assert_eq!(queued.range_start.to_rfc3339(), "2026-11-01T03:00:00+00:00");
    assert_eq!(queued.range_end.to_rfc3339(), "2026-12-01T03:00:00+00:00");
    assert_eq!(
        reports::selection_of(&queued),
        Selection::Devices(vec![mine])
    );
    assert_eq!(queued.locale, a.locale);
    assert!(matches!(
        reports::get_report(db, &stranger, queued.id).await,
        Err(DomainError::NotFound(_))
    ));
    let listed = reports::list_reports(
        db,
        &viewer,
        tds_domain::page::PageRequest::new(None, None).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert!(
        reports::list_reports(
            db,
            &stranger,
            tds_domain::page::PageRequest::new(None, None).unwrap()
        )
        .await
        .unwrap()
        .items
        .is_empty()
    );
}

async fn a_report_runs_to_a_file_only_its_account_reads(backend: Backend) {
    let test = TestDb::migrated(backend).await;
    let db = &test.db;
    let (a, _) = seed_fleet(db, "UTC", 0xc3, 1, 1, false).await;
    let (b, _) = seed_fleet(db, "UTC", 0xc4, 1, 1, false).await;
    let admin = admin_of(db, a.id).await;
    let stranger = admin_of(db, b.id).await;
    let now = Utc::now();
    let queued = reports::request_report(db, &admin, monthly(Selection::All), now)
        .await
        .unwrap();

    let running = reports::start_report(db, queued.id, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.state, ReportState::Running);
    assert!(
        reports::report_progress(db, queued.id, 40, now)
            .await
            .unwrap()
    );
    // Its heartbeat keeps it from looking stalled; it is nobody's to take over.
    assert!(reports::keep_building(db, &running, now).await.unwrap());
    let sweep = now + Duration::minutes(3);
    assert!(
        !reports::stranded_reports(db, now + Duration::seconds(30), 100)
            .await
            .unwrap()
            .contains(&queued.id)
    );
    assert!(
        reports::stranded_reports(db, sweep, 100)
            .await
            .unwrap()
            .contains(&queued.id),
        "silent for three minutes: stranded"
    );
    assert_eq!(
        reports::get_report(db, &admin, queued.id)
            .await
            .unwrap()
            .progress,
        40
    );
    let content = b"%PDF-1.7 not really".to_vec();
    let done = reports::finish_report(
        db,
        queued.id,
        BuiltReport {
            file_name: "consumo-2026-11.pdf".into(),
            content_type: "application/pdf".into(),
            content: content.clone(),
            pages: Some(3),
            rows: None,
        },
        now,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.state, ReportState::Done);
    assert_eq!(done.progress, 100);
    assert_eq!(done.pages, Some(3));
    assert_eq!(done.file_size, Some(content.len() as i64));
    assert_eq!(
        done.file_sha256.as_deref(),
        Some(files::sha256_hex(&content).as_str())
    );
    // Kept for the account's report retention (90 days unless it says otherwise).
    assert!(
        (done.expires_at.unwrap() - now - Duration::days(90))
            .num_seconds()
            .abs()
            <= 1
    );

    let file = reports::report_file(db, &admin, queued.id, now)
        .await
        .unwrap();
    assert_eq!(file.content, content);
    assert_eq!(file.file_name, "consumo-2026-11.pdf");
    assert!(matches!(
        reports::report_file(db, &stranger, queued.id, now).await,
        Err(DomainError::NotFound(_))
    ));
    // A replayed job finds it done and changes nothing.
    assert!(
        reports::start_report(db, queued.id, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        reports::fail_report(db, queued.id, "late", now)
            .await
            .unwrap()
            .is_none()
    );
    // A second builder finishing after it stores nothing; progress and heartbeat stop.
    let again = BuiltReport {
        file_name: "again.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"again".to_vec(),
        pages: Some(1),
        rows: None,
    };
    assert!(
        reports::finish_report(db, queued.id, again, now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !reports::report_progress(db, queued.id, 99, now)
            .await
            .unwrap()
    );
    assert!(!reports::keep_building(db, &running, now).await.unwrap());

    // Past its retention the file is gone, and so is the download.
    let later = done.expires_at.unwrap() + Duration::seconds(1);
    assert_eq!(files::delete_expired_files(db, later).await.unwrap(), 1);
    assert!(matches!(
        reports::report_file(db, &admin, queued.id, later).await,
        Err(DomainError::NotFound(_))
    ));

    // A failure keeps its reason.
    let other = reports::request_report(db, &admin, monthly(Selection::All), now)
        .await
        .unwrap();
    // Stranded while QUEUED: found once, then left alone for the next two minutes.
    let found = reports::stranded_reports(db, now + Duration::minutes(3), 100)
        .await
        .unwrap();
    assert!(found.contains(&other.id));
    let again = reports::stranded_reports(db, now + Duration::minutes(4), 100)
        .await
        .unwrap();
    assert!(
        !again.contains(&other.id),
        "queued again at most every two minutes"
    );
    let failed = reports::fail_report(db, other.id, "no rollups", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, ReportState::Failed);
    assert_eq!(failed.error.as_deref(), Some("no rollups"));
}

async fn schedules_run_once_each_time_they_fall_due(backend: Backend) {
    let test = TestDb::migrated(backend).await;
    let db = &test.db;
    let (a, gateways) = seed_fleet(db, "America/Sao_Paulo", 0xc5, 1, 1, false).await;
    let admin = admin_of(db, a.id).await;
    let viewer = viewer_of(db, &admin).await;
    let now: DateTime<Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
    let draft = |cron: &str| ScheduleDraft {
        name: "Monthly to the board".into(),
        cron: cron.into(),
        kind: ReportKind::Consumption,
        period: ReportPeriod::Month,
        selection: Selection::Gateway(gateways[0].id),
        format: ReportFormat::Xlsx,
        recipients: vec!["board@example.com".into()],
        enabled: true,
    };
    assert_eq!(
        field_errors(schedules::create_schedule(db, &admin, draft("0 6 1 * *"), now).await),
        ["cron"]
    );
    assert_eq!(
        field_errors(
            schedules::create_schedule(
                db,
                &admin,
                ScheduleDraft {
                    recipients: vec!["not-an-address".into()],
                    period: ReportPeriod::Custom,
                    ..draft("0 0 6 1 * *")
                },
                now
            )
            .await
        ),
        ["period", "recipients[0]"]
    );
    assert!(matches!(
        schedules::create_schedule(db, &viewer, draft("0 0 6 1 * *"), now).await,
        Err(DomainError::Forbidden(_))
    ));
    // 06:00 on the 1st in São Paulo: 09:00 UTC on 1 December.
    let schedule = schedules::create_schedule(db, &admin, draft("0 0 6 1 * *"), now)
        .await
        .unwrap();
    assert_eq!(
        schedule.next_run_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-12-01T09:00:00+00:00")
    );
    assert!(
        schedules::start_due_schedules(db, now, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let run_at: DateTime<Utc> = "2026-12-01T09:00:05Z".parse().unwrap();
    let started = schedules::start_due_schedules(db, run_at, 10)
        .await
        .unwrap();
    assert_eq!(started.len(), 1);
    let report = &started[0];
    assert_eq!(report.schedule_id, Some(schedule.id));
    assert_eq!(report.format, ReportFormat::Xlsx);
    assert_eq!(
        reports::selection_of(report),
        Selection::Gateway(gateways[0].id)
    );
    // November, whole, in the account's zone.
    assert_eq!(report.range_start.to_rfc3339(), "2026-11-01T03:00:00+00:00");
    assert_eq!(report.range_end.to_rfc3339(), "2026-12-01T03:00:00+00:00");
    // Taken once: the next run is January's.
    assert!(
        schedules::start_due_schedules(db, run_at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after = schedules::get_schedule(db, &admin, schedule.id)
        .await
        .unwrap();
    assert_eq!(
        after.next_run_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2027-01-01T09:00:00+00:00")
    );
    assert_eq!(after.last_report_id, Some(report.id));
    schedules::record_schedule_outcome(db, schedule.id, Some("SMTP refused"), run_at)
        .await
        .unwrap();
    assert_eq!(
        schedules::get_schedule(db, &viewer, schedule.id)
            .await
            .unwrap()
            .last_error
            .as_deref(),
        Some("SMTP refused")
    );

    // Its e-mails are an outbox: due once the report is DONE, claimed by one process
    // for a lease, due again if that process stops before marking them queued.
    assert!(
        reports::notices_due(db, run_at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    reports::start_report(db, report.id, run_at).await.unwrap();
    let built = BuiltReport {
        file_name: "consumo-2026-11.xlsx".into(),
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        content: b"PK not really".to_vec(),
        pages: None,
        rows: Some(0),
    };
    reports::finish_report(db, report.id, built, run_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        reports::notices_due(db, run_at, 10).await.unwrap(),
        [report.id]
    );
    assert!(
        reports::claim_notice(db, report.id, run_at)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        reports::claim_notice(db, report.id, run_at)
            .await
            .unwrap()
            .is_none(),
        "claimed once"
    );
    let lease_over = run_at + reports::NOTICE_LEASE + Duration::seconds(1);
    assert!(
        reports::claim_notice(db, report.id, lease_over)
            .await
            .unwrap()
            .is_some()
    );
    reports::notice_done(db, report.id).await.unwrap();
    assert!(
        reports::notices_due(db, lease_over + Duration::hours(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

backend_tests!(
    requests_are_checked_and_scoped,
    a_report_runs_to_a_file_only_its_account_reads,
    schedules_run_once_each_time_they_fall_due,
);

//! Reports as a GraphQL client sees them (issue 11), on PostgreSQL and SQLite: requests
//! with per-field errors and roles, the report list in pages, schedule CRUD with its
//! cron checked in the account's zone, completeness, and the live `reportStatus`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::Utc;
use futures::StreamExt;
use serde_json::json;
use tds_testkit::{Backend, Caller, TestApi, backend_tests};

const REQUEST: &str = "mutation($input: RequestReportInput!) { requestReport(input: $input) { id state progress format period from to deviceIds gatewayId locale downloadPath downloadUrl } }";
const SCHEDULE_FIELDS: &str =
    "id name cron kind period format deviceIds gatewayId recipients enabled nextRunAt lastError";

struct Setup {
    api: TestApi,
    admin: Caller,
    viewer: Caller,
    gateway: String,
    device: String,
}

async fn setup(backend: Backend) -> Setup {
    let api = TestApi::new(backend).await;
    let fleet = api
        .small_fleet("r.example", "02:00:00:00:0b:01", "WATER")
        .await;
    Setup {
        api,
        admin: fleet.admin,
        viewer: fleet.viewer,
        gateway: fleet.gateway,
        device: fleet.device,
    }
}

backend_tests!(requests_are_checked_field_by_field_and_listed_in_pages);
async fn requests_are_checked_field_by_field_and_listed_in_pages(backend: Backend) {
    let s = setup(backend).await;
    let api = &s.api;

    // A CUSTOM period needs both days, in order; a selection names one thing.
    let r = api
        .run(
            Some(&s.admin),
            REQUEST,
            json!({"input": {"period": "CUSTOM", "all": true, "format": "PDF"}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    let fields = r.fields();
    assert_eq!(fields, ["from", "to"]);
    let r = api
        .run(
            Some(&s.admin),
            REQUEST,
            json!({"input": {"period": "CUSTOM", "from": "2026-05-10", "to": "2026-05-01", "all": true, "format": "PDF"}}),
        )
        .await;
    assert_eq!(r.errors[0]["extensions"]["field"], "to");
    let r = api
        .run(
            Some(&s.admin),
            REQUEST,
            json!({"input": {"period": "DAY", "all": true, "gatewayId": s.gateway, "format": "PDF"}}),
        )
        .await;
    assert_eq!(r.errors[0]["extensions"]["field"], "deviceIds");
    let r = api
        .run(
            Some(&s.viewer),
            REQUEST,
            json!({"input": {"period": "DAY", "all": true, "format": "PDF"}}),
        )
        .await;
    assert_eq!(
        r.code(),
        "FORBIDDEN",
        "a VIEWER reads reports, does not request them"
    );

    // A month around a day, in the account's zone (São Paulo, UTC−3).
    let r = api
        .run(
            Some(&s.admin),
            REQUEST,
            json!({"input": {"period": "MONTH", "date": "2026-02-18", "deviceIds": [s.device], "format": "XLSX"}}),
        )
        .await;
    let first = r.ok()["requestReport"].clone();
    assert_eq!(first["state"], "QUEUED");
    assert_eq!(first["from"], "2026-02-01T03:00:00+00:00");
    assert_eq!(first["to"], "2026-03-01T03:00:00+00:00");
    assert_eq!(first["deviceIds"], json!([s.device]));
    assert_eq!(first["locale"], "pt-BR");
    assert_eq!(
        first["downloadPath"],
        json!(null),
        "nothing to download yet"
    );
    assert_eq!(first["downloadUrl"], json!(null));
    let r = api
        .run(
            Some(&s.admin),
            REQUEST,
            json!({"input": {"period": "WEEK", "gatewayId": s.gateway, "format": "PDF"}}),
        )
        .await;
    let second = r.ok()["requestReport"]["id"].as_str().unwrap().to_owned();

    // Newest first, a page at a time; the viewer sees them too.
    let page = "query($after: String) { reports(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }";
    let r = api.run(Some(&s.viewer), page, json!({})).await;
    assert_eq!(r.ok()["reports"]["nodes"][0]["id"], second.as_str());
    assert_eq!(r.ok()["reports"]["pageInfo"]["hasNextPage"], true);
    let cursor = r.ok()["reports"]["pageInfo"]["endCursor"].clone();
    let r = api
        .run(Some(&s.viewer), page, json!({"after": cursor}))
        .await;
    assert_eq!(r.ok()["reports"]["nodes"][0]["id"], first["id"]);
    assert_eq!(r.ok()["reports"]["pageInfo"]["hasNextPage"], false);

    // The account says how long report files are kept.
    let retention = "mutation($d: Int) { updateAccount(input: {reportRetentionDays: $d}) { reportRetentionDays } }";
    let r = api.run(Some(&s.admin), retention, json!({"d": 0})).await;
    assert_eq!(r.errors[0]["extensions"]["field"], "reportRetentionDays");
    let r = api.run(Some(&s.admin), retention, json!({"d": 7})).await;
    assert_eq!(r.ok()["updateAccount"]["reportRetentionDays"], 7);

    // Completeness: nothing received yet over a day of a 15-minute gateway.
    let r = api
        .run(
            Some(&s.viewer),
            "query($d: ID!) { completeness(deviceIds: [$d], from: \"2026-05-01T03:00:00Z\", to: \"2026-05-02T03:00:00Z\") { deviceId received expected ratio intervalS } }",
            json!({"d": s.device}),
        )
        .await;
    let c = &r.ok()["completeness"][0];
    let r = api
        .run(
            Some(&s.viewer),
            "query($d: ID!) { completeness(deviceIds: [$d], from: \"2020-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\") { received } }",
            json!({"d": s.device}),
        )
        .await;
    assert_eq!(
        r.errors[0]["extensions"]["field"], "to",
        "years at once are refused"
    );
    assert_eq!(c["deviceId"], s.device.as_str());
    assert_eq!(c["received"], 0);
}

backend_tests!(schedules_are_created_changed_and_deleted_by_editors);
async fn schedules_are_created_changed_and_deleted_by_editors(backend: Backend) {
    let s = setup(backend).await;
    let api = &s.api;
    let create = format!(
        "mutation($input: ReportScheduleInput!) {{ createReportSchedule(input: $input) {{ {SCHEDULE_FIELDS} }} }}"
    );
    let update = format!(
        "mutation($id: ID!, $input: ReportScheduleInput!) {{ updateReportSchedule(id: $id, input: $input) {{ {SCHEDULE_FIELDS} }} }}"
    );
    let input = json!({"name": "Mensal", "cron": "0 0 6 1 * *", "period": "MONTH", "format": "PDF",
        "gatewayId": s.gateway, "recipients": ["Sindico@Aurora.example", "sindico@aurora.example"]});

    // Every wrong field at once: a five-field cron, CUSTOM, a bad address.
    let r = api
        .run(
            Some(&s.admin),
            &create,
            json!({"input": {"name": "x", "cron": "0 6 1 * *", "period": "CUSTOM", "format": "PDF", "all": true, "recipients": ["not an address"]}}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    let fields = r.fields();
    assert_eq!(fields, ["cron", "period", "recipients[0]"]);
    let r = api
        .run(Some(&s.viewer), &create, json!({"input": input.clone()}))
        .await;
    assert_eq!(r.code(), "FORBIDDEN");

    let r = api
        .run(Some(&s.admin), &create, json!({"input": input.clone()}))
        .await;
    let made = r.ok()["createReportSchedule"].clone();
    assert_eq!(made["recipients"], json!(["sindico@aurora.example"]));
    assert_eq!(made["gatewayId"], s.gateway.as_str());
    assert_eq!(made["enabled"], true);
    // 06:00 on the 1st in São Paulo is 09:00 UTC.
    let next: chrono::DateTime<Utc> = made["nextRunAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(next.format("%d %H:%M").to_string(), "01 09:00");
    assert!(next > Utc::now());

    let id = made["id"].as_str().unwrap().to_owned();
    let mut changed = input.clone();
    changed["enabled"] = json!(false);
    changed["format"] = json!("XLSX");
    let r = api
        .run(Some(&s.admin), &update, json!({"id": id, "input": changed}))
        .await;
    let after = &r.ok()["updateReportSchedule"];
    assert_eq!(after["format"], "XLSX");
    assert_eq!(
        after["nextRunAt"],
        json!(null),
        "a disabled schedule does not run"
    );

    let r = api
        .run(
            Some(&s.viewer),
            "{ reportSchedules { name lastReport { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["reportSchedules"][0]["name"], "Mensal");
    let delete = "mutation($id: ID!) { deleteReportSchedule(id: $id) }";
    let r = api.run(Some(&s.viewer), delete, json!({"id": id})).await;
    assert_eq!(r.code(), "FORBIDDEN");
    let r = api.run(Some(&s.admin), delete, json!({"id": id})).await;
    assert_eq!(r.ok()["deleteReportSchedule"], id.as_str());
    let r = api
        .run(Some(&s.admin), "{ reportSchedules { id } }", json!({}))
        .await;
    assert_eq!(r.ok()["reportSchedules"], json!([]));
}

backend_tests!(report_status_follows_one_report);
async fn report_status_follows_one_report(backend: Backend) {
    let s = setup(backend).await;
    let api = &s.api;
    let request = |period: &str| json!({"input": {"period": period, "all": true, "format": "PDF"}});
    let r = api.run(Some(&s.admin), REQUEST, request("DAY")).await;
    let ours: uuid::Uuid = r.ok()["requestReport"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = api.run(Some(&s.admin), REQUEST, request("WEEK")).await;
    let other: uuid::Uuid = r.ok()["requestReport"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let mut stream = api
        .subscribe(
            &s.viewer,
            "subscription($id: ID) { reportStatus(reportId: $id) { reportId state progress report { state } } }",
            json!({"id": ours}),
        )
        .await;
    let mut next = tokio::spawn(async move {
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await
    });

    // The worker's announcements: another report's first, then ours running at 40 %.
    let announce = |report_id, progress| tds_bus::Event::ReportChanged {
        account_id: s.admin.account.unwrap(),
        report_id,
        state: "RUNNING".into(),
        progress,
        at: Utc::now(),
    };
    let mut received = None;
    // The subscription registers when first polled: announce again until it hears.
    for _ in 0..100 {
        api.state
            .events
            .publish(&announce(other, 10))
            .await
            .unwrap();
        api.state.events.publish(&announce(ours, 40)).await.unwrap();
        if let Ok(result) =
            tokio::time::timeout(std::time::Duration::from_millis(100), &mut next).await
        {
            received = Some(result);
            break;
        }
    }
    let response = received
        .expect("an event")
        .unwrap()
        .expect("in time")
        .unwrap();
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let event = response.data.into_json().unwrap()["reportStatus"].clone();
    assert_eq!(event["reportId"], ours.to_string());
    assert_eq!(event["state"], "RUNNING");
    assert_eq!(event["progress"], 40);
    assert_eq!(event["report"]["state"], "QUEUED", "the report as stored");

    // Another account cannot follow it.
    let stranger = api.user("stranger@r.example", false).await;
    let (_, stranger) = api.account("Outra", &stranger).await;
    let mut stream = api
        .subscribe(
            &stranger,
            "subscription($id: ID) { reportStatus(reportId: $id) { state } }",
            json!({"id": ours}),
        )
        .await;
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
        .await
        .unwrap()
        .unwrap();
    let errors = serde_json::to_value(&first.errors).unwrap();
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors}");
}

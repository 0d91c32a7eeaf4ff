//! Alert rules and alerts as a client sees them (issue 10), on PostgreSQL and SQLite:
//! rule CRUD with per-field errors, roles, the alert list with filters, acknowledge and
//! resolve, the dashboard's open counts and the live `alerts` subscription.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Duration, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use tds_domain::alerts::{self, LandedReading, RuleIndex};
use tds_entity::DeviceKind;
use tds_testkit::{Backend, Caller, TestApi, backend_tests};

const CREATE_RULE: &str = "mutation($input: CreateAlertRuleInput!) { createAlertRule(input: $input) { id name scope condition thresholdLow thresholdHigh severity cooldownS enabled emails webhooks { url } device { code } } }";
const ALERT_FIELDS: &str = "id state severity message value openedReadingAt rule { name } device { code } gateway { code } acknowledgedBy { email } acknowledgeComment resolvedBy { email } resolveComment clearedValue notifications { outcome }";

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
        .small_fleet("x.example", "02:00:00:00:0a:01", "ENERGY")
        .await;
    Setup {
        api,
        admin: fleet.admin,
        viewer: fleet.viewer,
        gateway: fleet.gateway,
        device: fleet.device,
    }
}

/// What the telemetry worker will do after a batch: judge the readings, apply.
async fn land(s: &Setup, value: f64, at: chrono::DateTime<Utc>) -> Vec<alerts::AlertChange> {
    let db = &s.api.state.db;
    let index = RuleIndex::load(db).await.unwrap();
    let reading = LandedReading {
        account_id: s.admin.account.unwrap(),
        gateway_id: s.gateway.parse().unwrap(),
        device_id: s.device.parse().unwrap(),
        kind: DeviceKind::Energy,
        time: at,
        value,
    };
    let open = alerts::OpenAlerts::load(db).await.unwrap();
    let findings = alerts::judge_readings(db, &index, &open, &[reading])
        .await
        .unwrap();
    alerts::apply_verdicts(db, findings, Utc::now())
        .await
        .unwrap()
}

async fn rules_through_the_api(backend: Backend) {
    let s = setup(backend).await;
    let api = &s.api;

    let bad = json!({"name": "", "scope": "DEVICE", "condition": "OUTSIDE", "thresholdLow": 5, "thresholdHigh": 1,
                     "cooldownS": -5, "emails": ["ops@example.com", "ops"],
                     "webhooks": [{"url": "ftp://x"}, {"url": "https://hooks.example/a", "secret": "short"}]});
    let r = api
        .run(Some(&s.admin), CREATE_RULE, json!({"input": bad}))
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert_eq!(
        r.fields(),
        [
            "name",
            "deviceId",
            "thresholdLow",
            "cooldownS",
            "emails[1]",
            "webhooks[0].url",
            "webhooks[1].secret"
        ]
    );

    let input = json!({"name": "Hot meter", "scope": "DEVICE", "deviceId": s.device, "condition": "ABOVE",
                       "thresholdHigh": 100, "emails": ["Ops@Example.com"],
                       "webhooks": [{"url": "https://hooks.example/a", "secret": "0123456789abcdef"}]});
    let r = api
        .run(Some(&s.admin), CREATE_RULE, json!({"input": input}))
        .await;
    let rule = r.ok()["createAlertRule"].clone();
    assert_eq!(rule["severity"], "WARNING", "the default");
    assert_eq!(rule["cooldownS"], 600);
    assert_eq!(rule["enabled"], true);
    assert_eq!(rule["emails"], json!(["ops@example.com"]));
    assert_eq!(
        rule["webhooks"],
        json!([{"url": "https://hooks.example/a"}])
    );
    assert_eq!(rule["device"]["code"], "D01");
    let id = rule["id"].as_str().unwrap();

    let r = api
        .run(
            Some(&s.viewer),
            "query($id: ID!) { alertRules { id } alertRule(id: $id) { name secretless: webhooks { url } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.ok()["alertRules"][0]["id"], id, "a viewer reads rules");
    assert_eq!(r.ok()["alertRule"]["name"], "Hot meter");

    let r = api
        .run(
            Some(&s.admin),
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {condition: OUTSIDE, thresholdLow: 10, severity: CRITICAL, webhooks: [{url: \"https://hooks.example/a\"}]}) { condition thresholdLow thresholdHigh severity webhooks { url } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        r.ok()["updateAlertRule"],
        json!({"condition": "OUTSIDE", "thresholdLow": 10.0, "thresholdHigh": 100.0, "severity": "CRITICAL", "webhooks": [{"url": "https://hooks.example/a"}]})
    );
    let r = api
        .run(
            Some(&s.admin),
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {thresholdLow: 500}) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("thresholdLow")));

    // A viewer changes nothing.
    let writes = [
        (CREATE_RULE, json!({"input": input})),
        (
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {name: \"v\"}) { id } }",
            json!({"id": id}),
        ),
        (
            "mutation($id: ID!) { deleteAlertRule(id: $id) }",
            json!({"id": id}),
        ),
    ];
    for (document, variables) in &writes {
        let r = api.run(Some(&s.viewer), document, variables.clone()).await;
        assert_eq!(r.code(), "FORBIDDEN", "viewer: {document}");
    }

    let r = api
        .run(
            Some(&s.admin),
            "mutation($id: ID!) { deleteAlertRule(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.ok()["deleteAlertRule"], id);
    let r = api
        .run(
            Some(&s.admin),
            "query($id: ID!) { alertRule(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");
}

async fn alerts_through_the_api(backend: Backend) {
    let s = setup(backend).await;
    let api = &s.api;
    let input = json!({"name": "Hot meter", "scope": "GATEWAY", "gatewayId": s.gateway, "condition": "ABOVE",
                       "thresholdHigh": 100, "severity": "CRITICAL", "cooldownS": 0});
    api.run(Some(&s.admin), CREATE_RULE, json!({"input": input}))
        .await
        .ok();
    let t0 = Utc::now() - Duration::minutes(10);
    assert_eq!(land(&s, 150.0, t0).await.len(), 1);

    let list = format!(
        "query($f: AlertFilter) {{ alerts(filter: $f, first: 10) {{ nodes {{ {ALERT_FIELDS} }} pageInfo {{ hasNextPage }} }} }}"
    );
    let r = api
        .run(Some(&s.viewer), &list, json!({"f": {"states": ["OPEN"], "gatewayId": s.gateway, "severity": "CRITICAL", "search": "hot"}}))
        .await;
    let alert = r.ok()["alerts"]["nodes"][0].clone();
    assert_eq!(alert["state"], "OPEN");
    assert_eq!(alert["value"], 150.0);
    assert_eq!(alert["rule"]["name"], "Hot meter");
    assert_eq!(alert["device"]["code"], "D01");
    assert_eq!(alert["gateway"]["code"], "GW1");
    assert_eq!(alert["notifications"], json!([]));
    let id = alert["id"].as_str().unwrap().to_owned();
    let r = api
        .run(
            Some(&s.admin),
            &list,
            json!({"f": {"states": ["RESOLVED"]}}),
        )
        .await;
    assert_eq!(r.ok()["alerts"]["nodes"], json!([]));

    let r = api
        .run(
            Some(&s.viewer),
            "{ dashboardSummary { openAlerts openAlertsBySeverity { severity count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["dashboardSummary"],
        json!({"openAlerts": 1, "openAlertsBySeverity": [
            {"severity": "INFO", "count": 0}, {"severity": "WARNING", "count": 0}, {"severity": "CRITICAL", "count": 1}]})
    );

    // VIEWERs cannot acknowledge or resolve.
    let ack = format!(
        "mutation($id: ID!, $c: String) {{ acknowledgeAlert(id: $id, comment: $c) {{ {ALERT_FIELDS} }} }}"
    );
    let resolve = format!(
        "mutation($id: ID!, $c: String) {{ resolveAlert(id: $id, comment: $c) {{ {ALERT_FIELDS} }} }}"
    );
    for document in [&ack, &resolve] {
        let r = api
            .run(Some(&s.viewer), document, json!({"id": id, "c": "x"}))
            .await;
        assert_eq!(r.code(), "FORBIDDEN");
    }

    // The subscription hears the change (published from any replica through the bus).
    let credentials = tds_domain::Credentials {
        bearer: Some(s.viewer.token.clone()),
        account_id: s.viewer.account.map(|a| a.to_string()),
    };
    let scope = tds_graphql::RequestScope::resolve(&api.state, &credentials)
        .await
        .unwrap();
    let request = async_graphql::Request::new(
        "subscription($g: ID) { alerts(gatewayId: $g) { alertId state severity gatewayId alert { state acknowledgeComment } } }",
    )
    .variables(async_graphql::Variables::from_json(json!({"g": s.gateway})));
    let mut stream = api.schema.execute_stream(scope.attach(request));
    let mut next = tokio::spawn(async move {
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await
    });

    let r = api
        .run(Some(&s.admin), &ack, json!({"id": id, "c": " on my way "}))
        .await;
    let acked = &r.ok()["acknowledgeAlert"];
    assert_eq!(acked["state"], "ACKNOWLEDGED");
    assert_eq!(acked["acknowledgedBy"]["email"], "admin@x.example");
    assert_eq!(acked["acknowledgeComment"], "on my way");
    let r = api.run(Some(&s.admin), &ack, json!({"id": id})).await;
    assert_eq!(r.code(), "CONFLICT");

    // The subscription registers when first polled: announce again until it hears.
    let model = alerts::get_alert(
        &api.state.db,
        &tds_testkit::admin_of(&api.state.db, s.admin.account.unwrap()).await,
        id.parse().unwrap(),
    )
    .await
    .unwrap();
    let mut received = None;
    for _ in 0..100 {
        api.state
            .events
            .publish(&tds_bus::Event::alert_changed(&model, Utc::now()))
            .await
            .unwrap();
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
    let event = response.data.into_json().unwrap()["alerts"].clone();
    assert_eq!(event["alertId"], id.as_str());
    assert_eq!(event["state"], "ACKNOWLEDGED");
    assert_eq!(event["severity"], "CRITICAL");
    assert_eq!(event["gatewayId"], s.gateway.as_str());
    assert_eq!(event["alert"]["acknowledgeComment"], "on my way");

    let r = api
        .run(
            Some(&s.admin),
            &resolve,
            json!({"id": id, "c": "replaced the meter"}),
        )
        .await;
    let resolved = &r.ok()["resolveAlert"];
    assert_eq!(resolved["state"], "RESOLVED");
    assert_eq!(resolved["resolvedBy"]["email"], "admin@x.example");
    assert_eq!(resolved["resolveComment"], "replaced the meter");
    let r = api.run(Some(&s.admin), &resolve, json!({"id": id})).await;
    assert_eq!(r.code(), "CONFLICT");

    // A new violation opens a new alert; the value back to normal resolves it by itself.
    let t1 = Utc::now() - Duration::minutes(5);
    assert_eq!(land(&s, 170.0, t1).await.len(), 1);
    assert_eq!(land(&s, 20.0, t1 + Duration::minutes(1)).await.len(), 1);
    let r = api
        .run(
            Some(&s.admin),
            &list,
            json!({"f": {"states": ["RESOLVED"]}}),
        )
        .await;
    let nodes = r.ok()["alerts"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["clearedValue"], 20.0, "newest first");
    assert_eq!(nodes[0]["resolvedBy"], Value::Null);
    let r = api
        .run(Some(&s.admin), "query($f: AlertFilter) { alerts(filter: $f, first: 1) { edges { cursor } pageInfo { hasNextPage endCursor } } }", json!({"f": {}}))
        .await;
    assert_eq!(r.ok()["alerts"]["pageInfo"]["hasNextPage"], true);
}

backend_tests!(rules_through_the_api, alerts_through_the_api);

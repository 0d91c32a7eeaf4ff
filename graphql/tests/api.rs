//! The GraphQL API as a client sees it, executed against real databases
//! (each test twice: PostgreSQL and SQLite, each with its own database).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tds_testkit::{Backend, Caller, TestApi, backend_tests};

const CREATE_GATEWAY: &str = "mutation($input: CreateGatewayInput!) { createGateway(input: $input) { id code mac capacity } }";
const CREATE_DEVICE: &str = "mutation($input: CreateDeviceInput!) { createDevice(input: $input) { id code slaveId unit measurement } }";

async fn gateway(api: &TestApi, caller: &Caller, code: &str, mac: &str) -> String {
    let r = api
        .run(
            Some(caller),
            CREATE_GATEWAY,
            json!({"input": {"code": code, "mac": mac, "name": format!("Gateway {code}")}}),
        )
        .await;
    r.ok()["createGateway"]["id"]
        .as_str()
        .expect("gateway id")
        .to_owned()
}

async fn device(
    api: &TestApi,
    caller: &Caller,
    gateway_id: &str,
    code: &str,
    slave: i32,
) -> String {
    let input = json!({"gatewayId": gateway_id, "code": code, "name": format!("Meter {code}"), "kind": "WATER", "slaveId": slave, "register": 40001 - 40000});
    let r = api
        .run(Some(caller), CREATE_DEVICE, json!({"input": input}))
        .await;
    r.ok()["createDevice"]["id"]
        .as_str()
        .expect("device id")
        .to_owned()
}

/// Invites `email` into the admin's account and accepts, as a person would.
async fn join(api: &TestApi, admin: &Caller, email: &str, role: &str) -> Caller {
    let r = api
        .run(
            Some(admin),
            "mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { token role } }",
            json!({"e": email, "r": role}),
        )
        .await;
    let token = r.ok()["inviteMember"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let r = api
        .run(None, "mutation($t: String!) { acceptInvitation(token: $t, password: \"password123\") { login { token } user { id email } } }", json!({"t": token}))
        .await;
    let login = &r.ok()["acceptInvitation"];
    let user = tds_entity::user::Entity::find_by_id(
        login["user"]["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .unwrap(),
    );
    use sea_orm::EntityTrait;
    let user = user.one(&api.state.db).await.unwrap().unwrap();
    Caller {
        token: login["login"]["token"].as_str().unwrap().to_owned(),
        account: admin.account,
        user,
    }
}

async fn member_id(api: &TestApi, admin: &Caller, email: &str) -> String {
    let r = api
        .run(
            Some(admin),
            "{ members { id role user { email } } }",
            json!({}),
        )
        .await;
    r.ok()["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["email"] == email)
        .unwrap_or_else(|| panic!("{email} is a member"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Query and mutation fields that take an id, directly or inside an input object,
/// read from the schema itself so a new field cannot escape the isolation test.
async fn id_taking_fields(api: &TestApi) -> BTreeSet<String> {
    let r = api
        .run(None, "{ __schema { types { name kind inputFields { name type { ...T } } fields { name args { name type { ...T } } } } } }
                    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }", json!({}))
        .await;
    let types = r.ok()["__schema"]["types"].as_array().unwrap().clone();
    fn named(t: &Value) -> &str {
        match (t["name"].as_str(), t.is_null()) {
            (Some(name), _) => name,
            (None, true) => panic!("type wrapped deeper than the introspection fragment"),
            (None, false) => named(&t["ofType"]),
        }
    }
    let input_has_id = |name: &str| {
        types.iter().filter(|t| t["name"] == name).any(|t| {
            t["inputFields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| named(&f["type"]) == "ID")
        })
    };
    let mut out = BTreeSet::new();
    for root in ["QueryRoot", "MutationRoot"] {
        let t = types.iter().find(|t| t["name"] == root).unwrap();
        for field in t["fields"].as_array().unwrap() {
            let takes = field["args"].as_array().unwrap().iter().any(|a| {
                let n = named(&a["type"]);
                n == "ID" || input_has_id(n)
            });
            if takes {
                out.insert(field["name"].as_str().unwrap().to_owned());
            }
        }
    }
    out
}

async fn tenant_isolation(backend: Backend) {
    let api = TestApi::new(backend).await;
    let alice = api.user("alice@a.example", false).await;
    let (account_a, alice) = api.account("Alpha", &alice).await;
    let bob = api.user("bob@b.example", false).await;
    let (account_b, bob) = api.account("Bravo", &bob).await;
    gateway(&api, &alice, "GW-A", "02:00:00:00:00:0a").await;
    let gw_b = gateway(&api, &bob, "GW-B", "02:00:00:00:00:0b").await;
    let dev_b = device(&api, &bob, &gw_b, "D01", 1).await;
    join(&api, &bob, "carol@b.example", "VIEWER").await;
    let carol_b = member_id(&api, &bob, "carol@b.example").await;
    let bob_b = member_id(&api, &bob, "bob@b.example").await;
    let account_b_id = account_b.id.to_string();
    let r = api
        .run(Some(&bob), "mutation($id: ID!) { issueCertificate(gatewayId: $id, algorithm: P256) { certificate { id } } }", json!({"id": gw_b}))
        .await;
    let cert_b = r.ok()["issueCertificate"]["certificate"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let letter_b = {
        use sea_orm::{ActiveModelTrait, Set};
        let letter = tds_entity::dead_letter::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            account_id: Set(Some(account_b.id)),
            gateway_mac: Set(Some("02:00:00:00:00:0b".into())),
            topic: Set("tds_new/devices/02:00:00:00:00:0b/telemetry".into()),
            payload: Set(b"Bravo's secret".to_vec()),
            reason: Set("BAD_JSON".into()),
            detail: Set("x".into()),
            received_at: Set(Utc::now()),
            created_at: Set(Utc::now()),
        };
        letter.insert(&api.state.db).await.unwrap().id.to_string()
    };

    let r = api
        .run(
            Some(&bob),
            "mutation($d: ID!) { createAlertRule(input: {name: \"Bravo's rule\", scope: DEVICE, deviceId: $d, condition: ABOVE, thresholdHigh: 1}) { id } }",
            json!({"d": dev_b}),
        )
        .await;
    let rule_b = r.ok()["createAlertRule"]["id"].as_str().unwrap().to_owned();
    let alert_b = {
        use tds_domain::alerts::{LandedReading, RuleIndex, apply_verdicts, judge_readings};
        let db = &api.state.db;
        let index = RuleIndex::load(db).await.unwrap();
        let reading = LandedReading {
            account_id: account_b.id,
            gateway_id: gw_b.parse().unwrap(),
            device_id: dev_b.parse().unwrap(),
            kind: tds_entity::DeviceKind::Water,
            time: Utc::now(),
            value: 5.0,
        };
        let open = tds_domain::alerts::OpenAlerts::load(db).await.unwrap();
        let findings = judge_readings(db, &index, &open, &[reading]).await.unwrap();
        let changes = apply_verdicts(db, findings, Utc::now()).await.unwrap();
        changes[0].alert().id.to_string()
    };

    let r = api
        .run(
            Some(&bob),
            "mutation($d: ID!) { requestReport(input: {period: MONTH, deviceIds: [$d], format: PDF}) { id } }",
            json!({"d": dev_b}),
        )
        .await;
    let report_b = r.ok()["requestReport"]["id"].as_str().unwrap().to_owned();
    let r = api
        .run(
            Some(&bob),
            "mutation($d: ID!) { createReportSchedule(input: {name: \"Bravo's\", cron: \"0 0 6 1 * *\", period: MONTH, format: XLSX, deviceIds: [$d], recipients: [\"bob@b.example\"]}) { id } }",
            json!({"d": dev_b}),
        )
        .await;
    let schedule_b = r.ok()["createReportSchedule"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let probes: Vec<(&str, &str, Value)> = vec![
        (
            "alertRule",
            "query($id: ID!) { alertRule(id: $id) { name } }",
            json!({"id": rule_b}),
        ),
        (
            "createAlertRule",
            "mutation($d: ID!) { createAlertRule(input: {name: \"x\", scope: DEVICE, deviceId: $d, condition: ABOVE, thresholdHigh: 1}) { id } }",
            json!({"d": dev_b}),
        ),
        (
            "updateAlertRule",
            "mutation($id: ID!) { updateAlertRule(id: $id, input: {name: \"pwned\"}) { id } }",
            json!({"id": rule_b}),
        ),
        (
            "deleteAlertRule",
            "mutation($id: ID!) { deleteAlertRule(id: $id) }",
            json!({"id": rule_b}),
        ),
        (
            "alerts",
            "query($id: ID!) { alerts(filter: {gatewayId: $id}) { nodes { id } } }",
            json!({"id": gw_b}),
        ),
        (
            "alert",
            "query($id: ID!) { alert(id: $id) { message } }",
            json!({"id": alert_b}),
        ),
        (
            "acknowledgeAlert",
            "mutation($id: ID!) { acknowledgeAlert(id: $id, comment: \"pwned\") { state } }",
            json!({"id": alert_b}),
        ),
        (
            "resolveAlert",
            "mutation($id: ID!) { resolveAlert(id: $id) { state } }",
            json!({"id": alert_b}),
        ),
        (
            "gateway",
            "query($id: ID!) { gateway(id: $id) { id } }",
            json!({"id": gw_b}),
        ),
        (
            "device",
            "query($id: ID!) { device(id: $id) { id } }",
            json!({"id": dev_b}),
        ),
        (
            "devices",
            "query($id: ID!) { devices(filter: {gatewayId: $id}) { nodes { id } } }",
            json!({"id": gw_b}),
        ),
        (
            "updateGateway",
            "mutation($id: ID!) { updateGateway(id: $id, input: {name: \"pwned\"}) { id } }",
            json!({"id": gw_b}),
        ),
        (
            "deleteGateway",
            "mutation($id: ID!) { deleteGateway(id: $id) }",
            json!({"id": gw_b}),
        ),
        (
            "createDevice",
            CREATE_DEVICE,
            json!({"input": {"gatewayId": gw_b, "code": "X1", "name": "x", "kind": "GAS", "slaveId": 9, "register": 0}}),
        ),
        (
            "updateDevice",
            "mutation($id: ID!) { updateDevice(id: $id, input: {name: \"pwned\"}) { id } }",
            json!({"id": dev_b}),
        ),
        (
            "deleteDevice",
            "mutation($id: ID!) { deleteDevice(id: $id) }",
            json!({"id": dev_b}),
        ),
        (
            "changeMemberRole",
            "mutation($id: ID!) { changeMemberRole(memberId: $id, role: ADMIN) { id } }",
            json!({"id": carol_b}),
        ),
        (
            "removeMember",
            "mutation($id: ID!) { removeMember(memberId: $id) }",
            json!({"id": bob_b}),
        ),
        (
            "readings",
            "query($id: ID!) { readings(deviceId: $id, from: \"2020-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\") { value } }",
            json!({"id": dev_b}),
        ),
        (
            "latestReadings",
            "query($id: ID!) { latestReadings(gatewayId: $id) { value } }",
            json!({"id": gw_b}),
        ),
        (
            "consumption",
            "query($id: ID!) { consumption(deviceIds: [$id], from: \"2020-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\", granularity: DAY) { points { count } } }",
            json!({"id": dev_b}),
        ),
        (
            "certificates",
            "query($id: ID!) { certificates(gatewayId: $id) { serial } }",
            json!({"id": gw_b}),
        ),
        (
            "issueCertificate",
            "mutation($id: ID!) { issueCertificate(gatewayId: $id, algorithm: P256) { caPem } }",
            json!({"id": gw_b}),
        ),
        (
            "revokeCertificate",
            "mutation($id: ID!) { revokeCertificate(id: $id) { status } }",
            json!({"id": cert_b}),
        ),
        (
            "certificateRenewals",
            "query($id: ID!) { certificateRenewals(gatewayId: $id) { nodes { id } } }",
            json!({"id": gw_b}),
        ),
        (
            "renewCertificateNow",
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw_b}),
        ),
        (
            "deadLetter",
            "query($id: ID!) { deadLetter(id: $id) { payloadText } }",
            json!({"id": letter_b}),
        ),
        (
            "report",
            "query($id: ID!) { report(id: $id) { state } }",
            json!({"id": report_b}),
        ),
        (
            "requestReport",
            "mutation($d: ID!) { requestReport(input: {period: DAY, deviceIds: [$d], format: PDF}) { id } }",
            json!({"d": dev_b}),
        ),
        (
            "completeness",
            "query($d: ID!) { completeness(deviceIds: [$d], from: \"2026-01-01T00:00:00Z\", to: \"2026-02-01T00:00:00Z\") { received } }",
            json!({"d": dev_b}),
        ),
        (
            "reportSchedule",
            "query($id: ID!) { reportSchedule(id: $id) { name } }",
            json!({"id": schedule_b}),
        ),
        (
            "createReportSchedule",
            "mutation($d: ID!) { createReportSchedule(input: {name: \"x\", cron: \"0 0 6 1 * *\", period: MONTH, format: PDF, deviceIds: [$d], recipients: [\"a@a.example\"]}) { id } }",
            json!({"d": dev_b}),
        ),
        (
            "updateReportSchedule",
            "mutation($id: ID!) { updateReportSchedule(id: $id, input: {name: \"pwned\", cron: \"0 0 6 1 * *\", period: MONTH, format: PDF, all: true, recipients: [\"a@a.example\"]}) { id } }",
            json!({"id": schedule_b}),
        ),
        (
            "deleteReportSchedule",
            "mutation($id: ID!) { deleteReportSchedule(id: $id) }",
            json!({"id": schedule_b}),
        ),
        (
            "setAccountActive",
            "mutation($id: ID!) { setAccountActive(id: $id, active: false) { id } }",
            json!({"id": account_b_id}),
        ),
    ];
    for (field, document, variables) in &probes {
        let r = api.run(Some(&alice), document, variables.clone()).await;
        assert_eq!(
            r.code(),
            "NOT_FOUND",
            "{field} with another account's id: {:?}",
            r.errors
        );
        assert!(
            !r.errors[0]["message"].as_str().unwrap().contains("Bravo"),
            "{field} leaks the account"
        );
    }
    // Naming the other account in X-Account-Id does not help either.
    let r = api
        .run(
            Some(&alice.in_account(account_b.id)),
            "{ gateways { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "NOT_FOUND");

    // Nothing of Bravo changed.
    let r = api
        .run(
            Some(&bob),
            "query($id: ID!) { gateway(id: $id) { name devices { id name } } }",
            json!({"id": gw_b}),
        )
        .await;
    assert_eq!(r.ok()["gateway"]["name"], "Gateway GW-B");
    assert_eq!(r.ok()["gateway"]["devices"][0]["name"], "Meter D01");
    let r = api
        .run(
            Some(&bob),
            "{ members { role } account { isActive } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["members"].as_array().unwrap().len(), 2);
    assert_eq!(r.ok()["account"]["isActive"], true);
    let r = api
        .run(
            Some(&bob),
            "query($r: ID!, $a: ID!) { alertRule(id: $r) { name } alert(id: $a) { state } }",
            json!({"r": rule_b, "a": alert_b}),
        )
        .await;
    assert_eq!(r.ok()["alertRule"]["name"], "Bravo's rule");
    assert_eq!(r.ok()["alert"]["state"], "OPEN");
    let r = api
        .run(
            Some(&bob),
            "query($s: ID!, $r: ID!) { reportSchedule(id: $s) { name } report(id: $r) { state } reports { nodes { id } } }",
            json!({"s": schedule_b, "r": report_b}),
        )
        .await;
    assert_eq!(r.ok()["reportSchedule"]["name"], "Bravo's");
    assert_eq!(r.ok()["report"]["state"], "QUEUED");
    assert_eq!(r.ok()["reports"]["nodes"].as_array().unwrap().len(), 1);
    let r = api
        .run(Some(&bob), "{ members { user { email } role } }", json!({}))
        .await;
    assert!(
        r.ok()["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user"]["email"] == "carol@b.example" && m["role"] == "VIEWER")
    );

    invitation_path(&api, &alice, &bob, account_a.id, account_b.id).await;

    let covered: BTreeSet<String> = probes.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    let all = id_taking_fields(&api).await;
    assert!(
        all.contains("updateGateway") && all.contains("createDevice") && all.contains("devices"),
        "{all:?}"
    );
    let missed: Vec<_> = all.difference(&covered).collect();
    assert!(
        missed.is_empty(),
        "id-taking fields the isolation walk does not cover: {missed:?}"
    );
}

/// The invitation path of the isolation walk: an invitation's token (held by the
/// inviting admin) never yields another user's session, and gives nothing outside its
/// own account.
async fn invitation_path(
    api: &TestApi,
    alice: &Caller,
    bob: &Caller,
    account_a: uuid::Uuid,
    account_b: uuid::Uuid,
) {
    const ACCEPT: &str = "mutation($t: String!, $p: String) { acceptInvitation(token: $t, password: $p) { login { token } user { id email } account { id role } } }";
    async fn invite(api: &TestApi, admin: &Caller, email: &str) -> String {
        let r = api
            .run(
                Some(admin),
                "mutation($e: String!) { inviteMember(email: $e, role: ADMIN) { token } }",
                json!({"e": email}),
            )
            .await;
        r.ok()["inviteMember"]["token"].as_str().unwrap().to_owned()
    }
    async fn signs_in(api: &TestApi, email: &str, password: &str) -> bool {
        let r = api
            .run(
                None,
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": email, "p": password}),
            )
            .await;
        r.errors.is_empty()
    }

    // Alice invites Bob (ADMIN of Bravo) into Alpha and accepts herself: anonymously,
    // with or without choosing a password, or signed in as herself. No session for Bob.
    let for_bob = invite(api, alice, "BOB@b.example").await;
    for password in [Value::Null, json!("alice chose this")] {
        let r = api
            .run(None, ACCEPT, json!({"t": for_bob, "p": password}))
            .await;
        assert_eq!(r.code(), "UNAUTHENTICATED", "{:?}", r.data);
        assert!(r.data.is_null(), "{}", r.data);
    }
    let r = api
        .run(
            Some(alice),
            ACCEPT,
            json!({"t": for_bob, "p": "alice chose this"}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    assert!(r.data.is_null(), "{}", r.data);
    assert!(signs_in(api, "bob@b.example", "password123").await);
    assert!(!signs_in(api, "bob@b.example", "alice chose this").await);

    // A Bravo invitation for a new e-mail cannot be taken by Alice while signed in …
    let for_dave_b = invite(api, bob, "dave@b.example").await;
    let r = api
        .run(
            Some(alice),
            ACCEPT,
            json!({"t": for_dave_b, "p": "dave's password"}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    // … and an Alpha invitation gives nothing in Bravo, whatever X-Account-Id says.
    let for_dave_a = invite(api, alice, "dave@a.example").await;
    let r = api
        .run(
            Some(&alice.in_account(account_b)),
            ACCEPT,
            json!({"t": for_dave_a, "p": "dave's password"}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "signed in as someone else");
    let r = api
        .run(
            None,
            ACCEPT,
            json!({"t": for_dave_a, "p": "dave's password"}),
        )
        .await;
    let joined = &r.ok()["acceptInvitation"];
    assert_eq!(joined["account"]["id"], account_a.to_string());
    let dave_id: uuid::Uuid = joined["user"]["id"].as_str().unwrap().parse().unwrap();
    let dave = Caller {
        token: joined["login"]["token"].as_str().unwrap().to_owned(),
        account: Some(account_b),
        user: {
            use sea_orm::EntityTrait;
            tds_entity::user::Entity::find_by_id(dave_id)
                .one(&api.state.db)
                .await
                .unwrap()
                .unwrap()
        },
    };
    let r = api
        .run(Some(&dave), "{ gateways { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        r.code(),
        "NOT_FOUND",
        "an Alpha invitation reaches into Bravo"
    );
    let r = api.run(Some(&dave), "{ accounts { id } }", json!({})).await;
    assert_eq!(r.ok()["accounts"], json!([{"id": account_a.to_string()}]));

    // Bob himself, signed in (in Bravo), accepts: he joins Alpha, keeps his session (no
    // new token) and his role in Bravo.
    let r = api.run(Some(bob), ACCEPT, json!({"t": for_bob})).await;
    let joined = &r.ok()["acceptInvitation"];
    assert_eq!(joined["login"], Value::Null);
    assert_eq!(
        joined["account"],
        json!({"id": account_a.to_string(), "role": "ADMIN"})
    );
    assert_eq!(joined["user"]["email"], "bob@b.example");
    let r = api
        .run(
            Some(&bob.in_account(account_b)),
            "{ account { role } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["account"]["role"], "ADMIN");
    let r = api.run(Some(bob), ACCEPT, json!({"t": for_bob})).await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION", Some("token")),
        "used once"
    );
}

async fn roles(backend: Backend) {
    let api = TestApi::new(backend).await;
    let admin = api.user("admin@x.example", false).await;
    let (_, admin) = api.account("Acme", &admin).await;
    let gw = gateway(&api, &admin, "GW1", "02:00:00:00:01:01").await;
    let dev = device(&api, &admin, &gw, "D01", 1).await;
    let viewer = join(&api, &admin, "viewer@x.example", "VIEWER").await;
    let editor = join(&api, &admin, "editor@x.example", "EDITOR").await;
    let viewer_member = member_id(&api, &admin, "viewer@x.example").await;

    // A viewer reads everything …
    let r = api
        .run(
            Some(&viewer),
            "{ gateways { nodes { code devices { code } } } members { id } account { role } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["gateways"]["nodes"][0]["devices"][0]["code"], "D01");
    assert_eq!(r.ok()["account"]["role"], "VIEWER");
    // … and changes nothing.
    let writes: Vec<(&str, Value)> = vec![
        (
            CREATE_GATEWAY,
            json!({"input": {"code": "GW2", "mac": "02:00:00:00:01:02", "name": "n"}}),
        ),
        (
            "mutation($id: ID!) { updateGateway(id: $id, input: {name: \"v\"}) { id } }",
            json!({"id": gw}),
        ),
        (
            "mutation($id: ID!) { deleteGateway(id: $id) }",
            json!({"id": gw}),
        ),
        (
            CREATE_DEVICE,
            json!({"input": {"gatewayId": gw, "code": "D02", "name": "n", "kind": "GAS", "slaveId": 2, "register": 0}}),
        ),
        (
            "mutation($id: ID!) { updateDevice(id: $id, input: {name: \"v\"}) { id } }",
            json!({"id": dev}),
        ),
        (
            "mutation($id: ID!) { deleteDevice(id: $id) }",
            json!({"id": dev}),
        ),
        (
            "mutation($id: ID!) { issueCertificate(gatewayId: $id, algorithm: P256) { caPem } }",
            json!({"id": gw}),
        ),
        (
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw}),
        ),
        (
            "mutation { inviteMember(email: \"z@x.example\", role: VIEWER) { id } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { changeMemberRole(memberId: $id, role: ADMIN) { id } }",
            json!({"id": viewer_member}),
        ),
        (
            "mutation($id: ID!) { removeMember(memberId: $id) }",
            json!({"id": viewer_member}),
        ),
        (
            "mutation { updateAccount(input: {name: \"v\"}) { id } }",
            json!({}),
        ),
    ];
    for (document, variables) in &writes {
        let r = api.run(Some(&viewer), document, variables.clone()).await;
        assert_eq!(r.code(), "FORBIDDEN", "viewer: {document}");
    }

    // An editor manages the fleet but not people or the account.
    api.run(
        Some(&editor),
        CREATE_GATEWAY,
        json!({"input": {"code": "GW2", "mac": "02:00:00:00:01:02", "name": "n"}}),
    )
    .await
    .ok();
    api.run(
        Some(&editor),
        "mutation($id: ID!) { updateDevice(id: $id, input: {name: \"renamed\"}) { id } }",
        json!({"id": dev}),
    )
    .await
    .ok();
    for (document, variables) in &writes[8..] {
        let r = api.run(Some(&editor), document, variables.clone()).await;
        assert_eq!(r.code(), "FORBIDDEN", "editor: {document}");
    }
    let r = api
        .run(
            Some(&admin),
            "{ gateways { nodes { code } } members { role user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["gateways"]["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(r.ok()["members"].as_array().unwrap().len(), 3);
}

async fn validation(backend: Backend) {
    let api = TestApi::new(backend).await;
    let a = api.user("a@x.example", false).await;
    let (_, a) = api.account("A", &a).await;
    let b = api.user("b@x.example", false).await;
    let (_, b) = api.account("B", &b).await;

    let create = |caller: &Caller, input: Value| {
        let caller = caller.clone();
        let api = &api;
        async move {
            api.run(Some(&caller), CREATE_GATEWAY, json!({"input": input}))
                .await
        }
    };
    let r = create(&a, json!({"code": "GW1", "mac": "not-a-mac", "name": "x"})).await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("mac")));
    let r = create(&a, json!({"code": "", "mac": "aa:bb", "name": "", "capacity": 0, "location": {"latitude": 91, "longitude": 0}})).await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(fields, ["capacity", "code", "latitude", "mac", "name"]);

    let r = create(
        &a,
        json!({"code": "GW1", "mac": "AA-BB-CC-DD-EE-FF", "name": "x", "capacity": 2}),
    )
    .await;
    assert_eq!(r.ok()["createGateway"]["mac"], "aa:bb:cc:dd:ee:ff");
    let gw = r.ok()["createGateway"]["id"].as_str().unwrap().to_owned();
    // The MAC is unique across accounts, the code only within one.
    let r = create(
        &b,
        json!({"code": "GW1", "mac": "aabbccddeeff", "name": "x"}),
    )
    .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("mac")));
    create(
        &b,
        json!({"code": "GW1", "mac": "aa:bb:cc:dd:ee:00", "name": "x"}),
    )
    .await
    .ok();
    let r = create(
        &a,
        json!({"code": "GW1", "mac": "aa:bb:cc:dd:ee:01", "name": "x"}),
    )
    .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("code")));

    let dev = |code: &str, slave: i64, register: i64| json!({"input": {"gatewayId": gw, "code": code, "name": "m", "kind": "ENERGY", "slaveId": slave, "register": register}});
    for (vars, field) in [
        (dev("D01", 0, 1), "slaveId"),
        (dev("D01", 248, 1), "slaveId"),
        (dev("D01", 1, 65_536), "register"),
        (dev("D 1", 1, 1), "code"),
    ] {
        let r = api.run(Some(&a), CREATE_DEVICE, vars).await;
        assert_eq!((r.code(), r.field()), ("VALIDATION", Some(field)));
    }
    let r = api
        .run(Some(&a), CREATE_DEVICE, dev("D01", 1, 65_535))
        .await;
    assert_eq!(r.ok()["createDevice"]["unit"], "kWh");
    assert_eq!(r.ok()["createDevice"]["measurement"], "CUMULATIVE");
    let r = api.run(Some(&a), CREATE_DEVICE, dev("D01", 2, 0)).await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("code")));
    let r = api.run(Some(&a), CREATE_DEVICE, dev("D02", 1, 0)).await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("slaveId")));
    api.run(Some(&a), CREATE_DEVICE, dev("D02", 2, 0))
        .await
        .ok();
    // Capacity 2 is reached: a third device is refused, and capacity cannot shrink below 2.
    let r = api.run(Some(&a), CREATE_DEVICE, dev("D03", 3, 0)).await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("gatewayId")));
    let r = api
        .run(
            Some(&a),
            "mutation($id: ID!) { updateGateway(id: $id, input: {capacity: 1}) { id } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("capacity")));
    let r = api
        .run(
            Some(&a),
            "{ gateways { nodes { deviceCount capacity } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["gateways"]["nodes"][0],
        json!({"deviceCount": 2, "capacity": 2})
    );

    let r = api
        .run(
            Some(&a),
            "mutation { updateAccount(input: {taxId: \"11.222.333/0001-82\"}) { taxId } }",
            json!({}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("taxId")));
    let r = api.run(Some(&a), "mutation { updateAccount(input: {taxId: \"11.222.333/0001-81\", timezone: \"Europe/Lisbon\"}) { taxId timezone } }", json!({})).await;
    assert_eq!(
        r.ok()["updateAccount"],
        json!({"taxId": "11222333000181", "timezone": "Europe/Lisbon"})
    );
    let r = api
        .run(
            Some(&a),
            "mutation { updateAccount(input: {timezone: \"Mars/Olympus\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("timezone")));
}

async fn members_and_invitations(backend: Backend) {
    let api = TestApi::new(backend).await;
    let owner = api.user("owner@x.example", false).await;
    let (account, owner) = api.account("Acme", &owner).await;

    let r = api.run(Some(&owner), "mutation { inviteMember(email: \"New@X.example\", role: EDITOR) { token email role expiresAt } }", json!({})).await;
    let invite = r.ok()["inviteMember"].clone();
    assert_eq!(invite["email"], "new@x.example");
    let token = invite["token"].as_str().unwrap();
    let accept = "mutation($t: String!, $p: String) { acceptInvitation(token: $t, password: $p) { login { token } user { email } account { name role } } }";
    let r = api
        .run(None, accept, json!({"t": token, "p": "short"}))
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("password")));
    let r = api
        .run(None, accept, json!({"t": token, "p": "a good password"}))
        .await;
    assert_eq!(r.ok()["acceptInvitation"]["user"]["email"], "new@x.example");
    assert_eq!(
        r.ok()["acceptInvitation"]["account"],
        json!({"name": "Acme", "role": "EDITOR"})
    );
    assert!(r.ok()["acceptInvitation"]["login"]["token"].is_string());
    // The token works once.
    let r = api
        .run(None, accept, json!({"t": token, "p": "a good password"}))
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("token")));
    // The new member signs in with the password they chose and sees their role.
    let r = api
        .run(
            None,
            "mutation { login(email: \"new@x.example\", password: \"a good password\") { token } }",
            json!({}),
        )
        .await;
    let newbie = Caller {
        token: r.ok()["login"]["token"].as_str().unwrap().to_owned(),
        account: None,
        user: owner.user.clone(),
    };
    let r = api
        .run(
            Some(&newbie),
            "{ accounts { name role } me { email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["accounts"],
        json!([{"name": "Acme", "role": "EDITOR"}])
    );
    assert_eq!(r.ok()["me"]["email"], "new@x.example");
    let r = api
        .run(
            Some(&owner),
            "mutation { inviteMember(email: \"new@x.example\", role: VIEWER) { id } }",
            json!({}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("email")));

    // An expired invitation is refused.
    let tenant = tds_domain::Operator::command_line()
        .act_as(&api.state.db, owner.user.id, account.id)
        .await
        .unwrap();
    let old = tds_domain::members::invite_member(
        &api.state.db,
        &tenant,
        "late@x.example",
        tds_entity::Role::Viewer,
        Utc::now() - Duration::days(8),
    )
    .await
    .unwrap();
    let r = api
        .run(
            None,
            accept,
            json!({"t": old.token, "p": "a good password"}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("token")));

    // The last admin can be neither demoted nor removed …
    let owner_member = member_id(&api, &owner, "owner@x.example").await;
    let r = api
        .run(
            Some(&owner),
            "mutation($id: ID!) { changeMemberRole(memberId: $id, role: VIEWER) { id } }",
            json!({"id": owner_member}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    let r = api
        .run(
            Some(&owner),
            "mutation($id: ID!) { removeMember(memberId: $id) }",
            json!({"id": owner_member}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    // … until someone else is admin.
    let new_member = member_id(&api, &owner, "new@x.example").await;
    let r = api
        .run(
            Some(&owner),
            "mutation($id: ID!) { changeMemberRole(memberId: $id, role: ADMIN) { role } }",
            json!({"id": new_member}),
        )
        .await;
    assert_eq!(r.ok()["changeMemberRole"]["role"], "ADMIN");
    api.run(
        Some(&owner),
        "mutation($id: ID!) { removeMember(memberId: $id) }",
        json!({"id": owner_member}),
    )
    .await
    .ok();
    let r = api
        .run(Some(&owner), "{ gateways { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        r.code(),
        "NOT_FOUND",
        "a removed member no longer reaches the account"
    );
}

async fn authentication_and_licence(backend: Backend) {
    let api = TestApi::new(backend).await;
    let ana_user = api.user("ana@x.example", false).await.user;
    let r = api
        .run(
            None,
            "mutation { login(email: \"ANA@x.example\", password: \"wrong password\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "UNAUTHENTICATED");
    let r = api
        .run(
            None,
            "mutation { login(email: \"nobody@x.example\", password: \"password123\") { token } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "UNAUTHENTICATED");
    let r = api.run(None, "mutation { login(email: \"ANA@x.example\", password: \"password123\") { token expiresAt user { email } } }", json!({})).await;
    let token = r.ok()["login"]["token"].as_str().unwrap().to_owned();

    let r = api.run(None, "{ me { email } }", json!({})).await;
    assert_eq!(r.code(), "UNAUTHENTICATED");
    let forged = Caller {
        token: format!("{token}x"),
        account: None,
        user: api.user("x@x.example", false).await.user,
    };
    assert_eq!(
        api.run(Some(&forged), "{ me { email } }", json!({}))
            .await
            .code(),
        "UNAUTHENTICATED"
    );
    let ana = Caller {
        token,
        account: None,
        user: ana_user,
    };
    assert_eq!(
        api.run(Some(&ana), "{ me { email } }", json!({}))
            .await
            .ok()["me"]["email"],
        "ana@x.example"
    );

    // Two accounts and no X-Account-Id: the caller must choose.
    let (one, ana_one) = api.account("One", &ana).await;
    api.account("Two", &ana).await;
    let r = api
        .run(Some(&ana), "{ gateways { nodes { id } } }", json!({}))
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("X-Account-Id")));
    assert_eq!(
        api.run(Some(&ana), "{ accounts { name } }", json!({}))
            .await
            .ok()["accounts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // An operator switches the licence off: the account's API answers LICENCE_EXPIRED.
    let root = api.user("root@x.example", true).await;
    let r = api
        .run(
            Some(&ana_one),
            "mutation($id: ID!) { setAccountActive(id: $id, active: false) { id } }",
            json!({"id": one.id.to_string()}),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN", "members cannot switch licences");
    api.run(
        Some(&root),
        "mutation($id: ID!) { setAccountActive(id: $id, active: false) { isActive } }",
        json!({"id": one.id.to_string()}),
    )
    .await
    .ok();
    let r = api
        .run(Some(&ana_one), "{ gateways { nodes { id } } }", json!({}))
        .await;
    assert_eq!(r.code(), "LICENCE_EXPIRED");
    api.run(
        Some(&root),
        "mutation($id: ID!) { setAccountActive(id: $id, active: true) { isActive } }",
        json!({"id": one.id.to_string()}),
    )
    .await
    .ok();
    api.run(Some(&ana_one), "{ gateways { nodes { id } } }", json!({}))
        .await
        .ok();
}

async fn pagination_and_filters(backend: Backend) {
    let api = TestApi::new(backend).await;
    let a = api.user("a@x.example", false).await;
    let (_, a) = api.account("A", &a).await;
    for i in 0..25 {
        gateway(
            &api,
            &a,
            &format!("GW-{i:02}"),
            &format!("02:00:00:00:02:{i:02x}"),
        )
        .await;
    }
    let page = "query($after: String) { gateways(first: 10, after: $after) { edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let r = api.run(Some(&a), page, json!({"after": after})).await;
        let conn = r.ok()["gateways"].clone();
        seen.extend(
            conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["code"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..25).map(|i| format!("GW-{i:02}")).collect();
    assert_eq!(seen, expected, "every gateway once, in creation order");

    let r = api
        .run(
            Some(&a),
            "{ gateways(filter: {search: \"gw-1\"}) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["gateways"]["nodes"].as_array().unwrap().len(), 10);
    let r = api
        .run(
            Some(&a),
            "{ gateways(filter: {search: \"02:00:00:00:02:0a\"}) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["gateways"]["nodes"], json!([{"code": "GW-10"}]));
    let r = api
        .run(
            Some(&a),
            "{ gateways(filter: {search: \"%\"}) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["gateways"]["nodes"],
        json!([]),
        "LIKE wildcards are literal"
    );
    let r = api
        .run(
            Some(&a),
            "{ gateways(first: 101) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("first")));
    let r = api
        .run(
            Some(&a),
            "{ gateways(after: \"garbage\") { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("after")));
    let r = api
        .run(
            Some(&a),
            "{ gateways(filter: {status: MAINTENANCE}) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["gateways"]["nodes"], json!([]));
}

async fn nested_fields_are_batched(backend: Backend) {
    let api = TestApi::new(backend).await;
    let a = api.user("a@x.example", false).await;
    let (_, a) = api.account("A", &a).await;
    for g in 0..20 {
        let gw = gateway(
            &api,
            &a,
            &format!("GW{g}"),
            &format!("02:00:00:00:03:{g:02x}"),
        )
        .await;
        for d in 1..=3 {
            device(&api, &a, &gw, &format!("D{d:02}"), d).await;
        }
    }
    // A separate connection whose statements are counted.
    let mut db = tds_domain::db::connect(&api.db.url).await.unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    db.set_metric_callback(move |_| {
        c.fetch_add(1, Ordering::SeqCst);
    });
    let state = tds_graphql::ApiState {
        events: api.state.events.clone(),
        ..tds_graphql::ApiState::new(db, api.state.keys.clone())
    };
    let schema = tds_graphql::build_schema(state.clone());
    let credentials = tds_domain::Credentials {
        bearer: Some(a.token.clone()),
        account_id: a.account.map(|x| x.to_string()),
    };
    let scope = tds_graphql::RequestScope::resolve(&state, &credentials)
        .await
        .unwrap();
    let before = count.load(Ordering::SeqCst);
    let response = schema
        .execute(scope.attach(async_graphql::Request::new(
            "{ gateways(first: 100) { nodes { code devices { code gateway { code } } } } }",
        )))
        .await;
    let statements = count.load(Ordering::SeqCst) - before;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let nodes = data["gateways"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 20);
    assert!(
        nodes
            .iter()
            .all(|n| n["devices"].as_array().unwrap().len() == 3
                && n["devices"][0]["gateway"]["code"] == n["code"])
    );
    assert_eq!(
        statements, 3,
        "one query for gateways, one for all their devices, one for the devices' gateways"
    );
}

async fn limits(backend: Backend) {
    let api = TestApi::new(backend).await;
    let a = api.user("a@x.example", false).await;
    let (_, a) = api.account("A", &a).await;
    let deep = "{ gateways(first: 1) { nodes { devices { gateway { devices { gateway { devices { gateway { devices { gateway { code } } } } } } } } } } }";
    let r = api.run(Some(&a), deep, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        r.errors[0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested"),
        "{:?}",
        r.errors
    );
    let wide = "{ gateways(first: 100) { nodes { devices { gateway { devices { gateway { devices { id code name } } } } } } } }";
    let r = api.run(Some(&a), wide, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        r.errors[0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{:?}",
        r.errors
    );
    let r = api.run(Some(&a), "{ gateways { nope } }", json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "document errors carry a code too");
}

backend_tests!(
    tenant_isolation,
    roles,
    validation,
    members_and_invitations,
    authentication_and_licence,
    pagination_and_filters,
    limits,
    certificate_renewals,
);

/// The renewal log, "renew now" and the certificate dashboard through GraphQL.
async fn certificate_renewals(backend: Backend) {
    let api = TestApi::new(backend).await;
    let admin = api.user("admin@x.example", false).await;
    let (_, admin) = api.account("Acme", &admin).await;
    let gw = gateway(&api, &admin, "GW1", "02:00:00:00:09:01").await;

    let r = api
        .run(
            Some(&admin),
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!(
        r.code(),
        "CONFLICT",
        "nothing to renew before a certificate exists"
    );
    api.run(
        Some(&admin),
        "mutation($id: ID!) { issueCertificate(gatewayId: $id, algorithm: P256) { certificate { id } } }",
        json!({"id": gw}),
    )
    .await
    .ok();
    let r = api
        .run(
            Some(&admin),
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id state mode attempts onDemand gateway { code } oldCertificate { status } newCertificate { id } log { step detail } } }",
            json!({"id": gw}),
        )
        .await;
    let renewal = &r.ok()["renewCertificateNow"];
    assert_eq!(renewal["state"], "SCHEDULED");
    assert_eq!(renewal["mode"], "SERVER_KEY");
    assert_eq!(renewal["attempts"], 1);
    assert_eq!(renewal["onDemand"], true);
    assert_eq!(renewal["gateway"]["code"], "GW1");
    assert_eq!(renewal["oldCertificate"]["status"], "ACTIVE");
    assert_eq!(renewal["newCertificate"], Value::Null);
    assert_eq!(renewal["log"][0]["step"], "SCHEDULED");
    let r = api
        .run(
            Some(&admin),
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT", "one renewal in flight per gateway");

    let r = api
        .run(
            Some(&admin),
            "query($id: ID!) { all: certificateRenewals(gatewayId: $id) { nodes { id state } pageInfo { hasNextPage } } \
             applied: certificateRenewals(state: APPLIED) { nodes { id } } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!(r.ok()["all"]["nodes"][0]["id"], renewal["id"]);
    assert_eq!(r.ok()["applied"]["nodes"], json!([]));
    let r = api
        .run(
            Some(&admin),
            "{ certificateDashboard { expiring { expired within30Days later } byStatus { status count } renewalsByState { state count } renewalsInFlight nextRunAt } }",
            json!({}),
        )
        .await;
    let d = &r.ok()["certificateDashboard"];
    assert_eq!(d["expiring"]["later"], 1);
    assert_eq!(d["expiring"]["within30Days"], 0);
    assert_eq!(d["byStatus"], json!([{"status": "ACTIVE", "count": 1}]));
    assert_eq!(
        d["renewalsByState"],
        json!([{"state": "SCHEDULED", "count": 1}])
    );
    assert_eq!(d["renewalsInFlight"], 1);
    let next: chrono::DateTime<chrono::Utc> = d["nextRunAt"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() && next <= chrono::Utc::now() + chrono::Duration::days(1));

    // The renewal mode is per gateway.
    let r = api
        .run(
            Some(&admin),
            "mutation($id: ID!) { updateGateway(id: $id, input: {renewalMode: CSR}) { renewalMode } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!(r.ok()["updateGateway"]["renewalMode"], "CSR");
}

/// On one thread, so a busy machine's scheduler cannot split a loader's batch across its
/// 1 ms window: the statement count is then exact.
mod nested_fields_are_batched {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn postgres() {
        Box::pin(super::nested_fields_are_batched(Backend::Postgres)).await
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sqlite() {
        Box::pin(super::nested_fields_are_batched(Backend::Sqlite)).await
    }
}

/// Two editors adding devices at once cannot overfill a gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capacity_holds_under_concurrency() {
    let api = TestApi::new(Backend::Postgres).await;
    let a = api.user("a@x.example", false).await;
    let (_, a) = api.account("A", &a).await;
    let r = api
        .run(Some(&a), CREATE_GATEWAY, json!({"input": {"code": "GW", "mac": "02:00:00:00:04:01", "name": "n", "capacity": 3}}))
        .await;
    let gw = r.ok()["createGateway"]["id"].as_str().unwrap().to_owned();
    let attempts = (1..=8).map(|i| {
        let input = json!({"input": {"gatewayId": gw, "code": format!("D{i}"), "name": "m", "kind": "GAS", "slaveId": i, "register": 0}});
        let (api, a) = (&api, &a);
        async move { api.run(Some(a), CREATE_DEVICE, input).await }
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.errors.is_empty()).count();
    assert_eq!(
        created,
        3,
        "{:?}",
        results.iter().map(|r| r.errors.clone()).collect::<Vec<_>>()
    );
    assert!(
        results
            .iter()
            .filter(|r| !r.errors.is_empty())
            .all(|r| r.field() == Some("gatewayId"))
    );
}

/// `schema.graphql` is the contract frontend apps build against.
#[test]
fn committed_schema_matches() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let current = tds_graphql::sdl();
    if std::env::var("TDS_UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "schema.graphql differs from the schema; review the change and run TDS_UPDATE_SCHEMA=1 cargo nextest run -p tds-graphql committed_schema_matches"
    );
}

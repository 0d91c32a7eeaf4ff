//! Telemetry through the API: readings, latest values, consumption buckets in the
//! account's time zone, dashboard, dead letters, and a live subscription.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Duration, TimeZone, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use tds_bus::{InboundMessage, TelemetryBatch};
use tds_testkit::{Backend, Caller, TestApi, backend_tests, payload, seed_fleet, telemetry_topic};
use tds_workers::fleet::FleetCache;
use tds_workers::telemetry::TelemetryWriter;

/// An admin caller of a seeded account.
async fn caller_for(api: &TestApi, account: &tds_entity::account::Model) -> Caller {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let membership = tds_entity::membership::Entity::find()
        .filter(tds_entity::membership::Column::AccountId.eq(account.id))
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    let user = tds_entity::user::Entity::find_by_id(membership.user_id)
        .one(&api.state.db)
        .await
        .unwrap()
        .unwrap();
    let (token, _) = api.state.keys.issue(user.id, Utc::now()).unwrap();
    Caller {
        token,
        account: Some(account.id),
        user,
    }
}

async fn telemetry_queries(backend: Backend) {
    let api = TestApi::new(backend).await;
    // São Paulo is UTC−3: local days start at 03:00 UTC.
    let (account, gateways) =
        seed_fleet(&api.state.db, "America/Sao_Paulo", 0x50, 1, 2, true).await;
    let me = caller_for(&api, &account).await;
    let g = &gateways[0];
    let writer = TelemetryWriter::new(
        api.state.db.clone(),
        FleetCache::default(),
        api.state.events.clone(),
    );

    // Energy register every hour for three local days (Mon 2026-11-02 .. Wed), temperature alongside.
    let start = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    let mut messages = Vec::new();
    for h in 0..72 {
        let t = start + Duration::hours(h);
        let body = payload(
            &g.mac,
            t,
            &[
                ("D01", 500.0 + 2.0 * h as f64),
                ("D02", 20.0 + (h % 5) as f64),
            ],
        );
        messages.push(InboundMessage {
            topic: telemetry_topic(&g.mac),
            payload: body,
            received_at: Utc::now(),
            truncated_from: None,
        });
    }
    messages.push(InboundMessage {
        topic: telemetry_topic(&g.mac),
        payload: b"garbage".to_vec(),
        received_at: Utc::now(),
        truncated_from: None,
    });
    writer
        .write(&[TelemetryBatch { messages }], Utc::now())
        .await
        .unwrap();
    let (energy, temperature) = (g.devices[0].1.to_string(), g.devices[1].1.to_string());

    let r = api
        .run(Some(&me), "query($d: ID!) { readings(deviceId: $d, from: \"2026-11-02T03:00:00Z\", to: \"2026-11-02T06:00:00Z\") { time value unit device { code } } }", json!({"d": energy}))
        .await;
    let list = r.ok()["readings"].as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["value"], 500.0);
    assert_eq!(list[2]["device"]["code"], "D01");

    let r = api
        .run(
            Some(&me),
            "{ latestReadings { device { code } value } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r.ok()["latestReadings"],
        json!([{"device": {"code": "D01"}, "value": 642.0}, {"device": {"code": "D02"}, "value": 21.0}])
    );

    let q = "query($ids: [ID!]!, $g: Granularity!) { consumption(deviceIds: $ids, from: \"2026-11-01T00:00:00Z\", to: \"2026-12-01T00:00:00Z\", granularity: $g) { device { code } points { bucketStart consumption min max avg count } } }";
    let r = api
        .run(
            Some(&me),
            q,
            json!({"ids": [energy, temperature], "g": "DAY"}),
        )
        .await;
    let series = r.ok()["consumption"].as_array().unwrap().clone();
    let energy_days = series
        .iter()
        .find(|s| s["device"]["code"] == "D01")
        .unwrap()["points"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(energy_days.len(), 3);
    assert_eq!(energy_days[0]["bucketStart"], "2026-11-02T03:00:00+00:00");
    // Day 1: 23 steps of 2 (its first reading has no predecessor); days 2 and 3: 24 steps.
    let days: Vec<f64> = energy_days
        .iter()
        .map(|p| p["consumption"].as_f64().unwrap())
        .collect();
    assert_eq!(days, vec![46.0, 48.0, 48.0]);
    let temps = series
        .iter()
        .find(|s| s["device"]["code"] == "D02")
        .unwrap()["points"][0]
        .clone();
    assert_eq!(
        (
            temps["consumption"].clone(),
            temps["min"].clone(),
            temps["max"].clone(),
            temps["count"].clone()
        ),
        (json!(null), json!(20.0), json!(24.0), json!(24))
    );

    let r = api
        .run(Some(&me), q, json!({"ids": [energy], "g": "WEEK"}))
        .await;
    let week = &r.ok()["consumption"][0]["points"];
    assert_eq!(
        week.as_array().unwrap().len(),
        1,
        "Mon–Wed fall in one week"
    );
    assert_eq!(week[0]["consumption"], 142.0);
    let r = api
        .run(Some(&me), q, json!({"ids": [energy], "g": "MONTH"}))
        .await;
    assert_eq!(r.ok()["consumption"][0]["points"][0]["consumption"], 142.0);
    assert_eq!(
        r.ok()["consumption"][0]["points"][0]["bucketStart"],
        "2026-11-01T03:00:00+00:00"
    );
    let r = api
        .run(Some(&me), q, json!({"ids": [energy], "g": "HOUR"}))
        .await;
    assert_eq!(
        r.ok()["consumption"][0]["points"].as_array().unwrap().len(),
        72
    );

    let r = api.run(Some(&me), "{ dashboardSummary { gateways gatewaysOnline gatewaysOffline devices openAlerts deadLettersLastDay } }", json!({})).await;
    assert_eq!(
        r.ok()["dashboardSummary"],
        json!({"gateways": 1, "gatewaysOnline": 1, "gatewaysOffline": 0, "devices": 2, "openAlerts": 0, "deadLettersLastDay": 1})
    );

    let r = api
        .run(
            Some(&me),
            "{ deadLetters { nodes { reason topic payloadPreview detail } } }",
            json!({}),
        )
        .await;
    let letter = &r.ok()["deadLetters"]["nodes"][0];
    assert_eq!(
        (letter["reason"].as_str(), letter["payloadPreview"].as_str()),
        (Some("BAD_JSON"), Some("garbage"))
    );

    let r = api.run(Some(&me), "query($d: ID!) { readings(deviceId: $d, from: \"2026-11-03T00:00:00Z\", to: \"2026-11-02T00:00:00Z\") { value } }", json!({"d": energy})).await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("to")));
}

async fn subscription_receives_stored_readings(backend: Backend) {
    let api = TestApi::new(backend).await;
    let (account, gateways) = seed_fleet(&api.state.db, "UTC", 0x51, 2, 1, false).await;
    let me = caller_for(&api, &account).await;
    let credentials = tds_domain::Credentials {
        bearer: Some(me.token.clone()),
        account_id: Some(account.id.to_string()),
    };
    let scope = tds_graphql::RequestScope::resolve(&api.state, &credentials)
        .await
        .unwrap();
    let watched = gateways[1].id.to_string();
    let request = async_graphql::Request::new(
        "subscription($g: ID) { readings(gatewayId: $g) { value gatewayId device { code } } }",
    )
    .variables(async_graphql::Variables::from_json(json!({"g": watched})));
    let mut stream = api.schema.execute_stream(scope.attach(request));

    let writer = TelemetryWriter::new(
        api.state.db.clone(),
        FleetCache::default(),
        api.state.events.clone(),
    );
    // The subscription registers when the stream is first polled; keep writing fresh
    // readings (a poll with a deadline) until the first one comes through.
    let mut next = tokio::spawn(async move {
        tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await
    });
    let mut received = None;
    let base = Utc::now() - Duration::hours(1);
    for i in 0..100 {
        let at = base + Duration::seconds(i);
        let messages = gateways
            .iter()
            .enumerate()
            .map(|(n, g)| InboundMessage {
                topic: telemetry_topic(&g.mac),
                payload: payload(&g.mac, at, &[("D01", n as f64 + 1.0)]),
                received_at: Utc::now(),
                truncated_from: None,
            })
            .collect();
        writer
            .write(&[TelemetryBatch { messages }], Utc::now())
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
        .expect("a reading within 10 s")
        .unwrap()
        .expect("in time")
        .unwrap();
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    assert_eq!(
        data["readings"]["gatewayId"], watched,
        "only the watched gateway"
    );
    assert_eq!(data["readings"]["value"], 2.0);
    assert_eq!(data["readings"]["device"]["code"], "D01");
}

backend_tests!(
    telemetry_queries,
    subscription_receives_stored_readings,
    dead_letter_pages_carry_previews
);

/// Stores a refused message as the telemetry writer would, attributed to `account`.
async fn refused(api: &TestApi, account: uuid::Uuid, mac: &str, payload: Vec<u8>) -> uuid::Uuid {
    use sea_orm::{ActiveModelTrait, Set};
    let id = uuid::Uuid::now_v7();
    tds_entity::dead_letter::ActiveModel {
        id: Set(id),
        account_id: Set(Some(account)),
        gateway_mac: Set(Some(mac.to_owned())),
        topic: Set(telemetry_topic(mac)),
        payload: Set(payload),
        reason: Set("OVERSIZED".into()),
        detail: Set("too big".into()),
        received_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
    }
    .insert(&api.state.db)
    .await
    .unwrap();
    id
}

/// A page of dead letters stays small whatever the payloads; one letter's payload is its
/// own query, and another account's letter is not found.
async fn dead_letter_pages_carry_previews(backend: Backend) {
    use base64::Engine;
    use sha2::Digest;
    let api = TestApi::new(backend).await;
    let (account, gateways) = seed_fleet(&api.state.db, "UTC", 0x53, 1, 1, false).await;
    let me = caller_for(&api, &account).await;
    // 3 MiB whose 1,024th byte is the middle of a two-byte character.
    let mut big = vec![b'a'; 1023];
    big.extend("é".as_bytes());
    big.resize(3 << 20, b'z');
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(refused(&api, account.id, &gateways[0].mac, big.clone()).await);
    }
    let small = refused(&api, account.id, &gateways[0].mac, b"short".to_vec()).await;

    let r = api
        .run(
            Some(&me),
            "{ deadLetters(first: 100) { nodes { id payloadSize payloadSha256 payloadPreview payloadTruncated payloadText payloadBase64 } } }",
            json!({}),
        )
        .await;
    let page = r.ok()["deadLetters"]["nodes"].as_array().unwrap().clone();
    assert_eq!(page.len(), 6);
    assert!(
        r.data.to_string().len() < 16 * 1024,
        "a page of six letters of 3 MiB is {} bytes",
        r.data.to_string().len()
    );
    assert_eq!(page[0]["id"], small.to_string());
    assert_eq!(page[0]["payloadPreview"], "short");
    assert_eq!(page[0]["payloadTruncated"], false);
    let digest = hex::encode(sha2::Sha256::digest(&big));
    for letter in &page[1..] {
        assert_eq!(letter["payloadSize"], 3 << 20);
        assert_eq!(letter["payloadSha256"], digest.as_str());
        assert_eq!(letter["payloadTruncated"], true);
        assert_eq!(
            letter["payloadPreview"],
            "a".repeat(1023),
            "the cut character is left out"
        );
        assert_eq!(letter["payloadText"], Value::Null);
        assert_eq!(letter["payloadBase64"], Value::Null);
    }

    let one = "query($id: ID!) { deadLetter(id: $id) { id reason payloadSize payloadSha256 payloadTruncated payloadBase64 payloadText } }";
    let r = api.run(Some(&me), one, json!({"id": ids[2]})).await;
    let letter = &r.ok()["deadLetter"];
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(letter["payloadBase64"].as_str().unwrap())
        .unwrap();
    assert!(bytes == big, "the whole payload, byte for byte");
    assert_eq!(letter["payloadText"].as_str().unwrap().len(), big.len());
    assert_eq!(letter["payloadSha256"], digest.as_str());
    assert_eq!(letter["reason"], "OVERSIZED");

    let (other, _) = seed_fleet(&api.state.db, "UTC", 0x54, 1, 1, false).await;
    let stranger = caller_for(&api, &other).await;
    let r = api.run(Some(&stranger), one, json!({"id": ids[2]})).await;
    assert_eq!(r.code(), "NOT_FOUND");
    let r = api
        .run(
            Some(&stranger),
            "{ deadLetters { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["deadLetters"]["nodes"], json!([]));
}

async fn certificates_through_the_api(backend: Backend) {
    let api = TestApi::new(backend).await;
    let (account, gateways) = seed_fleet(&api.state.db, "UTC", 0x52, 1, 1, false).await;
    let me = caller_for(&api, &account).await;
    let gw = gateways[0].id.to_string();
    let r = api
        .run(Some(&me), "mutation($g: ID!) { issueCertificate(gatewayId: $g, algorithm: P256) { certificate { id commonName status keyAlgorithm notAfter gateway { mac } } certificatePem privateKeyPem caPem } }", json!({"g": gw}))
        .await;
    let issued = r.ok()["issueCertificate"].clone();
    assert_eq!(
        issued["certificate"]["commonName"],
        gateways[0].mac.as_str()
    );
    assert_eq!(
        issued["certificate"]["gateway"]["mac"],
        gateways[0].mac.as_str()
    );
    assert_eq!(
        (
            issued["certificate"]["status"].as_str(),
            issued["certificate"]["keyAlgorithm"].as_str()
        ),
        (Some("ACTIVE"), Some("P256"))
    );
    assert!(
        issued["privateKeyPem"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );
    assert!(
        issued["certificatePem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE")
    );
    let id = issued["certificate"]["id"].as_str().unwrap().to_owned();

    let r = api.run(Some(&me), "{ certificates(expiringWithinDays: 4000) { id } soon: certificates(expiringWithinDays: 30) { id } }", json!({})).await;
    assert_eq!(r.ok()["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(r.ok()["soon"], json!([]), "ten years away");

    let r = api.run(Some(&me), "mutation($id: ID!) { revokeCertificate(id: $id, reason: \"key-compromise\") { status revokedAt revocationReason } }", json!({"id": id})).await;
    assert_eq!(r.ok()["revokeCertificate"]["status"], "REVOKED");
    let crl = std::fs::read_to_string(&api.state.crl_paths[0]).unwrap();
    assert!(
        crl.starts_with("-----BEGIN X509 CRL"),
        "the CRL was rewritten"
    );
    let r = api
        .run(
            Some(&me),
            "mutation($id: ID!) { revokeCertificate(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    let r = api
        .run(
            Some(&me),
            "{ certificates(status: REVOKED) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["certificates"].as_array().unwrap().len(), 1);
    let r = api
        .run(
            Some(&me),
            "mutation($id: ID!) { revokeCertificate(id: $id, reason: \"bored\") { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("reason")));
}

backend_tests!(certificates_through_the_api);

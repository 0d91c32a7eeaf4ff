//! Certificates follow gateway ownership (issue 9): deleting a gateway, changing its MAC
//! or setting it INACTIVE revokes its certificates into the CRL and stops their renewals,
//! and a MAC is registered again only when no unrevoked certificate carries it, so a
//! certificate one account keeps never speaks for another account's gateway.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::Utc;
use serde_json::{Value, json};
use tds_domain::Operator;
use tds_testkit::{Backend, Caller, TestApi, backend_tests};

const CREATE_GATEWAY: &str = "mutation($mac: String!, $code: String!) { createGateway(input: {code: $code, mac: $mac, name: \"Gateway\"}) { id } }";
const ISSUE: &str = "mutation($id: ID!) { issueCertificate(gatewayId: $id, algorithm: P256) { certificate { id serial } } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateGatewayInput!) { updateGateway(id: $id, input: $input) { mac status } }";
const CERTIFICATES: &str =
    "{ certificates { serial commonName status revocationReason gateway { id } } }";

async fn create_gateway(api: &TestApi, caller: &Caller, code: &str, mac: &str) -> Value {
    api.run(
        Some(caller),
        CREATE_GATEWAY,
        json!({"code": code, "mac": mac}),
    )
    .await
    .data
}

async fn gateway(api: &TestApi, caller: &Caller, code: &str, mac: &str) -> String {
    create_gateway(api, caller, code, mac).await["createGateway"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn issue(api: &TestApi, caller: &Caller, gateway_id: &str) -> String {
    api.run(Some(caller), ISSUE, json!({"id": gateway_id}))
        .await
        .ok()["issueCertificate"]["certificate"]["serial"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The caller's certificate with this serial, as the API shows it.
async fn certificate(api: &TestApi, caller: &Caller, serial: &str) -> Value {
    let r = api.run(Some(caller), CERTIFICATES, json!({})).await;
    r.ok()["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["serial"] == serial)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The serials in the CRL file the API wrote, read by OpenSSL (lower-case hex).
fn crl_serials(api: &TestApi) -> String {
    let out = std::process::Command::new("openssl")
        .args(["crl", "-noout", "-text", "-in"])
        .arg(&api.state.crl_paths[0])
        .output()
        .unwrap();
    assert!(out.status.success(), "the CRL file is a CRL");
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

async fn deleting_a_gateway_revokes_its_certificates(backend: Backend) {
    let api = TestApi::new(backend).await;
    let ana = api.user("ana@x.example", false).await;
    let (_, ana) = api.account("Alpha", &ana).await;
    let bob = api.user("bob@x.example", false).await;
    let (_, bob) = api.account("Bravo", &bob).await;
    let mac = "02:00:5e:00:00:01";
    let gw = gateway(&api, &ana, "GW-A", mac).await;
    let serial = issue(&api, &ana, &gw).await;
    // A renewal in flight, its successor issued (PENDING) and on its way to the gateway.
    let r = api
        .run(
            Some(&ana),
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw}),
        )
        .await;
    let renewal: uuid::Uuid = r.ok()["renewCertificateNow"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ca = api.state.pki.as_deref().unwrap();
    tds_domain::renewals::prepare(
        &api.state.db,
        ca,
        &api.state.renewal_policy,
        renewal,
        Utc::now(),
    )
    .await
    .unwrap()
    .unwrap();
    let successor = api.run(Some(&ana), CERTIFICATES, json!({})).await.ok()["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "PENDING")
        .unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_owned();

    // The MAC is Alpha's while the gateway exists.
    let r = api
        .run(
            Some(&bob),
            CREATE_GATEWAY,
            json!({"code": "GW-B", "mac": mac}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("mac")));

    let r = api
        .run(
            Some(&ana),
            "mutation($id: ID!) { deleteGateway(id: $id) }",
            json!({"id": gw}),
        )
        .await;
    r.ok();

    // Both certificates are revoked, kept in Alpha's history without the gateway, listed
    // in the CRL the API rewrote; the renewal stopped.
    for s in [&serial, &successor] {
        let c = certificate(&api, &ana, s).await;
        assert_eq!(
            (&c["status"], &c["revocationReason"], &c["gateway"]),
            (
                &json!("REVOKED"),
                &json!("cessation-of-operation"),
                &Value::Null
            ),
            "{c}"
        );
        assert!(crl_serials(&api).contains(s.as_str()), "{s} is in the CRL");
    }
    let r = api
        .run(
            Some(&ana),
            "{ certificateRenewals { nodes { state error } } }",
            json!({}),
        )
        .await;
    let node = &r.ok()["certificateRenewals"]["nodes"][0];
    assert_eq!(node["state"], "FAILED");
    assert!(
        node["error"]
            .as_str()
            .unwrap()
            .contains("when its gateway was deleted"),
        "{node}"
    );

    // Now Bravo registers the MAC and gets a certificate of its own; Alpha's are not his.
    let gw_b = gateway(&api, &bob, "GW-B", mac).await;
    let fresh = issue(&api, &bob, &gw_b).await;
    let r = api.run(Some(&bob), CERTIFICATES, json!({})).await;
    assert_eq!(
        r.ok()["certificates"],
        json!([{"serial": fresh, "commonName": mac, "status": "ACTIVE", "revocationReason": null, "gateway": {"id": gw_b}}])
    );
}

async fn a_new_mac_or_inactive_revokes(backend: Backend) {
    let api = TestApi::new(backend).await;
    let ana = api.user("ana@x.example", false).await;
    let (_, ana) = api.account("Alpha", &ana).await;
    let bob = api.user("bob@x.example", false).await;
    let (_, bob) = api.account("Bravo", &bob).await;
    let (old_mac, new_mac) = ("02:00:5e:00:00:11", "02:00:5e:00:00:12");
    let gw = gateway(&api, &ana, "GW-A", old_mac).await;
    let first = issue(&api, &ana, &gw).await;

    // A change that is not the MAC or the status keeps the certificate.
    let r = api
        .run(
            Some(&ana),
            UPDATE,
            json!({"id": gw, "input": {"name": "Torre A", "status": "MAINTENANCE"}}),
        )
        .await;
    r.ok();
    assert_eq!(certificate(&api, &ana, &first).await["status"], "ACTIVE");

    // A new MAC: the certificate names another device now.
    let r = api
        .run(
            Some(&ana),
            UPDATE,
            json!({"id": gw, "input": {"mac": new_mac}}),
        )
        .await;
    assert_eq!(r.ok()["updateGateway"]["mac"], new_mac);
    let c = certificate(&api, &ana, &first).await;
    assert_eq!(
        (&c["status"], &c["revocationReason"], &c["gateway"]["id"]),
        (&json!("REVOKED"), &json!("affiliation-changed"), &json!(gw))
    );
    assert!(crl_serials(&api).contains(first.as_str()));
    gateway(&api, &bob, "GW-B", old_mac).await;

    // INACTIVE: revoked, and nothing is issued or renewed until it is ACTIVE again.
    let second = issue(&api, &ana, &gw).await;
    let r = api
        .run(
            Some(&ana),
            UPDATE,
            json!({"id": gw, "input": {"status": "INACTIVE"}}),
        )
        .await;
    r.ok();
    let c = certificate(&api, &ana, &second).await;
    assert_eq!(
        (&c["status"], &c["revocationReason"]),
        (&json!("REVOKED"), &json!("cessation-of-operation"))
    );
    assert!(crl_serials(&api).contains(second.as_str()));
    let r = api.run(Some(&ana), ISSUE, json!({"id": gw})).await;
    assert_eq!(r.code(), "CONFLICT");
    let r = api
        .run(
            Some(&ana),
            "mutation($id: ID!) { renewCertificateNow(gatewayId: $id) { id } }",
            json!({"id": gw}),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    api.run(
        Some(&ana),
        UPDATE,
        json!({"id": gw, "input": {"status": "ACTIVE"}}),
    )
    .await
    .ok();
    let third = issue(&api, &ana, &gw).await;
    assert_eq!(certificate(&api, &ana, &third).await["status"], "ACTIVE");
}

async fn a_mac_still_certified_is_not_registered(backend: Backend) {
    use sea_orm::EntityTrait;
    let api = TestApi::new(backend).await;
    let ana = api.user("ana@x.example", false).await;
    let (_, ana) = api.account("Alpha", &ana).await;
    let bob = api.user("bob@x.example", false).await;
    let (_, bob) = api.account("Bravo", &bob).await;
    let mac = "02:00:5e:00:00:21";
    let gw = gateway(&api, &ana, "SECRET-CODE", mac).await;
    let serial = issue(&api, &ana, &gw).await;
    // A certificate left behind: its gateway removed behind the platform's back (as before
    // certificates followed their gateways), the certificate still valid.
    tds_entity::gateway::Entity::delete_by_id(gw.parse::<uuid::Uuid>().unwrap())
        .exec(&api.state.db)
        .await
        .unwrap();
    assert_eq!(certificate(&api, &ana, &serial).await["status"], "ACTIVE");

    // Nobody registers that MAC, and the refusal tells nothing of Alpha.
    let r = api
        .run(
            Some(&bob),
            CREATE_GATEWAY,
            json!({"code": "GW-B", "mac": mac}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("mac")));
    let message = r.errors[0]["message"].as_str().unwrap();
    for secret in ["Alpha", "SECRET-CODE", serial.as_str()] {
        assert!(!message.contains(secret), "{message}");
    }
    let other = gateway(&api, &bob, "GW-B", "02:00:5e:00:00:22").await;
    let r = api
        .run(
            Some(&bob),
            UPDATE,
            json!({"id": other, "input": {"mac": mac}}),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("VALIDATION", Some("mac")));

    // Once an operator revoked it, the MAC is free.
    tds_domain::certificates::revoke(
        &api.state.db,
        &Operator::command_line(),
        &serial,
        "cessation-of-operation",
        Utc::now(),
    )
    .await
    .unwrap();
    let r = api
        .run(
            Some(&bob),
            UPDATE,
            json!({"id": other, "input": {"mac": mac}}),
        )
        .await;
    assert_eq!(r.ok()["updateGateway"]["mac"], mac);
}

backend_tests!(
    deleting_a_gateway_revokes_its_certificates,
    a_new_mac_or_inactive_revokes,
    a_mac_still_certified_is_not_registered,
);

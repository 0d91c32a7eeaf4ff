//! Live subscriptions over WebSocket (`graphql-transport-ws`) on two api replicas that
//! share nothing but Redis: a reading stored by a worker reaches both.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tds_bus::{EventBus, InboundMessage, TelemetryBatch};
use tds_testkit::{Backend, TestDb, forget_redis_namespace, payload, seed_fleet, telemetry_topic};
use tds_workers::fleet::FleetCache;
use tds_workers::telemetry::TelemetryWriter;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const REDIS: &str = "redis://127.0.0.1:6379";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One api replica on a free port with its own Redis subscription.
async fn replica(db: &TestDb, channel: &str, keys: &tds_domain::auth::TokenKeys) -> String {
    let events = EventBus::redis(REDIS, channel).await.unwrap();
    let state = tds_graphql::ApiState {
        events,
        ..tds_graphql::ApiState::new(db.db.clone(), keys.clone())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tds_api::serve(listener, state, std::future::pending()));
    format!("ws://{addr}/graphql")
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Connects, authenticates in `connection_init` and subscribes to readings.
async fn subscribe(url: &str, token: &str, account: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}"), "x-account-id": account}});
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { readings { value device { code } } }"}});
    socket
        .send(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_api_replicas_both_deliver_a_stored_reading() {
    let db = TestDb::migrated(Backend::Postgres).await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let channel = format!("tds-test:{tag}:events");
    let (account, gateways) = seed_fleet(&db.db, "UTC", 0x60, 1, 1, false).await;
    let keys = tds_domain::auth::TokenKeys::new(b"ws-test", chrono::Duration::hours(1));
    let admin = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        tds_entity::membership::Entity::find()
            .filter(tds_entity::membership::Column::AccountId.eq(account.id))
            .one(&db.db)
            .await
            .unwrap()
            .unwrap()
            .user_id
    };
    let (token, _) = keys.issue(admin, Utc::now()).unwrap();
    let account_id = account.id.to_string();
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let url = replica(&db, &channel, &keys).await;
        sockets.push(subscribe(&url, &token, &account_id).await);
    }

    // A worker in "another process": its own Redis connection on the same channel.
    let worker_events = EventBus::redis(REDIS, &channel).await.unwrap();
    let writer = TelemetryWriter::new(db.db.clone(), FleetCache::default(), worker_events);
    let g = &gateways[0];
    let mut delivered = Vec::new();
    for (i, socket) in sockets.iter_mut().enumerate() {
        // Write until this replica hears one (its subscription registers asynchronously).
        let value = loop {
            let at =
                Utc::now() - chrono::Duration::seconds(60 - delivered.len() as i64 * 10 - i as i64);
            let messages = vec![InboundMessage {
                topic: telemetry_topic(&g.mac),
                payload: payload(&g.mac, at, &[("D01", 7.5)]),
                received_at: Utc::now(),
                truncated_from: None,
            }];
            writer
                .write(&[TelemetryBatch { messages }], Utc::now())
                .await
                .unwrap();
            match tokio::time::timeout(Duration::from_millis(500), next_json(socket)).await {
                Ok(message) => break message,
                Err(_) => continue,
            }
        };
        assert_eq!(value["type"], "next", "{value}");
        assert_eq!(
            value["payload"]["data"]["readings"],
            json!({"value": 7.5, "device": {"code": "D01"}})
        );
        delivered.push(i);
    }
    assert_eq!(delivered, vec![0, 1]);

    // A connection without credentials gets an error for the subscription, with a code.
    let url = replica(&db, &channel, &keys).await;
    let mut anonymous = subscribe(&url, "not-a-token", &account_id).await;
    let reply = next_json(&mut anonymous).await;
    assert_eq!(reply["type"], "next", "{reply}");
    assert_eq!(reply["payload"]["data"], Value::Null);
    assert_eq!(
        reply["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    forget_redis_namespace(REDIS, &format!("tds-test:{tag}:")).await;
}

//! WebSocket sessions stay honest while they live: a member removed, demoted or switched
//! off on one api replica loses what they lost on every other replica's open connections
//! at once; without any announcement, a session is still re-checked periodically and when
//! its token expires; and a WebSocket message is no larger than an HTTP body.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use tds_bus::{Event, EventBus, ReadingEvent};
use tds_domain::accounts::{self, NewUser};
use tds_domain::auth::TokenKeys;
use tds_entity::{Role, membership, user};
use tds_graphql::{ApiState, RequestScope, TdsSchema};
use tds_testkit::{Backend, TestDb, forget_redis_namespace, seed_fleet};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";
const WAIT: Duration = Duration::from_secs(10);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One test's platform: a database, a Redis event channel and the token keys.
struct Platform {
    db: TestDb,
    channel: String,
    tag: String,
    keys: TokenKeys,
}

impl Platform {
    async fn new() -> Self {
        let tag = Uuid::new_v4().simple().to_string();
        Self {
            db: TestDb::migrated(Backend::Postgres).await,
            channel: format!("tds-test:{tag}:events"),
            tag,
            keys: TokenKeys::new(&[7; 32], chrono::Duration::hours(1)),
        }
    }

    async fn state(&self, recheck: Duration) -> ApiState {
        ApiState {
            events: EventBus::redis(REDIS, &self.channel).await.unwrap(),
            auth: tds_graphql::AuthState {
                session_recheck: recheck,
                ..Default::default()
            },
            ..ApiState::new(self.db.db.clone(), self.keys.clone())
        }
    }

    /// An api replica on a free port serving WebSockets.
    async fn replica(&self, recheck: Duration) -> String {
        let state = self.state(recheck).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(tds_api::serve(listener, state, std::future::pending()));
        format!("ws://{addr}/graphql")
    }

    async fn user(&self, email: &str, superuser: bool) -> (user::Model, String) {
        let user = accounts::create_user(
            &self.db.db,
            &tds_domain::Operator::command_line(),
            NewUser {
                email: email.into(),
                password: "password123".into(),
                name: String::new(),
                is_superuser: superuser,
            },
            Utc::now(),
        )
        .await
        .unwrap();
        let (token, _) = self.keys.issue(user.id, Utc::now()).unwrap();
        (user, token)
    }

    async fn member(&self, account: Uuid, email: &str, role: Role) -> String {
        let (user, token) = self.user(email, false).await;
        membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account),
            user_id: Set(user.id),
            role: Set(role),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            created_by: Set(None),
        }
        .insert(&self.db.db)
        .await
        .unwrap();
        token
    }

    async fn forget(&self) {
        forget_redis_namespace(REDIS, &format!("tds-test:{}:", self.tag)).await;
    }
}

/// Another replica, called without WebSockets (where the admin acts).
struct Admin {
    schema: TdsSchema,
    state: ApiState,
    token: String,
    account: Uuid,
}

impl Admin {
    async fn run(&self, query: &str, variables: Value) -> Value {
        let credentials = tds_domain::Credentials {
            bearer: Some(self.token.clone()),
            account_id: Some(self.account.to_string()),
        };
        let scope = RequestScope::resolve(&self.state, &credentials)
            .await
            .unwrap();
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self.schema.execute(scope.attach(request)).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response.data.into_json().unwrap()
    }

    async fn member_id(&self, email: &str) -> String {
        let data = self
            .run("{ members { id user { email } } }", json!({}))
            .await;
        data["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user"]["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// Connects and authenticates in `connection_init`.
async fn connect(url: &str, token: &str, account: Uuid) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}"), "X-Account-Id": account.to_string()}});
    socket.send(Message::text(init.to_string())).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
}

async fn send(socket: &mut Socket, id: &str, query: &str) {
    let message = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// The next message about operation `id` (others are dropped).
async fn next_of(socket: &mut Socket, id: &str) -> Value {
    loop {
        let message = next_json(socket).await;
        if message["id"] == id {
            return message;
        }
    }
}

/// Runs one query or mutation over the connection and returns its payload.
async fn run(socket: &mut Socket, id: &str, query: &str) -> Value {
    send(socket, id, query).await;
    let reply = next_of(socket, id).await;
    assert_eq!(reply["type"], "next", "{reply}");
    assert_eq!(next_of(socket, id).await["type"], "complete");
    reply["payload"].clone()
}

fn code(payload: &Value) -> &str {
    payload["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Publishes readings of `account` until each socket's subscription `1` delivers one.
async fn readings_flow(bus: &EventBus, account: Uuid, sockets: &mut [&mut Socket]) {
    for socket in sockets.iter_mut() {
        loop {
            let event = Event::Readings {
                account_id: account,
                readings: vec![ReadingEvent {
                    gateway_id: Uuid::now_v7(),
                    device_id: Uuid::now_v7(),
                    time: Utc::now(),
                    value: 1.5,
                    unit: "kWh".into(),
                }],
            };
            bus.publish(&event).await.unwrap();
            match tokio::time::timeout(Duration::from_millis(300), next_of(socket, "1")).await {
                Ok(message) => {
                    assert_eq!(message["payload"]["data"]["readings"]["value"], 1.5);
                    break;
                }
                Err(_) => continue,
            }
        }
    }
}

/// The subscription `1` ends with one error of `expected` code, then `complete`.
async fn ends_with(socket: &mut Socket, expected: &str) {
    let message = loop {
        let message = next_of(socket, "1").await;
        // Readings already under way may arrive first.
        if message["payload"]["errors"].is_array() || message["type"] != "next" {
            break message;
        }
    };
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["payload"]["data"], Value::Null, "{message}");
    assert_eq!(code(&message["payload"]), expected, "{message}");
    assert_eq!(next_of(socket, "1").await["type"], "complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn member_changes_reach_open_connections_on_other_replicas_at_once() {
    let platform = Platform::new().await;
    let (fleet, gateways) = seed_fleet(&platform.db.db, "UTC", 0x61, 1, 1, false).await;
    let gateway = gateways[0].id;
    // The periodic re-check is out of reach: only the announcements can act in time.
    let url = platform.replica(Duration::from_secs(3600)).await;
    let editor = platform
        .member(fleet.id, "editor@x.example", Role::Editor)
        .await;
    let viewer = platform
        .member(fleet.id, "viewer@x.example", Role::Viewer)
        .await;
    let admin_token = platform
        .member(fleet.id, "admin@x.example", Role::Admin)
        .await;
    let state = platform.state(Duration::from_secs(60)).await;
    let admin = Admin {
        schema: tds_graphql::build_schema(state.clone()),
        state,
        token: admin_token,
        account: fleet.id,
    };

    let mut editor_ws = connect(&url, &editor, fleet.id).await;
    let mut viewer_ws = connect(&url, &viewer, fleet.id).await;
    for socket in [&mut editor_ws, &mut viewer_ws] {
        send(socket, "1", "subscription { readings { value } }").await;
    }
    let bus = EventBus::redis(REDIS, &platform.channel).await.unwrap();
    readings_flow(&bus, fleet.id, &mut [&mut editor_ws, &mut viewer_ws]).await;
    let rename = format!(
        "mutation {{ updateGateway(id: \"{gateway}\", input: {{name: \"renamed\"}}) {{ name }} }}"
    );
    let reply = run(&mut editor_ws, "edit-0", &rename).await;
    assert_eq!(reply["data"]["updateGateway"]["name"], "renamed");

    // Demoted to VIEWER: the open connection may no longer edit …
    let id = admin.member_id("editor@x.example").await;
    admin
        .run(
            "mutation($id: ID!) { changeMemberRole(memberId: $id, role: VIEWER) { role } }",
            json!({"id": id}),
        )
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut n = 0;
    loop {
        n += 1;
        let reply = run(&mut editor_ws, &format!("edit-{n}"), &rename).await;
        if code(&reply) == "FORBIDDEN" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a demoted editor still edits over an open connection: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // … but still watches readings, which a VIEWER may.
    readings_flow(&bus, fleet.id, &mut [&mut editor_ws]).await;

    // Removed: the subscription ends at once, and nothing else works on the connection.
    let id = admin.member_id("viewer@x.example").await;
    admin
        .run(
            "mutation($id: ID!) { removeMember(memberId: $id) }",
            json!({"id": id}),
        )
        .await;
    ends_with(&mut viewer_ws, "FORBIDDEN").await;
    let reply = run(&mut viewer_ws, "q", "{ gateways { nodes { id } } }").await;
    assert_eq!(code(&reply), "NOT_FOUND", "{reply}");

    // The licence switched off by an operator ends the remaining subscription.
    let (_, root_token) = platform.user("root@x.example", true).await;
    let root = Admin {
        token: root_token,
        ..admin
    };
    root.run(
        "mutation($id: ID!) { setAccountActive(id: $id, active: false) { isActive } }",
        json!({"id": fleet.id.to_string()}),
    )
    .await;
    ends_with(&mut editor_ws, "LICENCE_EXPIRED").await;
    platform.forget().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_are_rechecked_periodically_and_when_their_token_expires() {
    let platform = Platform::new().await;
    let (fleet, _) = seed_fleet(&platform.db.db, "UTC", 0x62, 1, 1, false).await;
    let bus = EventBus::redis(REDIS, &platform.channel).await.unwrap();

    // A user switched off in the database, with nobody announcing it: the periodic
    // re-check (1 s here) ends the subscription.
    let url = platform.replica(Duration::from_secs(1)).await;
    let token = platform
        .member(fleet.id, "quiet@x.example", Role::Viewer)
        .await;
    let mut socket = connect(&url, &token, fleet.id).await;
    send(&mut socket, "1", "subscription { readings { value } }").await;
    readings_flow(&bus, fleet.id, &mut [&mut socket]).await;
    let quiet = accounts::find_user_by_email(
        &platform.db.db,
        &tds_domain::values::Email::parse("quiet@x.example").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let mut off: user::ActiveModel = quiet.into();
    off.is_active = Set(false);
    off.update(&platform.db.db).await.unwrap();
    ends_with(&mut socket, "UNAUTHENTICATED").await;

    // A token that expires in two seconds on a replica that would re-check only hourly.
    let url = platform.replica(Duration::from_secs(3600)).await;
    let short = platform
        .member(fleet.id, "short@x.example", Role::Viewer)
        .await;
    let short_user = platform.keys.verify(&short).unwrap();
    let (expiring, expires_at) = platform
        .keys
        .issue(
            short_user,
            Utc::now() - chrono::Duration::hours(1) + chrono::Duration::seconds(2),
        )
        .unwrap();
    let mut socket = connect(&url, &expiring, fleet.id).await;
    send(&mut socket, "1", "subscription { readings { value } }").await;
    readings_flow(&bus, fleet.id, &mut [&mut socket]).await;
    ends_with(&mut socket, "UNAUTHENTICATED").await;
    assert!(Utc::now() >= expires_at);
    platform.forget().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_messages_have_the_body_cap() {
    let platform = Platform::new().await;
    let url = platform.replica(Duration::from_secs(60)).await;
    let (_, token) = platform.user("big@x.example", false).await;
    let mut socket = connect(&url, &token, Uuid::now_v7()).await;
    let ping = |size: usize| {
        let empty = json!({"type": "ping", "payload": {"pad": ""}}).to_string();
        let pad = "x".repeat(size - empty.len());
        json!({"type": "ping", "payload": {"pad": pad}}).to_string()
    };
    let at_cap = ping(tds_api::MAX_BODY_BYTES);
    assert_eq!(at_cap.len(), tds_api::MAX_BODY_BYTES);
    socket.send(Message::text(at_cap)).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "pong");

    let over = ping(tds_api::MAX_BODY_BYTES + 1);
    let (mut sink, mut stream) = socket.split();
    // Sent alongside reading, in case the server closes before taking the whole message.
    let sending = tokio::spawn(async move { sink.send(Message::text(over)).await });
    let close = tokio::time::timeout(WAIT, async {
        while let Some(message) = stream.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame,
                Ok(_) => continue,
                Err(e) => panic!("connection failed before a close frame: {e}"),
            }
        }
        panic!("connection ended without a close frame")
    })
    .await
    .expect("closed in time")
    .expect("a close frame");
    assert_eq!(close.code, CloseCode::Size);
    assert_eq!(u16::from(close.code), tds_api::CLOSE_TOO_BIG);
    assert!(close.reason.contains("1048576 bytes"), "{}", close.reason);
    let _ = sending.await;
    platform.forget().await;
}

//! GraphQL over HTTP as the specification and the common clients have it, against the
//! router without a port: media types and status codes, queries over GET (never
//! mutations), what caches may keep, automatic persisted queries over POST and GET, and
//! CORS from the allowlist with WebSockets from other origins refused.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tds_api::{CorsPolicy, HttpOptions};
use tds_testkit::{Backend, TestApi};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

fn post(body: &Value, accept: Option<&str>, token: Option<&str>) -> Request<Body> {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(accept) = accept {
        builder = builder.header("accept", accept);
    }
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// `GET /graphql` with `params` in the query string (JSON values as JSON text).
fn get(params: &[(&str, String)], token: Option<&str>) -> Request<Body> {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut builder = Request::get(format!("/graphql?{query}"))
        .header("accept", "application/graphql-response+json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Body::empty()).unwrap()
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

fn code(answer: &Answer) -> &str {
    answer.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_types_and_status_codes_follow_graphql_over_http() {
    let api = TestApi::new(Backend::Sqlite).await;
    let app = tds_api::router(api.state.clone());
    let ok = json!({"query": "{ __typename }"});
    const NEW: &str = "application/graphql-response+json";

    // The type the client accepts; application/json without Accept or through */*.
    for (accept, content_type) in [
        (Some(NEW), NEW),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
    ] {
        let answer = send(&app, post(&ok, accept, None)).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with(content_type),
            "{accept:?}: {:?}",
            answer.headers
        );
        assert_eq!(answer.body["data"]["__typename"], "QueryRoot");
    }
    let answer = send(&app, post(&ok, Some("text/html"), None)).await;
    assert_eq!(answer.status, StatusCode::NOT_ACCEPTABLE);

    // A document that never runs: 400 and no data in the new type, 200 in the old one;
    // still VALIDATION either way.
    for query in ["{", "{ noSuchField }"] {
        let body = json!({"query": query});
        let answer = send(&app, post(&body, Some(NEW), None)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
        assert_eq!(code(&answer), "VALIDATION");
        let answer = send(&app, post(&body, Some("application/json"), None)).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}");
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
    }
    let coercion = json!({"query": "query Q($id: ID!) { __typename }", "variables": {"id": null}});
    let answer = send(&app, post(&coercion, Some(NEW), None)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    // An error while executing is a GraphQL answer: 200 with data.
    let answer = send(
        &app,
        post(&json!({"query": "{ me { id } }"}), Some(NEW), None),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(code(&answer), "UNAUTHENTICATED");
    assert!(answer.body.get("data").is_some());

    // Requests that are not well formed: 400 naming the parameter, 415 without JSON.
    for (body, field) in [
        (json!({"qeury": "{ __typename }"}), "query"),
        (json!({"query": ["{ __typename }"]}), "query"),
        (
            json!({"query": "{ __typename }", "variables": "x"}),
            "variables",
        ),
        (
            json!({"query": "{ __typename }", "operationName": 0}),
            "operationName",
        ),
        (
            json!({"query": "{ __typename }", "extensions": false}),
            "extensions",
        ),
    ] {
        let answer = send(&app, post(&body, None, None)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["errors"][0]["extensions"]["field"], field);
        assert_eq!(code(&answer), "VALIDATION");
    }
    let bare = Request::post("/graphql")
        .body(Body::from(ok.to_string()))
        .unwrap();
    let answer = send(&app, bare).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(code(&answer), "VALIDATION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_queries_only_and_tells_caches_what_they_may_keep() {
    let api = TestApi::new(Backend::Sqlite).await;
    let ana = api.user("ana@x.example", false).await;
    let (_, ana) = api.account("Acme", &ana).await;
    let app = tds_api::router_with(
        api.state.clone(),
        Default::default(),
        HttpOptions {
            get_max_age: Duration::from_secs(30),
            ..HttpOptions::default()
        },
    );

    let query = "query Type($name: String!) { __type(name: $name) { name } }";
    let params = [
        ("query", query.to_owned()),
        ("variables", json!({"name": "Device"}).to_string()),
        ("operationName", "Type".to_owned()),
    ];
    let answer = send(&app, get(&params, None)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["data"]["__type"]["name"], "Device");
    assert_eq!(answer.header("cache-control"), Some("public, max-age=30"));
    assert!(answer.header("vary").unwrap().contains("Authorization"));

    // With credentials, only the caller's browser may keep it; an error, nobody.
    let me = [("query", "{ me { email } }".to_owned())];
    let answer = send(&app, get(&me, Some(&ana.token))).await;
    assert_eq!(answer.body["data"]["me"]["email"], "ana@x.example");
    assert_eq!(answer.header("cache-control"), Some("private, max-age=30"));
    let answer = send(&app, get(&me, None)).await;
    assert_eq!(code(&answer), "UNAUTHENTICATED");
    assert_eq!(answer.header("cache-control"), Some("no-store"));

    // Never a mutation: 405, and nothing ran.
    let login = [(
        "query",
        "mutation { login(email: \"ana@x.example\", password: \"password123\") { token } }"
            .to_owned(),
    )];
    let answer = send(&app, get(&login, None)).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header("allow"), Some("POST"));
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    let two =
        "query Q { __typename } mutation M { login(email: \"a@b.c\", password: \"x\") { token } }";
    let answer = send(
        &app,
        get(
            &[("query", two.to_owned()), ("operationName", "M".to_owned())],
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let answer = send(
        &app,
        get(
            &[("query", two.to_owned()), ("operationName", "Q".to_owned())],
            None,
        ),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);

    // A plain GET is still GraphiQL.
    let page = app
        .clone()
        .oneshot(Request::get("/graphql").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persisted_queries_register_then_hit_over_post_and_get() {
    let api = TestApi::new(Backend::Sqlite).await;
    let ana = api.user("ana@x.example", false).await;
    let (_, ana) = api.account("Acme", &ana).await;
    let app = tds_api::router(api.state.clone());
    let token = Some(ana.token.as_str());

    // POST: unknown hash, then query and hash to register, then the hash alone.
    let query = "query Me { me { email } }";
    let hash = sha256(query);
    let hash_only = json!({"extensions": persisted(&hash), "operationName": "Me"});
    for accept in ["application/graphql-response+json", "application/json"] {
        let answer = send(&app, post(&hash_only, Some(accept), token)).await;
        // As Apollo Server answers it: the clients look for it in a 200.
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(
            answer.body["errors"][0]["message"],
            "PersistedQueryNotFound"
        );
    }
    let register = json!({"query": query, "extensions": persisted(&hash)});
    let answer = send(&app, post(&register, None, token)).await;
    assert_eq!(answer.body["data"]["me"]["email"], "ana@x.example");
    let answer = send(&app, post(&hash_only, None, token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"]["me"]["email"], "ana@x.example");

    // A hash that is not the query's registers nothing.
    let forged =
        json!({"query": "{ __typename }", "extensions": persisted(&sha256("{ me { id } }"))});
    let answer = send(&app, post(&forged, None, token)).await;
    assert!(
        answer.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sha")
    );

    // GET: the same three steps, with variables and the operation name in the URL.
    let query = "query Type($name: String!) { __type(name: $name) { name kind } }";
    let hash = sha256(query);
    let by_hash = [
        ("extensions", persisted(&hash).to_string()),
        ("variables", json!({"name": "Gateway"}).to_string()),
        ("operationName", "Type".to_owned()),
    ];
    let answer = send(&app, get(&by_hash, None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let mut with_query = by_hash.to_vec();
    with_query.push(("query", query.to_owned()));
    let answer = send(&app, get(&with_query, None)).await;
    assert_eq!(answer.body["data"]["__type"]["name"], "Gateway");
    let answer = send(&app, get(&by_hash, None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"]["__type"]["kind"], "OBJECT");
    assert_eq!(answer.header("cache-control"), Some("public, max-age=0"));
    let answer = send(&app, get(&by_hash, token)).await;
    assert_eq!(answer.header("cache-control"), Some("private, max-age=0"));

    // A persisted mutation is no more allowed over GET than a written one.
    let mutation =
        "mutation { login(email: \"ana@x.example\", password: \"password123\") { token } }";
    let hash = sha256(mutation);
    let register = json!({"query": mutation, "extensions": persisted(&hash)});
    send(&app, post(&register, None, token)).await;
    let answer = send(
        &app,
        get(&[("extensions", persisted(&hash).to_string())], token),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_allowed_origins_and_sockets_from_others_are_refused() {
    let api = TestApi::new(Backend::Sqlite).await;
    let app = "https://app.example.com";
    let options = HttpOptions {
        cors: CorsPolicy::new(&[app.to_owned()], Duration::from_secs(600)).unwrap(),
        ..HttpOptions::default()
    };
    let router = tds_api::router_with(api.state.clone(), Default::default(), options);
    let preflight = |origin: &str| {
        Request::options("/graphql")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,x-account-id,content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let answer = send(&router, preflight(app)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("access-control-allow-origin"), Some(app));
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    let allowed = answer.header("access-control-allow-headers").unwrap();
    assert!(allowed.contains("x-account-id"), "{allowed}");
    let answer = send(&router, preflight("https://evil.example")).await;
    assert_eq!(answer.header("access-control-allow-origin"), None);

    let socket = |origin: &str| {
        Request::get("/graphql")
            .header("host", "api.example.com")
            .header("origin", origin)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-protocol", "graphql-transport-ws")
            .body(Body::empty())
            .unwrap()
    };
    let answer = send(&router, socket("https://evil.example")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(code(&answer), "FORBIDDEN");

    // Without an allowlist: no CORS headers at all, and only the api's own origin.
    let plain = tds_api::router(api.state.clone());
    let answer = send(&plain, preflight(app)).await;
    assert_eq!(answer.header("access-control-allow-origin"), None);
    let answer = send(&plain, socket(app)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = send(&plain, socket("http://api.example.com")).await;
    assert_ne!(answer.status, StatusCode::FORBIDDEN);
}

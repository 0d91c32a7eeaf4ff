//! Query limits as a client meets them: lists count as their size, data queries are held
//! to depth and complexity, and the tooling's introspection query passes on a budget of
//! its own (or is switched off).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use serde_json::{Value, json};
use tds_testkit::{Backend, Caller, TestApi};

/// The fixture: `getIntrospectionQuery()` of graphql-js with every option on, as printed by
/// graphql 16.15 (and 17.1, the same text).
const STANDARD_INTROSPECTION: &str = tds_graphql::STANDARD_INTROSPECTION_QUERY;

async fn signed_in(api: &TestApi) -> Caller {
    let a = api.user("a@x.example", false).await;
    api.account("A", &a).await.1
}

fn message(r: &tds_testkit::Gql) -> String {
    r.errors[0]["message"].as_str().unwrap().to_lowercase()
}

/// A data query as deep as the standard introspection query: 15 fields.
fn deep_data() -> String {
    let mut inner = String::from("code");
    for level in 0..6 {
        inner = format!("devices {{ gateway {{ {inner} }} }}");
        if level == 5 {
            inner = format!("gateways(first: 1) {{ nodes {{ {inner} }} }}");
        }
    }
    format!("{{ {inner} }}")
}

#[tokio::test]
async fn standard_introspection_query_passes_while_data_of_its_depth_does_not() {
    let api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;

    // Before signing in, as GraphiQL and codegen do, and signed in.
    for caller in [None, Some(&a)] {
        let r = api.run(caller, STANDARD_INTROSPECTION, json!({})).await;
        let schema = &r.ok()["__schema"];
        assert_eq!(schema["queryType"]["name"], "QueryRoot");
        let types = schema["types"].as_array().unwrap();
        let gateway = types.iter().find(|t| t["name"] == "Gateway").unwrap();
        assert!(
            gateway["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == "devices"),
            "{gateway}"
        );
        // The deepest TypeRef level is answered, not cut: `[Gateway!]!` unwraps fully.
        let mutation = types.iter().find(|t| t["name"] == "QueryRoot").unwrap();
        let accounts = mutation["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "accounts")
            .unwrap();
        assert_eq!(
            accounts["type"]["ofType"]["ofType"]["ofType"]["name"],
            "Account"
        );
    }

    let deep = deep_data();
    assert_eq!(
        deep.matches('{').count(),
        15,
        "14 nested selections and the leaf: {deep}"
    );
    let r = api.run(Some(&a), &deep, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(message(&r).contains("nested too deep"), "{:?}", r.errors);

    // Introspection does not lend its budget to data asked for in the same document.
    let mixed = format!(
        "{{ __schema {{ types {{ name }} }} {} }}",
        &deep[1..deep.len() - 1]
    );
    let r = api.run(Some(&a), &mixed, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(message(&r).contains("nested too deep"), "{:?}", r.errors);
    let wide = "{ __schema { queryType { name } } gateways(first: 100) { nodes { devices { gateway { devices { gateway { devices { id code name } } } } } } } }";
    let r = api.run(Some(&a), wide, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(message(&r).contains("too complex"), "{:?}", r.errors);

    // A small data query beside introspection is fine.
    let r = api
        .run(
            Some(&a),
            "{ __type(name: \"Gateway\") { name } gateways { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["__type"]["name"], "Gateway");
}

#[tokio::test]
async fn introspection_has_a_budget_of_its_own() {
    let api = TestApi::new(Backend::Sqlite).await;
    // Lists nested below the standard query's shape multiply the answer: every type's
    // fields' types' fields' types' fields' arguments.
    let explosive = "{ __schema { types { fields { type { fields { type { fields { args { name } } } } } } } } }";
    let r = api.run(None, explosive, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        message(&r).contains("introspection is too complex"),
        "{:?}",
        r.errors
    );
    // So do copies of the standard query past the budget.
    let body = STANDARD_INTROSPECTION
        .split_once("query IntrospectionQuery {")
        .unwrap()
        .1;
    let (copy, fragments) = body.split_once("fragment FullType").unwrap();
    let copy = copy.trim().trim_end_matches('}').trim();
    let twice = format!("{{ a: {copy} b: {copy} }} fragment FullType{fragments}");
    let r = api.run(None, &twice, json!({})).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let copies = format!("{{ a: {copy} b: {copy} c: {copy} }} fragment FullType{fragments}");
    let r = api.run(None, &copies, json!({})).await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        message(&r).contains("introspection is too complex"),
        "{:?}",
        r.errors
    );
    // TypeRef chains far deeper than any wrapping are refused too.
    let mut chain = String::from("name");
    for _ in 0..25 {
        chain = format!("ofType {{ {chain} }}");
    }
    let r = api
        .run(
            None,
            &format!("{{ __type(name: \"Gateway\") {{ {chain} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "VALIDATION");
    assert!(
        message(&r).contains("introspection is nested too deep"),
        "{:?}",
        r.errors
    );
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let mut api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;
    api.schema = tds_graphql::build_schema(tds_graphql::ApiState {
        introspection: false,
        ..api.state.clone()
    });
    for query in [
        STANDARD_INTROSPECTION,
        "{ __type(name: \"Gateway\") { name fields { name } } }",
    ] {
        let r = api.run(Some(&a), query, json!({})).await;
        let answered = r.data.get("__schema").or_else(|| r.data.get("__type"));
        assert!(
            !r.errors.is_empty() || answered.is_none_or(Value::is_null),
            "introspection answered while switched off: {}",
            r.data
        );
        assert!(!r.data.to_string().contains("Gateway"), "{}", r.data);
    }
    // Data queries and __typename still work.
    let r = api
        .run(
            Some(&a),
            "{ __typename gateways { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(r.ok()["__typename"], "QueryRoot");
}

/// Every query field taking `first` or `limit`, read from the schema.
async fn sized_lists(api: &TestApi) -> Vec<Value> {
    let r = api
        .run(
            None,
            &format!("{{ __schema {{ queryType {{ fields {{ name args {{ name {TYPE_REF} }} {TYPE_REF} }} }} }} }}"),
            json!({}),
        )
        .await;
    r.ok()["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["args"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["name"] == "first" || a["name"] == "limit")
        })
        .cloned()
        .collect()
}

fn named(t: &Value) -> &str {
    assert!(!t.is_null(), "type wrapped deeper than the query asked");
    t["name"].as_str().unwrap_or_else(|| named(&t["ofType"]))
}

const TYPE_REF: &str =
    "type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// A value of a required argument's type, just to make the document valid.
fn placeholder(t: &Value) -> &'static str {
    match named(t) {
        "ID" => "\"00000000-0000-0000-0000-000000000000\"",
        "DateTime" => "\"2026-01-01T00:00:00Z\"",
        "Int" => "1",
        "String" => "\"x\"",
        "Boolean" => "true",
        "Granularity" => "DAY",
        other => panic!("no placeholder for a required {other}: add one"),
    }
}

/// Each list sized by `first` or `limit` counts as its size: one item made to cost 201
/// passes once and is refused a hundred times, for every such field of the schema.
#[tokio::test]
async fn every_sized_list_counts_its_size() {
    let api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;
    let fields = sized_lists(&api).await;
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    for expected in [
        "gateways",
        "devices",
        "readings",
        "deadLetters",
        "certificateRenewals",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for field in &fields {
        let name = field["name"].as_str().unwrap();
        let size_arg = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "first" || a["name"] == "limit")
            .unwrap()["name"]
            .as_str()
            .unwrap();
        let required: String = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"]["kind"] == "NON_NULL" && a["name"] != size_arg)
            .map(|a| {
                format!(
                    "{}: {}, ",
                    a["name"].as_str().unwrap(),
                    placeholder(&a["type"])
                )
            })
            .collect();
        // One item of 201 scalars (`__typename` would cost nothing).
        let item_type = named(&field["type"]).to_owned();
        let r = api
            .run(
                None,
                &format!("{{ __type(name: \"{item_type}\") {{ fields {{ name {TYPE_REF} }} }} }}"),
                json!({}),
            )
            .await;
        let item_fields = r.ok()["__type"]["fields"].as_array().unwrap().clone();
        let (wrapper, scalar) = match item_fields.iter().find(|f| f["name"] == "nodes") {
            Some(nodes) => {
                let node = named(&nodes["type"]).to_owned();
                let r = api
                    .run(
                        None,
                        &format!("{{ __type(name: \"{node}\") {{ fields {{ name }} }} }}"),
                        json!({}),
                    )
                    .await;
                let first = r.ok()["__type"]["fields"][0]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                (Some("nodes"), first)
            }
            None => (None, item_fields[0]["name"].as_str().unwrap().to_owned()),
        };
        let aliases: String = (0..201).map(|i| format!("a{i}: {scalar} ")).collect();
        let item = match wrapper {
            Some(w) => format!("{w} {{ {aliases} }}"),
            None => aliases,
        };
        let query = |size: i32| format!("{{ {name}({required}{size_arg}: {size}) {{ {item} }} }}");
        let r = api.run(Some(&a), &query(100), json!({})).await;
        assert_eq!(r.code(), "VALIDATION", "{name}: {:?}", r.errors);
        assert!(
            message(&r).contains("too complex"),
            "{name}({size_arg}: 100) with 201-field items must be refused: {:?}",
            r.errors
        );
        let r = api.run(Some(&a), &query(1), json!({})).await;
        assert!(
            r.errors
                .iter()
                .all(|e| !e["message"].as_str().unwrap().contains("complex")),
            "{name}({size_arg}: 1) is not too complex: {:?}",
            r.errors
        );
    }
}

/// A consumption series is as long as its range: a century of hours is refused, a year of
/// days for the most devices is not.
#[tokio::test]
async fn consumption_ranges_are_bounded() {
    let api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;
    let q = "query($ids: [ID!]!, $g: Granularity!, $to: DateTime!) { consumption(deviceIds: $ids, from: \"2000-01-01T00:00:00Z\", to: $to, granularity: $g) { points { count } } }";
    let one = json!(["00000000-0000-0000-0000-000000000000"]);
    let r = api
        .run(
            Some(&a),
            q,
            json!({"ids": one, "g": "HOUR", "to": "2100-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("VALIDATION", Some("to")),
        "{:?}",
        r.errors
    );
    let many: Vec<String> = (0..1000)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    let r = api
        .run(
            Some(&a),
            q,
            json!({"ids": many, "g": "DAY", "to": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        r.code(),
        "NOT_FOUND",
        "within the bound, the devices are looked up: {:?}",
        r.errors
    );
}

/// An oversized `first` is the resolver's VALIDATION on `first`, not a complexity error.
#[tokio::test]
async fn page_size_caps_stay() {
    let api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;
    for query in [
        "{ gateways(first: 1000) { nodes { id } } }",
        "{ deadLetters(first: 1000) { nodes { id } } }",
        "{ certificateRenewals(first: 1000) { nodes { id } } }",
    ] {
        let r = api.run(Some(&a), query, json!({})).await;
        assert_eq!(
            (r.code(), r.field()),
            ("VALIDATION", Some("first")),
            "{query}"
        );
    }
}

/// Fragments spreading themselves are refused, not followed.
#[tokio::test]
async fn fragment_cycles_are_refused() {
    let api = TestApi::new(Backend::Sqlite).await;
    let a = signed_in(&api).await;
    for query in [
        "{ ...A } fragment A on QueryRoot { ...A }",
        "{ __schema { types { ...T } } } fragment T on __Type { name fields { type { ...T } } }",
    ] {
        let r = api.run(Some(&a), query, json!({})).await;
        assert_eq!(r.code(), "VALIDATION", "{query}: {:?}", r.errors);
    }
}

//! The parameters of a GraphQL-over-HTTP request, from a POST body or a GET query
//! string, checked before anything runs: a malformed request is a 400, not a GraphQL
//! error inside a 200.

use serde_json::{Map, Value};

/// Why a request is not a well-formed GraphQL-over-HTTP request (400).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParamsError {
    /// The POST body is empty.
    #[error("the request body is empty; send {{\"query\": \"…\"}}")]
    EmptyBody,
    /// The POST body is not JSON.
    #[error("the request body is not JSON: {0}")]
    BodyNotJson(serde_json::Error),
    /// The POST body is JSON, but not an object.
    #[error("the request body must be a JSON object")]
    BodyNotAnObject,
    /// `query` is absent and no persisted query stands for it.
    #[error("`query` is missing")]
    MissingQuery,
    /// A parameter that must be a string is not.
    #[error("`{0}` must be a string")]
    NotAString(&'static str),
    /// A parameter that must be a map is not (or, in a query string, is not JSON of one).
    #[error("`{0}` must be a JSON object")]
    NotAMap(&'static str),
}

impl ParamsError {
    /// The parameter at fault, as VALIDATION's `field`.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            ParamsError::EmptyBody | ParamsError::BodyNotJson(_) | ParamsError::BodyNotAnObject => {
                "body"
            }
            ParamsError::MissingQuery => "query",
            ParamsError::NotAString(name) | ParamsError::NotAMap(name) => name,
        }
    }
}

/// The parameters of a POST body (`application/json`).
pub(crate) fn from_body(body: &[u8]) -> Result<async_graphql::Request, ParamsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParamsError::EmptyBody);
    }
    match serde_json::from_slice(body).map_err(ParamsError::BodyNotJson)? {
        Value::Object(params) => request(params),
        _ => Err(ParamsError::BodyNotAnObject),
    }
}

/// The parameters of a GET query string, where `variables` and `extensions` are JSON
/// text.
pub(crate) fn from_query_string(query: &str) -> Result<async_graphql::Request, ParamsError> {
    let mut params = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = match key.as_ref() {
            "query" | "operationName" => Value::String(value.into_owned()),
            name @ ("variables" | "extensions") => {
                let name = if name == "variables" {
                    "variables"
                } else {
                    "extensions"
                };
                serde_json::from_str(&value).map_err(|_| ParamsError::NotAMap(name))?
            }
            _ => continue,
        };
        params.insert(key.into_owned(), value);
    }
    request(params)
}

/// Whether a GET query string asks for GraphQL at all (otherwise GET is GraphiQL's).
pub(crate) fn names_graphql(query: &str) -> bool {
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(key, _)| matches!(key.as_ref(), "query" | "extensions"))
}

/// The request of checked parameters. Unknown parameters are ignored (the specification
/// leaves them to the server); `null` is the same as absent.
fn request(mut params: Map<String, Value>) -> Result<async_graphql::Request, ParamsError> {
    params.retain(|_, v| !v.is_null());
    let text = |params: &Map<String, Value>, name: &'static str| match params.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ParamsError::NotAString(name)),
    };
    let map = |params: &mut Map<String, Value>, name: &'static str| match params.remove(name) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ParamsError::NotAMap(name)),
    };
    let query = text(&params, "query")?;
    let operation_name = text(&params, "operationName")?;
    let variables = map(&mut params, "variables")?;
    let extensions = map(&mut params, "extensions")?.unwrap_or_default();
    // A persisted query's hash may stand for the text (Apollo's protocol).
    if query.is_none() && !extensions.contains_key("persistedQuery") {
        return Err(ParamsError::MissingQuery);
    }
    let mut request = async_graphql::Request::new(query.unwrap_or_default());
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = variables {
        request = request.variables(async_graphql::Variables::from_json(Value::Object(
            variables,
        )));
    }
    for (name, value) in extensions {
        // Any JSON converts (numbers and strings as they are).
        if let Ok(value) = async_graphql::Value::from_json(value) {
            request.extensions.insert(name, value);
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> &'static str {
        from_body(body.as_bytes()).err().map_or("", |e| e.field())
    }

    #[test]
    fn malformed_requests_name_the_parameter() {
        assert_eq!(field_of(""), "body");
        assert_eq!(field_of("{ \"not a JSON"), "body");
        assert_eq!(field_of("[]"), "body");
        assert_eq!(field_of(r#"{"qeury": "{ a }"}"#), "query");
        assert_eq!(field_of(r#"{"query": 0}"#), "query");
        assert_eq!(
            field_of(r#"{"query": "{ a }", "operationName": false}"#),
            "operationName"
        );
        assert_eq!(
            field_of(r#"{"query": "{ a }", "variables": "x"}"#),
            "variables"
        );
        assert_eq!(
            field_of(r#"{"query": "{ a }", "extensions": ["x"]}"#),
            "extensions"
        );
    }

    #[test]
    fn nulls_are_absent_and_a_persisted_hash_stands_for_the_query() {
        let request = from_body(
            br#"{"query": "{ a }", "variables": null, "operationName": null, "extensions": null}"#,
        )
        .expect("well formed");
        assert_eq!(request.query, "{ a }");
        let hash = r#"{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}}"#;
        let request = from_body(hash.as_bytes()).expect("well formed");
        assert!(request.extensions.contains_key("persistedQuery"));
        assert!(request.query.is_empty());
    }

    #[test]
    fn a_query_string_carries_json_variables_and_extensions() {
        let request = from_query_string(
            "query=query%20T(%24n%3A%20String!)%20%7B%20__type(name%3A%20%24n)%20%7B%20name%20%7D%20%7D&variables=%7B%22n%22%3A%22x%22%7D&operationName=T",
        )
        .expect("well formed");
        assert_eq!(request.operation_name.as_deref(), Some("T"));
        assert_eq!(request.variables.into_value().to_string(), r#"{n: "x"}"#);
        assert!(matches!(
            from_query_string("query=%7Ba%7D&variables=nope"),
            Err(ParamsError::NotAMap("variables"))
        ));
        assert!(names_graphql("query=%7Ba%7D"));
        assert!(!names_graphql("x=1"));
    }
}

//! HTTP as a user's client speaks it: curl for downloads and GraphQL over HTTP POST.

use serde_json::{Value, json};

/// What curl got: status, raw headers and body.
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }
}

pub async fn curl(args: &[&str]) -> Answer {
    let out = tokio::process::Command::new("curl")
        .args(["-s", "-i", "--max-time", "30"])
        .args(args)
        .output()
        .await
        .expect("curl runs");
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.stdout.len());
    let headers = String::from_utf8_lossy(&out.stdout[..split]).into_owned();
    let body = out.stdout.get(split + 4..).unwrap_or_default().to_vec();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn graphql(api: &str, token: &str, query: &str, variables: Value) -> Value {
    let body = json!({"query": query, "variables": variables}).to_string();
    let auth = format!("authorization: Bearer {token}");
    let url = format!("{api}/graphql");
    let mut args = vec!["-X", "POST", "-H", "content-type: application/json"];
    // No token: signed out (a login), with no authorization header at all.
    if !token.is_empty() {
        args.extend(["-H", auth.as_str()]);
    }
    args.extend(["--data-binary", body.as_str(), url.as_str()]);
    let answer = curl(&args).await;
    serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
        panic!(
            "GraphQL answer is not JSON ({e}): {} {}",
            answer.headers,
            String::from_utf8_lossy(&answer.body)
        )
    })
}

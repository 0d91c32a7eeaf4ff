//! Expensive fields (report requests, raw readings over a long stretch) are counted per
//! user and refused past the allowance with RATE_LIMITED and `retryAfter`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use serde_json::json;
use tds_domain::auth::{ExpensiveLimits, Limit};
use tds_testkit::{Backend, TestApi};

const READINGS: &str = "query($d: ID!, $from: DateTime!, $to: DateTime!) { readings(deviceId: $d, from: $from, to: $to) { value } }";
const REPORT: &str = "mutation($d: ID!) { requestReport(input: {period: DAY, deviceIds: [$d], format: PDF}) { id } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expensive_fields_are_limited_per_user_with_retry_after() {
    let mut api = TestApi::new(Backend::Sqlite).await;
    api.state.auth.expensive = ExpensiveLimits {
        per_user: Limit {
            attempts: 2,
            window: Duration::from_secs(60),
        },
        readings_days: 31,
    };
    api.schema = tds_graphql::build_schema(api.state.clone());
    let fleet = api
        .small_fleet("e.example", "02:00:00:00:0e:01", "WATER")
        .await;
    let (admin, viewer) = (&fleet.admin, &fleet.viewer);
    let day =
        json!({"d": fleet.device, "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"});
    let year =
        json!({"d": fleet.device, "from": "2025-11-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"});

    // A short stretch costs nothing, however often.
    for _ in 0..3 {
        let r = api.run(Some(admin), READINGS, day.clone()).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
    // A report and a year of readings are the two allowed; the third is refused.
    let r = api
        .run(Some(admin), REPORT, json!({"d": fleet.device}))
        .await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let r = api.run(Some(admin), READINGS, year.clone()).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let r = api
        .run(Some(admin), REPORT, json!({"d": fleet.device}))
        .await;
    assert_eq!(r.code(), "RATE_LIMITED");
    let retry_after = r.errors[0]["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let r = api.run(Some(admin), READINGS, year.clone()).await;
    assert_eq!(r.code(), "RATE_LIMITED");
    let r = api.run(Some(admin), READINGS, day).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);

    // Another user has an allowance of their own.
    let r = api.run(Some(viewer), READINGS, year).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

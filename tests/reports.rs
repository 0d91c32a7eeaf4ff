//! Reports as their users get them, from `tds` processes: readings published through the
//! broker, a report requested on one api replica and downloaded from another (with the
//! GraphQL headers, or a signed link a browser follows), and scheduled reports e-mailed
//! to a real SMTP server, attached or linked, or a failure shown on the schedule.

#![allow(clippy::unwrap_used, missing_docs)] // a failed unwrap is a failed test

mod common;

use common::http::{curl, graphql};

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use tds_domain::auth::TokenKeys;
use tds_entity::{account, membership, reading, report_schedule};
use tds_testkit::smtp::SmtpServer;
use tds_testkit::{
    Backend, TestDb, TestGateway, eventually, forget_redis_namespace, payload, publish_all,
    seed_fleet, telemetry_topic,
};
use uuid::Uuid;

const REDIS: &str = "redis://127.0.0.1:6379";
const MQTT: &str = "mqtt://127.0.0.1:1883";
const SECRET: &str = "a test secret that is long enough for tds";
const ZONE: &str = "America/Sao_Paulo";

/// One platform: ingest and workers in one `tds` process, two api processes, each
/// test on its own database, queues and event channel.
struct Platform {
    db: TestDb,
    prefix: String,
    children: Vec<Child>,
    apis: [String; 2],
    account: account::Model,
    gateway: TestGateway,
    token: String,
}

impl Drop for Platform {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Platform {
    /// `mac_prefix` is the test's own: every platform hears every gateway on the broker.
    async fn start(mac_prefix: u8, smtp: Option<&SmtpServer>, attach_max_bytes: u64) -> Self {
        let db = TestDb::migrated(Backend::Postgres).await;
        let (account, mut gateways) = seed_fleet(&db.db, ZONE, mac_prefix, 1, 2, false).await;
        let token = token_of(&db, account.id).await;
        let tag = Uuid::new_v4().simple().to_string();
        let prefix = format!("tds-test:{tag}:");
        let ports = [common::free_port(), common::free_port()];
        let apis = ports.map(|p| format!("http://127.0.0.1:{p}"));
        let env: Vec<(&str, String)> = vec![
            ("DATABASE_URL", db.url.clone()),
            ("REDIS_URL", REDIS.into()),
            ("MQTT_URL", MQTT.into()),
            ("TDS_JWT_SECRET", SECRET.into()),
            ("TDS_QUEUE", format!("{prefix}telemetry")),
            ("TDS_EVENT_CHANNEL", format!("{prefix}events")),
            ("TDS_NOTIFICATION_QUEUE", format!("{prefix}notifications")),
            ("TDS_REPORT_QUEUE", format!("{prefix}reports")),
            ("TDS_LIMITS_PREFIX", format!("{prefix}limits")),
            ("TDS_MQTT_SHARE_GROUP", format!("tds-test-{tag}")),
            ("TDS_PUBLIC_URL", apis[0].clone()),
            ("TDS_REPORT_ATTACH_MAX_BYTES", attach_max_bytes.to_string()),
            ("TDS_REPORT_SCHEDULE_S", "1".into()),
            ("TDS_LOG", "warn".into()),
        ];
        let spawn = |only: &str, instance: String, http: Option<u16>| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tds"));
            cmd.args(["serve", "--only", only])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .env("TDS_INSTANCE", instance)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit());
            if let Some(smtp) = smtp {
                cmd.env("SMTP_URL", smtp.url());
            }
            if let Some(port) = http {
                cmd.env("TDS_HTTP_ADDR", format!("127.0.0.1:{port}"));
            }
            cmd.spawn().unwrap()
        };
        let children = vec![
            spawn("ingest,workers", format!("{tag}-w"), None),
            spawn("api", format!("{tag}-a"), Some(ports[0])),
            spawn("api", format!("{tag}-b"), Some(ports[1])),
        ];
        let platform = Self {
            db,
            prefix,
            children,
            apis,
            account,
            gateway: gateways.remove(0),
            token,
        };
        for api in &platform.apis {
            let url = format!("{api}/readyz");
            eventually(Duration::from_secs(30), "the api ready", || {
                let url = url.clone();
                async move { curl(&["-s", &url]).await.status == 200 }
            })
            .await;
        }
        platform
    }

    /// Publishes a reading every hour of local `day` through the broker: the first
    /// meter climbs 10 kWh an hour, the second 5 kWh (230 and 115 kWh over the day).
    /// Published again until stored: the subscription may start after the first try, and
    /// a reading stored twice is stored once.
    async fn publish_day(&self, day: NaiveDate) {
        let start = tds_domain::reports::day_start(day, ZONE.parse().unwrap());
        let codes: Vec<String> = self
            .gateway
            .devices
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        let messages: Vec<(String, Vec<u8>)> = (0..24)
            .map(|h| {
                (
                    telemetry_topic(&self.gateway.mac),
                    payload(
                        &self.gateway.mac,
                        start + chrono::Duration::hours(h),
                        &[
                            (codes[0].as_str(), 1_000.0 + 10.0 * h as f64),
                            (codes[1].as_str(), 500.0 + 5.0 * h as f64),
                        ],
                    ),
                )
            })
            .collect();
        let end = start + chrono::Duration::days(1);
        let stored = || async {
            reading::Entity::find()
                .filter(reading::Column::AccountId.eq(self.account.id))
                .filter(reading::Column::Time.gte(start))
                .filter(reading::Column::Time.lt(end))
                .all(&self.db.db)
                .await
                .unwrap()
                .len()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            publish_all(MQTT, messages.clone()).await;
            let poll_until = tokio::time::Instant::now() + Duration::from_secs(3);
            while tokio::time::Instant::now() < poll_until {
                if stored().await >= 48 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the readings were not stored within a minute"
            );
        }
    }

    async fn graphql(&self, api: usize, token: &str, query: &str, variables: Value) -> Value {
        graphql(&self.apis[api], token, query, variables).await
    }
}

async fn token_of(db: &TestDb, account_id: Uuid) -> String {
    let member = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account_id))
        .one(&db.db)
        .await
        .unwrap()
        .unwrap();
    TokenKeys::new(SECRET.as_bytes(), chrono::Duration::hours(1))
        .issue(member.user_id, Utc::now())
        .unwrap()
        .0
}

fn sha256_hex(bytes: &[u8]) -> String {
    tds_domain::files::sha256_hex(bytes)
}

const REPORT: &str = "query($id: ID!) { report(id: $id) { id state progress fileSize sha256 \
    pages rows error downloadPath downloadUrl completedAt expiresAt } }";

/// Polls `report(id)` on `api` until DONE; fails on FAILED or after a minute.
async fn done_report(p: &Platform, api: usize, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = p.graphql(api, &p.token, REPORT, json!({"id": id})).await;
        let report = r["data"]["report"].clone();
        match report["state"].as_str() {
            Some("DONE") => return report,
            Some("FAILED") => panic!("the report failed: {report}"),
            _ => {}
        }
        assert!(tokio::time::Instant::now() < deadline, "not done: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("tds-report-{}.pdf", Uuid::new_v4().simple()));
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (apt-get install poppler-utils)");
    let _ = std::fs::remove_file(&path);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Rows, sum of values and units of the Readings sheets, read by openpyxl.
fn xlsx_readings(xlsx: &[u8]) -> (u64, f64, Vec<String>) {
    let path = std::env::temp_dir().join(format!("tds-report-{}.xlsx", Uuid::new_v4().simple()));
    std::fs::write(&path, xlsx).unwrap();
    let script = "import openpyxl,sys,json\n\
        wb=openpyxl.load_workbook(sys.argv[1],read_only=True)\n\
        rows=0;total=0.0;units=set()\n\
        sheets=[w for w in wb.worksheets if w.title.startswith(('Leituras','Readings'))]\n\
        for ws in sheets:\n\
        \x20   for r in ws.iter_rows(min_row=2,values_only=True):\n\
        \x20       rows+=1;total+=r[3];units.add(r[4])\n\
        print(json.dumps([rows,total,sorted(units)]))";
    let out = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v[0].as_u64().unwrap(),
        v[1].as_f64().unwrap(),
        v[2].as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap_or_default().to_owned())
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_requested_on_one_replica_downloads_from_another() {
    let p = Platform::start(0xd1, None, 10 << 20).await;
    let day = NaiveDate::from_ymd_opt(2026, 5, 2).unwrap();
    p.publish_day(day).await;

    // Files of this account are kept a week.
    let r = p
        .graphql(
            0,
            &p.token,
            "mutation { updateAccount(input: {reportRetentionDays: 7}) { reportRetentionDays } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["updateAccount"]["reportRetentionDays"], 7, "{r}");
    let request = "mutation($format: ReportFormat!) { requestReport(input: {period: DAY, \
        date: \"2026-05-02\", all: true, format: $format}) { id state } }";
    let pdf = p
        .graphql(0, &p.token, request, json!({"format": "PDF"}))
        .await;
    let xlsx = p
        .graphql(0, &p.token, request, json!({"format": "XLSX"}))
        .await;
    let pdf_id = pdf["data"]["requestReport"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let xlsx_id = xlsx["data"]["requestReport"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(pdf["data"]["requestReport"]["state"], "QUEUED");

    // Followed and downloaded on the other replica, with the GraphQL headers.
    let report = done_report(&p, 1, &pdf_id).await;
    assert_eq!(report["progress"], 100);
    let at = |k: &str| {
        report[k]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap()
    };
    assert_eq!(
        at("expiresAt") - at("completedAt"),
        chrono::Duration::days(7)
    );
    let path = report["downloadPath"].as_str().unwrap();
    let auth = format!("authorization: Bearer {}", p.token);
    let got = curl(&["-H", &auth, &format!("{}{path}", p.apis[1])]).await;
    assert_eq!(got.status, 200, "{}", got.headers);
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("application/pdf")
    );
    assert_eq!(
        got.header("content-disposition").as_deref(),
        Some("attachment; filename=\"consumo-2026-05-02.pdf\"")
    );
    assert_eq!(report["fileSize"].as_i64(), Some(got.body.len() as i64));
    assert_eq!(
        report["sha256"].as_str(),
        Some(sha256_hex(&got.body).as_str())
    );
    let text = pdf_text(&got.body);
    assert!(text.contains(&p.account.name), "{text}");
    for figure in ["230,00", "115,00", "345,00"] {
        assert!(text.contains(figure), "{figure} in {text}");
    }

    // The signed link works without headers, on the first replica too; a link for
    // another report, a tampered one, or no credentials at all do not.
    let url = report["downloadUrl"].as_str().unwrap();
    let linked = curl(&[&format!("{}{url}", p.apis[0])]).await;
    assert_eq!(linked.status, 200);
    assert_eq!(linked.body, got.body);
    let bare = curl(&[&format!("{}{path}", p.apis[0])]).await;
    assert_eq!(bare.status, 401);
    let tampered = curl(&[&format!("{}{}x", p.apis[0], url)]).await;
    assert_eq!(tampered.status, 401);
    let token = url.split_once("?token=").unwrap().1;
    let elsewhere = format!("{}/reports/{xlsx_id}/download?token={token}", p.apis[0]);
    assert_eq!(curl(&[&elsewhere]).await.status, 401);

    // Another account sees neither the report nor its file.
    let (other, _) = seed_fleet(&p.db.db, ZONE, 0xd5, 1, 1, false).await;
    let stranger = token_of(&p.db, other.id).await;
    let auth = format!("authorization: Bearer {stranger}");
    let theirs = curl(&["-H", &auth, &format!("{}{path}", p.apis[1])]).await;
    assert_eq!(theirs.status, 404);
    let r = p.graphql(1, &stranger, REPORT, json!({"id": pdf_id})).await;
    assert_eq!(r["errors"][0]["extensions"]["code"], "NOT_FOUND", "{r}");

    // The workbook, read by openpyxl, equals the database: rows, sum and unit.
    let report = done_report(&p, 1, &xlsx_id).await;
    let auth = format!("authorization: Bearer {}", p.token);
    let path = report["downloadPath"].as_str().unwrap();
    let got = curl(&["-H", &auth, &format!("{}{path}", p.apis[1])]).await;
    assert_eq!(got.status, 200);
    let (rows, sum, units) = xlsx_readings(&got.body);
    let stored = reading::Entity::find()
        .filter(reading::Column::AccountId.eq(p.account.id))
        .all(&p.db.db)
        .await
        .unwrap();
    assert_eq!(rows, stored.len() as u64);
    assert_eq!(report["rows"].as_u64(), Some(rows));
    let db_sum: f64 = stored.iter().map(|r| r.value).sum();
    assert!((sum - db_sum).abs() < 1e-6, "{sum} against {db_sum}");
    assert_eq!(units, ["kWh"]);
    forget_redis_namespace(REDIS, &p.prefix).await;
}

const CREATE_SCHEDULE: &str = "mutation($format: ReportFormat!, $to: [String!]!) { \
    createReportSchedule(input: {name: \"Diário\", cron: \"0 0 6 * * *\", period: DAY, \
    format: $format, all: true, recipients: $to}) { id nextRunAt } }";

const SCHEDULE: &str = "query($id: ID!) { reportSchedule(id: $id) { lastRunAt lastError \
    lastReport { id state sha256 fileSize } } }";

/// Creates a schedule of yesterday's report and makes it due now (as if its 06:00 came).
async fn due_schedule(p: &Platform, format: &str, to: &[&str]) -> String {
    let r = p
        .graphql(
            0,
            &p.token,
            CREATE_SCHEDULE,
            json!({"format": format, "to": to}),
        )
        .await;
    let id = r["data"]["createReportSchedule"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_owned();
    let row = report_schedule::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&p.db.db)
        .await
        .unwrap()
        .unwrap();
    let mut row = row.into_active_model();
    row.next_run_at = Set(Some(Utc::now() - chrono::Duration::seconds(1)));
    row.update(&p.db.db).await.unwrap();
    id
}

fn yesterday() -> NaiveDate {
    let tz: chrono_tz::Tz = ZONE.parse().unwrap();
    Utc::now().with_timezone(&tz).date_naive() - chrono::Duration::days(1)
}

/// Polls the schedule until its last report is DONE (or its run failed to send).
async fn ran(p: &Platform, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = p.graphql(0, &p.token, SCHEDULE, json!({"id": id})).await;
        let schedule = r["data"]["reportSchedule"].clone();
        if done(&schedule) {
            return schedule;
        }
        assert!(tokio::time::Instant::now() < deadline, "did not run: {r}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_report_arrives_by_email_with_its_file_attached() {
    let smtp = SmtpServer::start().await;
    let p = Platform::start(0xd2, Some(&smtp), 10 << 20).await;
    p.publish_day(yesterday()).await;
    let to = ["sindico@aurora.example", "adm@aurora.example"];
    let id = due_schedule(&p, "PDF", &to).await;

    let mails = smtp.wait_for(2, Duration::from_secs(60)).await;
    let schedule = ran(&p, &id, |s| s["lastReport"]["state"] == "DONE").await;
    assert_eq!(schedule["lastError"], Value::Null, "{schedule}");
    let sha = schedule["lastReport"]["sha256"].as_str().unwrap();
    let mut recipients: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    recipients.sort();
    assert_eq!(recipients, ["adm@aurora.example", "sindico@aurora.example"]);
    let day = yesterday().format("%d/%m/%Y").to_string();
    for mail in &mails {
        assert_eq!(mail.subject, format!("Relatório Diário — {day}"));
        assert!(mail.text.contains(&p.account.name), "{}", mail.text);
        assert_eq!(mail.attachments.len(), 1, "{mail:?}");
        let file = &mail.attachments[0];
        assert_eq!(
            file.file_name,
            format!("consumo-{}.pdf", yesterday().format("%Y-%m-%d"))
        );
        assert_eq!(file.content_type, "application/pdf");
        assert_eq!(sha256_hex(&file.content), sha, "the stored report, intact");
        assert!(pdf_text(&file.content).contains("230,00"));
    }
    forget_redis_namespace(REDIS, &p.prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_over_the_attachment_limit_is_emailed_as_a_link() {
    let smtp = SmtpServer::start().await;
    let p = Platform::start(0xd3, Some(&smtp), 1_000).await;
    p.publish_day(yesterday()).await;
    let id = due_schedule(&p, "XLSX", &["sindico@aurora.example"]).await;

    let mail = smtp.wait_for(1, Duration::from_secs(60)).await.remove(0);
    let schedule = ran(&p, &id, |s| s["lastReport"]["state"] == "DONE").await;
    assert_eq!(schedule["lastError"], Value::Null, "{schedule}");
    assert!(mail.attachments.is_empty(), "{mail:?}");
    let link = mail
        .text
        .split_whitespace()
        .find(|w| w.starts_with(&p.apis[0]) && w.contains("/download?token="))
        .unwrap_or_else(|| panic!("no link in {}", mail.text))
        .to_owned();
    assert!(mail.html.contains(&link.replace('&', "&amp;")));
    // Its recipients need no account: the link alone fetches the file, from any replica.
    let got = curl(&[&link.replace(&p.apis[0], &p.apis[1])]).await;
    assert_eq!(got.status, 200, "{}", got.headers);
    assert_eq!(
        Some(sha256_hex(&got.body).as_str()),
        schedule["lastReport"]["sha256"].as_str()
    );
    let (rows, _, units) = xlsx_readings(&got.body);
    assert_eq!((rows, units), (48, vec!["kWh".to_owned()]));
    forget_redis_namespace(REDIS, &p.prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_that_cannot_send_says_why() {
    let p = Platform::start(0xd4, None, 10 << 20).await;
    let id = due_schedule(&p, "PDF", &["sindico@aurora.example"]).await;
    let schedule = ran(&p, &id, |s| !s["lastError"].is_null()).await;
    assert_eq!(schedule["lastReport"]["state"], "DONE", "{schedule}");
    assert!(
        schedule["lastError"].as_str().unwrap().contains("SMTP_URL"),
        "{schedule}"
    );
    forget_redis_namespace(REDIS, &p.prefix).await;
}

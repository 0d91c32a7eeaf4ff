//! The demo account: a condominium with three gateways (water and gas, apartments'
//! energy, the machine room with a cold store), one user of each role, alert rules that
//! the simulated fleet trips within a minute, and a monthly report schedule.

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tds_domain::accounts::{self, NewAccount, NewUser};
use tds_domain::alerts::{RuleDraft, create_rule};
use tds_domain::auth::TokenKeys;
use tds_domain::devices::{self, DeviceDraft};
use tds_domain::gateways::{self, GatewayDraft};
use tds_domain::report_schedules::{ScheduleDraft, create_schedule};
use tds_domain::{Operator, Tenant, members};
use tds_entity::{
    AlertCondition, AlertScope, DeviceKind, GatewayStatus, Measurement, ReportFormat, ReportKind,
    ReportPeriod, Role, RollupPeriod, Severity, account, device,
};

use crate::firmware::{MeterProfile, Shape};

/// The demo account's name.
pub const ACCOUNT: &str = "Condomínio Demo";

/// A demo user and the password it signs in with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoUser {
    /// Role in the demo account.
    pub role: String,
    /// Sign-in e-mail.
    pub email: String,
    /// Password, generated at the first run and kept in the data directory.
    pub password: String,
}

/// One simulated gateway of the demo: its MAC, device codes and meter profiles.
pub struct DemoGateway {
    /// MAC (the certificate's CN).
    pub mac: String,
    /// Device codes, in payload order.
    pub codes: Vec<String>,
    /// What each device reads.
    pub meters: Vec<MeterProfile>,
}

struct Meter {
    code: &'static str,
    name: &'static str,
    kind: DeviceKind,
    unit: &'static str,
    shape: Shape,
}

struct Site {
    code: &'static str,
    mac: &'static str,
    name: &'static str,
    meters: Vec<Meter>,
}

fn register(base: f64, per_hour: f64) -> Shape {
    Shape::Register { base, per_hour }
}

fn sites() -> Vec<Site> {
    let m = |code, name, kind, unit, shape| Meter {
        code,
        name,
        kind,
        unit,
        shape,
    };
    use DeviceKind::{Energy, Gas, Temperature, Water};
    vec![
        Site {
            code: "BLOCO-A",
            mac: "02:de:00:00:00:01",
            name: "Bloco A — água e gás",
            meters: vec![
                m("D01", "Apto 101 água", Water, "m³", register(120.0, 0.020)),
                m("D02", "Apto 102 água", Water, "m³", register(95.0, 0.015)),
                m("D03", "Apto 103 água", Water, "m³", register(143.0, 0.030)),
                m("D04", "Apto 104 água", Water, "m³", register(88.0, 0.012)),
                m("D05", "Gás central", Gas, "m³", register(2310.0, 0.150)),
            ],
        },
        Site {
            code: "BLOCO-B",
            mac: "02:de:00:00:00:02",
            name: "Bloco B — energia",
            meters: vec![
                m(
                    "D01",
                    "Apto 201 energia",
                    Energy,
                    "kWh",
                    register(5400.0, 0.45),
                ),
                m(
                    "D02",
                    "Apto 202 energia",
                    Energy,
                    "kWh",
                    register(7200.0, 0.60),
                ),
                m(
                    "D03",
                    "Apto 203 energia",
                    Energy,
                    "kWh",
                    register(3100.0, 0.35),
                ),
                m(
                    "D04",
                    "Apto 204 energia",
                    Energy,
                    "kWh",
                    register(6650.0, 0.80),
                ),
            ],
        },
        Site {
            code: "CASA-MAQ",
            mac: "02:de:00:00:00:03",
            name: "Casa de máquinas",
            meters: vec![
                m("D01", "Bombas", Energy, "kWh", register(18200.0, 3.0)),
                m("D02", "Elevadores", Energy, "kWh", register(25400.0, 2.2)),
                // Starts at 9 °C, above its alert's 8 °C: the first reading raises it,
                // the swing back below resolves it half a minute later.
                m(
                    "D03",
                    "Câmara fria",
                    Temperature,
                    "°C",
                    Shape::Wave {
                        mid: 5.0,
                        swing: 4.0,
                        period_s: 180.0,
                    },
                ),
            ],
        },
    ]
}

/// What the demo needs from its account once it exists.
pub struct Seeded {
    /// The demo users (passwords from the data directory).
    pub users: Vec<DemoUser>,
    /// The fleet to simulate.
    pub gateways: Vec<DemoGateway>,
}

/// Creates the demo account, users, fleet, rules and schedule unless they exist; the
/// passwords of the first run are kept in `users_file` (0600) and read on later runs.
pub async fn ensure(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    users_file: &Path,
    interval_s: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<Seeded> {
    let existing = account::Entity::find()
        .filter(account::Column::Name.eq(ACCOUNT))
        .one(db)
        .await?;
    let users = match existing {
        Some(_) => read_users(users_file)?,
        None => {
            let users = create_account_and_users(db, keys, now).await?;
            let text = serde_json::to_string_pretty(&users)?;
            tds_certs::write_private(users_file, text.as_bytes())?;
            create_fleet(db, &users[0].email, interval_s, now).await?;
            users
        }
    };
    let gateways = sites()
        .into_iter()
        .map(|s| DemoGateway {
            mac: s.mac.to_owned(),
            codes: s.meters.iter().map(|m| m.code.to_owned()).collect(),
            meters: s
                .meters
                .iter()
                .map(|m| MeterProfile {
                    unit: m.unit,
                    shape: m.shape,
                })
                .collect(),
        })
        .collect();
    Ok(Seeded { users, gateways })
}

fn read_users(path: &Path) -> anyhow::Result<Vec<DemoUser>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "the demo account exists but {} (its passwords) is missing: remove the data \
             directory to start the demo afresh",
            path.display()
        )
    })?;
    Ok(serde_json::from_str(&text)?)
}

fn password() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|i| {
            let c = LETTERS[rng.random_range(0..LETTERS.len())] as char;
            if i > 0 && i % 4 == 0 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

async fn create_account_and_users(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<DemoUser>> {
    let operator = Operator::command_line();
    let user = |role: &str| DemoUser {
        role: role.to_owned(),
        email: format!("{}@demo.example.com", role.to_lowercase()),
        password: password(),
    };
    let admin = user("ADMIN");
    let created = accounts::create_user(
        db,
        &operator,
        NewUser {
            email: admin.email.clone(),
            password: admin.password.clone(),
            name: "Ana Admin".into(),
            is_superuser: false,
        },
        now,
    )
    .await?;
    let account = accounts::create_account(
        db,
        &operator,
        NewAccount {
            name: ACCOUNT.into(),
            timezone: Some("America/Sao_Paulo".into()),
            locale: Some("pt-BR".into()),
            ..Default::default()
        },
        created.id,
        now,
    )
    .await?;
    let tenant = operator.act_as(db, created.id, account.id).await?;
    let mut users = vec![admin];
    for (role, name) in [(Role::Editor, "Edu Editor"), (Role::Viewer, "Vera Viewer")] {
        let joiner = user(role.as_str());
        let invitation = members::invite_member(db, &tenant, &joiner.email, role, now).await?;
        members::accept_invitation(
            db,
            keys,
            None,
            &invitation.token,
            Some(name.into()),
            Some(joiner.password.clone()),
            now,
        )
        .await?;
        users.push(joiner);
    }
    Ok(users)
}

async fn create_fleet(
    db: &DatabaseConnection,
    admin_email: &str,
    interval_s: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let account = account::Entity::find()
        .filter(account::Column::Name.eq(ACCOUNT))
        .one(db)
        .await?
        .context("demo account")?;
    let admin = tds_entity::user::Entity::find()
        .filter(tds_entity::user::Column::Email.eq(admin_email))
        .one(db)
        .await?
        .context("demo admin")?;
    let tenant = Operator::command_line()
        .act_as(db, admin.id, account.id)
        .await?;
    let mut cold_store = None;
    for site in sites() {
        let gw = gateways::create_gateway(
            db,
            &tenant,
            GatewayDraft {
                code: site.code.into(),
                mac: site.mac.into(),
                name: site.name.into(),
                latitude: Some(-23.5505),
                longitude: Some(-46.6333),
                capacity: 16,
                reporting_interval_s: interval_s,
                status: GatewayStatus::Active,
            },
            now,
        )
        .await?;
        for (i, m) in site.meters.iter().enumerate() {
            let d = devices::create_device(
                db,
                &tenant,
                gw.id,
                DeviceDraft {
                    code: m.code.into(),
                    name: m.name.into(),
                    kind: m.kind,
                    unit: Some(m.unit.into()),
                    measurement: Some(match m.kind {
                        DeviceKind::Temperature => Measurement::Instant,
                        _ => Measurement::Cumulative,
                    }),
                    slave_id: i as i32 + 1,
                    register: 40_001 + i as i32 * 2,
                    conversion_factor: 1.0,
                },
                now,
            )
            .await?;
            if m.kind == DeviceKind::Temperature {
                cold_store = Some(d);
            }
        }
    }
    rules(db, &tenant, admin_email, cold_store, now).await?;
    create_schedule(
        db,
        &tenant,
        ScheduleDraft {
            name: "Consumo do mês".into(),
            cron: "0 0 7 1 * *".into(),
            kind: ReportKind::Consumption,
            period: ReportPeriod::Month,
            selection: tds_domain::reports::Selection::All,
            format: ReportFormat::Pdf,
            recipients: vec![admin_email.into()],
            enabled: true,
        },
        now,
    )
    .await?;
    Ok(())
}

async fn rules(
    db: &DatabaseConnection,
    tenant: &Tenant,
    admin_email: &str,
    cold_store: Option<device::Model>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let base = RuleDraft {
        name: String::new(),
        scope: AlertScope::All,
        device_id: None,
        gateway_id: None,
        device_kind: None,
        condition: AlertCondition::Above,
        threshold_low: None,
        threshold_high: None,
        period: None,
        silent_minutes: None,
        completeness_pct: None,
        severity: Severity::Warning,
        cooldown_s: 300,
        emails: vec![admin_email.into()],
        webhooks: vec![],
        enabled: true,
    };
    let cold_store = cold_store.context("the demo fleet has a cold store")?;
    let drafts = [
        RuleDraft {
            name: "Câmara fria acima de 8 °C".into(),
            scope: AlertScope::Device,
            device_id: Some(cold_store.id),
            threshold_high: Some(8.0),
            severity: Severity::Critical,
            ..base.clone()
        },
        RuleDraft {
            name: "Gateway sem comunicação há 5 minutos".into(),
            condition: AlertCondition::GatewaySilent,
            silent_minutes: Some(5),
            ..base.clone()
        },
        RuleDraft {
            name: "Água: mais de 1 m³ num dia".into(),
            scope: AlertScope::DeviceKind,
            device_kind: Some(DeviceKind::Water),
            condition: AlertCondition::ConsumptionAbove,
            period: Some(RollupPeriod::Day),
            threshold_high: Some(1.0),
            severity: Severity::Info,
            ..base
        },
    ];
    for draft in drafts {
        create_rule(db, tenant, draft, now).await?;
    }
    Ok(())
}

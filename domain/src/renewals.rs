//! Over-the-air certificate renewal (ADR-004, SPEC §3) as plain functions over the
//! database. The worker owns the MQTT side (it publishes what these functions return and
//! feeds them what gateways answer); everything that decides is here, with the clock
//! passed in, so a test can live through many nights in a second.
//!
//! Life of a renewal:
//! `SCHEDULED` (picked by the night or by "renew now") → the update goes out on the
//! retained `cert_update` topic (server key: the successor and its key; CSR: a request
//! for a CSR, then the successor signed from it) → `PUBLISHED` → the gateway acks
//! `applied` (`APPLIED`: successor ACTIVE, predecessor SUPERSEDED and revoked) or
//! `rolled_back` (`ROLLED_BACK`), or stays silent until the deadline (`TIMED_OUT`); a
//! refused CSR or an unconfirmed publication ends `FAILED`. Whatever does not end in
//! `APPLIED` revokes the unused successor and leaves the predecessor ACTIVE, so it is
//! picked again on a later night. Once a successor exists the platform never takes it
//! back before the deadline: the gateway may already be using it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tds_certs::{Algorithm, CertificateAuthority};
use tds_entity::{
    CertificatePurpose, CertificateStatus, GatewayStatus, KeyAlgorithm, RenewalMode, RenewalState,
    RenewalStep, RenewalTrigger, Role, certificate, certificate_renewal, certificate_renewal_step,
    gateway, renewal_run,
};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Hours after its time during which a night that did not run may still run.
pub const CATCH_UP_HOURS: i64 = 4;
use crate::page::{Page, PageRequest};
use crate::tenant::Tenant;

/// When and how much to renew; from the settings.
#[derive(Debug, Clone)]
pub struct RenewalPolicy {
    /// Local time of the nightly run (02:00).
    pub at: NaiveTime,
    /// Time zone of the platform.
    pub timezone: Tz,
    /// Most renewals one night schedules (10).
    pub batch: u64,
    /// Certificates expiring within this many days are due (730).
    pub horizon_days: i64,
    /// How long a gateway has to acknowledge before the renewal times out.
    pub ack_window: chrono::Duration,
}

impl Default for RenewalPolicy {
    /// The defaults of the settings: 02:00 America/Sao_Paulo, 10 a night, 730 days, 24 h.
    fn default() -> Self {
        Self::from_settings(&crate::config::Settings::default())
            .unwrap_or_else(|e| unreachable!("default settings are valid: {e}"))
    }
}

impl RenewalPolicy {
    /// The policy of the settings, checked.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, String> {
        let at = NaiveTime::parse_from_str(&settings.renewal_at, "%H:%M")
            .map_err(|_| format!("TDS_RENEWAL_AT '{}': expected HH:MM", settings.renewal_at))?;
        let timezone = crate::values::parse_timezone(&settings.timezone)?;
        if settings.renewal_batch == 0 {
            return Err("TDS_RENEWAL_BATCH must be at least 1".into());
        }
        if settings.renewal_ack_window_s < 60 {
            return Err("TDS_RENEWAL_ACK_WINDOW_S must be at least 60".into());
        }
        // At or beyond the validity every fresh successor would be due again at once.
        if !(1..tds_certs::GATEWAY_VALIDITY_DAYS).contains(&settings.renewal_horizon_days) {
            return Err(format!(
                "TDS_RENEWAL_HORIZON_DAYS must be between 1 and {}",
                tds_certs::GATEWAY_VALIDITY_DAYS - 1
            ));
        }
        Ok(Self {
            at,
            timezone,
            batch: settings.renewal_batch,
            horizon_days: settings.renewal_horizon_days,
            ack_window: chrono::Duration::seconds(settings.renewal_ack_window_s as i64),
        })
    }

    /// The instant `night`'s run is due. A local time skipped by a daylight-saving jump
    /// moves to the first minute that exists; a repeated one takes its first occurrence.
    pub fn run_instant(&self, night: NaiveDate) -> DateTime<Utc> {
        let mut local = night.and_time(self.at);
        for _ in 0..180 {
            if let Some(t) = self.timezone.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(1);
        }
        Utc.from_utc_datetime(&night.and_time(self.at))
    }

    /// The night whose run is the latest one due at `now`.
    pub fn night_due(&self, now: DateTime<Utc>) -> NaiveDate {
        let today = now.with_timezone(&self.timezone).date_naive();
        if now >= self.run_instant(today) {
            today
        } else {
            today.pred_opt().unwrap_or(today)
        }
    }

    /// Whether a night that did not run (workers down at its time, database down) may still
    /// run at `now`: only within [`CATCH_UP_HOURS`] of its time, so renewals stay a night-time
    /// affair and a worker started in the afternoon waits for tonight.
    pub fn may_catch_up(&self, now: DateTime<Utc>) -> bool {
        now < self.run_instant(self.night_due(now)) + chrono::Duration::hours(CATCH_UP_HOURS)
    }

    /// The first run strictly after `now`.
    pub fn next_run_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut night = self.night_due(now);
        loop {
            night = night.succ_opt().unwrap_or(night);
            let at = self.run_instant(night);
            if at > now {
                return at;
            }
        }
    }

    /// The cron expression (seconds first) of the nightly run, in [`Self::timezone`].
    pub fn cron_expression(&self) -> String {
        use chrono::Timelike;
        format!("0 {} {} * * *", self.at.minute(), self.at.hour())
    }
}

/// What one nightly run did.
#[derive(Debug, Clone)]
pub struct NightOutcome {
    /// The run (this one, or the one that already ran this night).
    pub run: renewal_run::Model,
    /// False when the night had already run: nothing was scheduled this time.
    pub started: bool,
    /// Renewals scheduled by this call.
    pub renewals: Vec<certificate_renewal::Model>,
}

/// Runs the night due at `now` unless it already ran: schedules at most `policy.batch`
/// ACTIVE gateway certificates expiring within the horizon, one per gateway, of gateways
/// with no renewal in flight, earliest expiry first. The run row and the renewals commit
/// together, so a second call (or a second worker replica) the same night schedules nothing.
pub async fn run_night(
    db: &DatabaseConnection,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
    trigger: RenewalTrigger,
) -> DomainResult<NightOutcome> {
    let night = policy.night_due(now);
    let txn = db.begin().await?;
    let inserted = renewal_run::Entity::insert(renewal_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        night: Set(night),
        started_at: Set(now),
        scheduled: Set(0),
        trigger: Set(trigger),
    })
    .on_conflict(
        OnConflict::column(renewal_run::Column::Night)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let run = renewal_run::Entity::find()
        .filter(renewal_run::Column::Night.eq(night))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::Internal("renewal run vanished".into()))?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(NightOutcome {
            run,
            started: false,
            renewals: Vec::new(),
        });
    }
    let due = due_certificates(&txn, policy, now).await?;
    let mut renewals = Vec::with_capacity(due.len());
    for (cert, gw) in due {
        let detail = format!(
            "night {night}: expires {}",
            cert.not_after.format("%Y-%m-%d")
        );
        renewals.push(schedule(&txn, &cert, &gw, Some(run.id), None, &detail, now).await?);
    }
    let mut model: renewal_run::ActiveModel = run.into();
    model.scheduled = Set(renewals.len() as i32);
    let run = model.update(&txn).await?;
    txn.commit().await?;
    Ok(NightOutcome {
        run,
        started: true,
        renewals,
    })
}

/// Whether the night due at `now` has not run yet (a failed or missed run).
pub async fn night_pending(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    Ok(renewal_run::Entity::find()
        .filter(renewal_run::Column::Night.eq(policy.night_due(now)))
        .one(db)
        .await?
        .is_none())
}

/// Nights a certificate rests after `failures` failed renewals in a row: 1, 2, 4 … 32
/// (the first retry is the next night). A gateway offline for months then takes a slot
/// now and then, not every night.
fn rest_nights(failures: i32) -> chrono::Days {
    chrono::Days::new(1u64 << (failures - 1).clamp(0, 5))
}

/// The certificates the night picks, earliest expiry first, one per gateway, at most
/// `policy.batch`.
async fn due_certificates(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<Vec<(certificate::Model, gateway::Model)>> {
    let busy_gateways = Query::select()
        .column(certificate_renewal::Column::GatewayId)
        .from(certificate_renewal::Entity)
        .and_where(certificate_renewal::Column::State.is_in(in_flight_states()))
        .to_owned();
    // A gateway switched off does not renew; its certificate waits until it is back.
    let live_gateways = Query::select()
        .column(gateway::Column::Id)
        .from(gateway::Entity)
        .and_where(gateway::Column::Status.ne(GatewayStatus::Inactive))
        .to_owned();
    let due = certificate::Entity::find()
        .filter(certificate::Column::Purpose.eq(CertificatePurpose::Gateway))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .filter(certificate::Column::RevokedAt.is_null())
        .filter(
            certificate::Column::NotAfter.lte(now + chrono::Duration::days(policy.horizon_days)),
        )
        .filter(certificate::Column::GatewayId.not_in_subquery(busy_gateways))
        .filter(certificate::Column::GatewayId.in_subquery(live_gateways))
        .order_by_asc(certificate::Column::NotAfter)
        .order_by_asc(certificate::Column::Id);
    let mut picked = Vec::new();
    let mut gateways_seen = HashSet::new();
    // Pages, so a fleet made in one batch (every certificate due at once) costs a few
    // small queries, not one holding them all.
    const PAGE: u64 = 500;
    let mut offset = 0;
    'pages: loop {
        let certs = due.clone().limit(PAGE).offset(offset).all(db).await?;
        if certs.is_empty() {
            break;
        }
        offset += PAGE;
        let ids: Vec<Uuid> = certs.iter().map(|c| c.id).collect();
        let mut last_attempt: HashMap<Uuid, certificate_renewal::Model> = HashMap::new();
        for r in certificate_renewal::Entity::find()
            .filter(certificate_renewal::Column::OldCertificateId.is_in(ids))
            .order_by_asc(certificate_renewal::Column::Id)
            .all(db)
            .await?
        {
            last_attempt.insert(r.old_certificate_id, r);
        }
        for cert in certs {
            let Some(gateway_id) = cert.gateway_id else {
                continue;
            };
            // Counted from the night the failed attempt started, so the pauses between
            // attempts are 1, 2, 4 … nights whatever the ack window.
            let resting = last_attempt.get(&cert.id).is_some_and(|r| {
                policy.night_due(now) < policy.night_due(r.scheduled_at) + rest_nights(r.attempts)
            });
            if resting || !gateways_seen.insert(gateway_id) {
                continue;
            }
            picked.push(cert);
            if picked.len() as u64 == policy.batch {
                break 'pages;
            }
        }
    }
    let gateways = gateway::Entity::find()
        .filter(gateway::Column::Id.is_in(picked.iter().filter_map(|c| c.gateway_id)))
        .all(db)
        .await?;
    Ok(picked
        .into_iter()
        .filter_map(|c| {
            let g = gateways
                .iter()
                .find(|g| Some(g.id) == c.gateway_id)?
                .clone();
            Some((c, g))
        })
        .collect())
}

fn in_flight_states() -> [RenewalState; 2] {
    [RenewalState::Scheduled, RenewalState::Published]
}

async fn schedule(
    db: &impl ConnectionTrait,
    cert: &certificate::Model,
    gw: &gateway::Model,
    run_id: Option<Uuid>,
    requested_by: Option<Uuid>,
    detail: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let earlier = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::OldCertificateId.eq(cert.id))
        .count(db)
        .await?;
    let renewal = certificate_renewal::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(gw.account_id),
        gateway_id: Set(gw.id),
        old_certificate_id: Set(cert.id),
        new_certificate_id: Set(None),
        mode: Set(gw.renewal_mode),
        state: Set(RenewalState::Scheduled),
        attempts: Set(earlier as i32 + 1),
        scheduled_at: Set(now),
        published_at: Set(None),
        acknowledged_at: Set(None),
        completed_at: Set(None),
        error: Set(None),
        run_id: Set(run_id),
        deadline_at: Set(None),
        requested_by: Set(requested_by),
        retained_cleared_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "a renewal of this gateway's certificate is already in flight".into(),
        ),
        _ => e.into(),
    })?;
    let detail = format!(
        "{detail}; attempt {}; mode {}",
        renewal.attempts, renewal.mode
    );
    log_step(db, &renewal, RenewalStep::Scheduled, Some(&detail), now).await?;
    Ok(renewal)
}

/// Adds one entry to the renewal log.
pub async fn log_step(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    step: RenewalStep,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    certificate_renewal_step::ActiveModel {
        id: Set(Uuid::now_v7()),
        renewal_id: Set(renewal.id),
        account_id: Set(renewal.account_id),
        at: Set(now),
        step: Set(step),
        detail: Set(detail.map(|d| d.chars().take(2_000).collect())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// "Renew now" for one of the caller's gateways (EDITOR): schedules its ACTIVE
/// certificate at once; the workers publish it when told (event) or at their next poll.
pub async fn renew_now(
    db: &DatabaseConnection,
    tenant: &Tenant,
    gateway_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    tenant.require(Role::Editor)?;
    let gw = crate::gateways::get_gateway(db, tenant, gateway_id).await?;
    renew_gateway(db, &gw, Some(tenant.user_id), now).await
}

/// "Renew now" by MAC, for an operator at the command line (no account scope).
pub async fn renew_by_mac(
    db: &DatabaseConnection,
    mac: &str,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let mac = crate::values::Mac::parse(mac).map_err(|m| DomainError::invalid("mac", m))?;
    let gw = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::invalid("mac", format!("no gateway has MAC {mac}")))?;
    renew_gateway(db, &gw, None, now).await
}

async fn renew_gateway(
    db: &DatabaseConnection,
    gw: &gateway::Model,
    requested_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let txn = db.begin().await?;
    let cert = certificate::Entity::find()
        .filter(certificate::Column::GatewayId.eq(gw.id))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .filter(certificate::Column::RevokedAt.is_null())
        .order_by_desc(certificate::Column::NotAfter)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            DomainError::Conflict(format!(
                "gateway {} has no active certificate: issue one first",
                gw.code
            ))
        })?;
    if let Some(open) = in_flight_of_gateway(&txn, gw.id).await? {
        return Err(DomainError::Conflict(format!(
            "a renewal of this gateway's certificate is already in flight ({})",
            open.state
        )));
    }
    let renewal = schedule(&txn, &cert, gw, None, requested_by, "renew now", now).await?;
    txn.commit().await?;
    Ok(renewal)
}

async fn in_flight_of_gateway(
    db: &impl ConnectionTrait,
    gateway_id: Uuid,
) -> DomainResult<Option<certificate_renewal::Model>> {
    Ok(certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::GatewayId.eq(gateway_id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .one(db)
        .await?)
}

/// Topic of a gateway's (retained) certificate updates.
pub fn update_topic(mac: &str) -> String {
    format!("tds_new/devices/{mac}/cert_update")
}

/// The update a gateway receives: the seeds' firmware format (server-key mode carries
/// `private_key`; CSR mode does not).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateUpdate {
    /// Serial of the successor, hex.
    pub serial: String,
    /// End of its validity, RFC 3339.
    pub not_after: String,
    /// The successor, PEM.
    pub certificate: String,
    /// Its key, PEM (server-key mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// The CA certificate, PEM.
    pub ca: String,
}

/// What a CSR-mode gateway receives first: "send me a CSR for your next key".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CsrRequest {
    /// Always `csr_request`.
    pub action: String,
    /// The renewal it belongs to.
    pub renewal_id: Uuid,
    /// Serial of the certificate being replaced.
    pub serial: String,
}

/// A message the worker must publish retained on a gateway's `cert_update` topic.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// The renewal it belongs to.
    pub renewal: certificate_renewal::Model,
    /// `tds_new/devices/{mac}/cert_update`.
    pub topic: String,
    /// JSON payload.
    pub payload: Vec<u8>,
    /// What the worker reports once the broker confirmed it.
    pub sent: Sent,
}

/// What an [`Outbound`] carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The successor (with or without its key).
    Successor,
    /// A request for a CSR.
    CsrRequest,
}

/// Renewals scheduled and not yet handed to the broker, oldest first.
pub async fn awaiting_publication(
    db: &impl ConnectionTrait,
    limit: u64,
) -> DomainResult<Vec<certificate_renewal::Model>> {
    Ok(certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
        .filter(certificate_renewal::Column::DeadlineAt.is_null())
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

fn algorithm_of(key: KeyAlgorithm) -> Algorithm {
    match key {
        KeyAlgorithm::Rsa2048 => Algorithm::Rsa2048,
        KeyAlgorithm::P256 => Algorithm::P256,
    }
}

/// Prepares what goes out for a SCHEDULED renewal: in server-key mode a successor (same
/// key algorithm) is issued and recorded PENDING; in CSR mode a request for a CSR. The
/// deadline starts now, so from here on the renewal ends by an ack or by the clock, even
/// if the publication is lost (the successor's key exists only in the returned message).
pub async fn prepare(
    db: &DatabaseConnection,
    ca: &CertificateAuthority,
    policy: &RenewalPolicy,
    renewal_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<Outbound>> {
    let txn = db.begin().await?;
    let deadline = now + policy.ack_window;
    // Claimed by whoever sets the deadline first (another replica may be here too).
    let claimed = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::DeadlineAt,
            Expr::value(deadline),
        )
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal_id))
        .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
        .filter(certificate_renewal::Column::DeadlineAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    let renewal = certificate_renewal::Entity::find_by_id(renewal_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    if old.revoked_at.is_some() {
        // Never send a new key to the topic of a revoked (maybe compromised) identity.
        let detail = format!("certificate {} was revoked before publication", old.serial);
        finish(&txn, &renewal, RenewalState::Failed, &detail, now).await?;
        log_step(&txn, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
        txn.commit().await?;
        return Ok(None);
    }
    let mac = old.common_name.clone();
    let (payload, sent, renewal) = match renewal.mode {
        RenewalMode::ServerKey => {
            let issued = ca
                .issue_gateway(&mac, algorithm_of(old.key_algorithm), now)
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            let successor = crate::certificates::record_successor(&txn, &old, &issued, now).await?;
            let mut model: certificate_renewal::ActiveModel = renewal.into();
            model.new_certificate_id = Set(Some(successor.id));
            let renewal = model.update(&txn).await?;
            (
                update_payload(&successor, issued.key_pem.clone(), ca)?,
                Sent::Successor,
                renewal,
            )
        }
        RenewalMode::Csr => {
            let request = CsrRequest {
                action: "csr_request".into(),
                renewal_id: renewal.id,
                serial: old.serial.clone(),
            };
            (json(&request)?, Sent::CsrRequest, renewal)
        }
    };
    txn.commit().await?;
    Ok(Some(Outbound {
        renewal,
        topic: update_topic(&mac),
        payload,
        sent,
    }))
}

fn json<T: Serialize>(value: &T) -> DomainResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| DomainError::Internal(e.to_string()))
}

fn update_payload(
    successor: &certificate::Model,
    private_key: Option<String>,
    ca: &CertificateAuthority,
) -> DomainResult<Vec<u8>> {
    json(&CertificateUpdate {
        serial: successor.serial.clone(),
        not_after: successor.not_after.to_rfc3339(),
        certificate: successor.pem.clone().unwrap_or_default(),
        private_key,
        ca: ca.cert_pem().to_owned(),
    })
}

/// Records that the broker confirmed an [`Outbound`]: a successor → PUBLISHED (the
/// deadline restarts); a CSR request → logged.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    policy: &RenewalPolicy,
    outbound: &Outbound,
    now: DateTime<Utc>,
) -> DomainResult<certificate_renewal::Model> {
    let renewal = &outbound.renewal;
    match outbound.sent {
        Sent::CsrRequest => {
            log_step(
                db,
                renewal,
                RenewalStep::CsrRequested,
                Some("request for a CSR published on cert_update"),
                now,
            )
            .await?;
            Ok(renewal.clone())
        }
        Sent::Successor => {
            let done = certificate_renewal::Entity::update_many()
                .col_expr(
                    certificate_renewal::Column::State,
                    Expr::value(RenewalState::Published),
                )
                .col_expr(certificate_renewal::Column::PublishedAt, Expr::value(now))
                .col_expr(
                    certificate_renewal::Column::DeadlineAt,
                    Expr::value(now + policy.ack_window),
                )
                .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
                .filter(certificate_renewal::Column::Id.eq(renewal.id))
                .filter(certificate_renewal::Column::State.eq(RenewalState::Scheduled))
                .exec(db)
                .await?;
            let successor = match renewal.new_certificate_id {
                Some(id) => certificate::Entity::find_by_id(id).one(db).await?,
                None => None,
            };
            if done.rows_affected == 1 {
                let detail = successor
                    .map(|s| format!("serial {} on the retained cert_update topic", s.serial));
                log_step(db, renewal, RenewalStep::Published, detail.as_deref(), now).await?;
            } else {
                // Ended while its update was on the way: that update is retained now, so
                // the topic must be cleared (again).
                certificate_renewal::Entity::update_many()
                    .col_expr(
                        certificate_renewal::Column::RetainedClearedAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .filter(certificate_renewal::Column::Id.eq(renewal.id))
                    .filter(certificate_renewal::Column::State.is_not_in(in_flight_states()))
                    .exec(db)
                    .await?;
            }
            Ok(certificate_renewal::Entity::find_by_id(renewal.id)
                .one(db)
                .await?
                .ok_or(DomainError::NotFound("renewal"))?)
        }
    }
}

/// Why a gateway's message about a renewal was refused (stored as a dead letter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code: `BAD_ACK`, `BAD_CSR`, `UNKNOWN_RENEWAL`, `UNEXPECTED_CSR`, `MAC_MISMATCH`.
    pub reason: &'static str,
    /// Human-readable detail.
    pub detail: String,
}

/// What the worker must do after handling a gateway's message.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    /// The CRL changed: rewrite it.
    pub crl_changed: bool,
    /// Clear this retained topic (publish an empty retained message), then
    /// [`mark_cleared`] the renewal.
    pub clear_retained: Option<String>,
    /// Publish this (the successor of a CSR renewal).
    pub publish: Option<Outbound>,
    /// The renewal concerned, as it now stands.
    pub renewal: Option<certificate_renewal::Model>,
    /// The message was refused; keep it as a dead letter.
    pub refusal: Option<Refusal>,
}

impl Effects {
    /// Nothing to do but keep the message as a dead letter.
    fn refused(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            refusal: Some(Refusal {
                reason,
                detail: detail.into(),
            }),
            ..Self::default()
        }
    }
}

/// A gateway's acknowledgement on `cert_update/ack`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ack {
    /// Serial of the successor it is about (of the current certificate when a CSR
    /// request is refused).
    pub serial: String,
    /// `applied` or `rolled_back`.
    pub status: String,
    /// What the firmware says.
    #[serde(default)]
    pub detail: Option<String>,
    /// The renewal, when the gateway knows it (CSR mode): names it without a successor.
    #[serde(default)]
    pub renewal_id: Option<Uuid>,
}

/// Moves an in-flight renewal to a final state, only if it is still in flight with the
/// successor this caller read (another replica, a CSR, the clock or an operator may have
/// moved it meanwhile). True when it moved.
async fn finish(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    state: RenewalState,
    error: &str,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let error = (state != RenewalState::Applied).then(|| error.to_owned());
    let done = certificate_renewal::Entity::update_many()
        .col_expr(certificate_renewal::Column::State, Expr::value(state))
        .col_expr(certificate_renewal::Column::CompletedAt, Expr::value(now))
        .col_expr(
            certificate_renewal::Column::DeadlineAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(certificate_renewal::Column::Error, Expr::value(error))
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(match renewal.new_certificate_id {
            Some(id) => certificate_renewal::Column::NewCertificateId.eq(id),
            None => certificate_renewal::Column::NewCertificateId.is_null(),
        })
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Handles an ack from the gateway `mac` (the MAC of the topic, i.e. of the broker's
/// authenticated user). Idempotent: a redelivered ack changes nothing twice but repeats
/// the side effects, so a crash between commit and effects is healed by redelivery.
pub async fn apply_ack(
    db: &DatabaseConnection,
    mac: &str,
    payload: &[u8],
    now: DateTime<Utc>,
) -> DomainResult<Effects> {
    let ack: Ack = match serde_json::from_slice(payload) {
        Ok(ack) => ack,
        Err(e) => {
            return Ok(Effects::refused(
                "BAD_ACK",
                format!("expected {{serial, status, detail}}: {e}"),
            ));
        }
    };
    let applied = match ack.status.as_str() {
        "applied" => true,
        "rolled_back" => false,
        other => {
            return Ok(Effects::refused(
                "BAD_ACK",
                format!("status '{other}' is neither applied nor rolled_back"),
            ));
        }
    };
    let serial = crate::certificates::normalise_serial(&ack.serial);
    let txn = db.begin().await?;
    let Some(gw) = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac))
        .one(&txn)
        .await?
    else {
        return Ok(Effects::refused(
            "UNKNOWN_RENEWAL",
            format!("no gateway has MAC {mac}"),
        ));
    };
    let successor = certificate::Entity::find()
        .filter(certificate::Column::Serial.eq(serial.clone()))
        .one(&txn)
        .await?;
    if let Some(s) = &successor
        && !s.common_name.eq_ignore_ascii_case(mac)
    {
        return Ok(Effects::refused(
            "MAC_MISMATCH",
            format!("serial {serial} belongs to {}, not {mac}", s.common_name),
        ));
    }
    // The renewal the gateway names, else the one whose successor it names; either way
    // one of this gateway's.
    let renewal = match (ack.renewal_id, &successor) {
        (Some(id), _) => {
            certificate_renewal::Entity::find_by_id(id)
                .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
                .one(&txn)
                .await?
        }
        (None, Some(s)) => {
            certificate_renewal::Entity::find()
                .filter(certificate_renewal::Column::NewCertificateId.eq(s.id))
                .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
                .one(&txn)
                .await?
        }
        (None, None) => None,
    };
    let Some(renewal) = renewal else {
        return Ok(Effects::refused(
            "UNKNOWN_RENEWAL",
            format!("serial {serial} is not the successor of any renewal of {mac}"),
        ));
    };
    // The serial must be this renewal's successor (or, for a refusal, the certificate it
    // replaces): an ack about anything else decides nothing.
    let names_successor = successor
        .as_ref()
        .is_some_and(|s| Some(s.id) == renewal.new_certificate_id);
    let names_old = successor
        .as_ref()
        .is_some_and(|s| s.id == renewal.old_certificate_id);
    if !(names_successor || (!applied && (names_old || renewal.new_certificate_id.is_none()))) {
        let note = format!(
            "'{}' ack for serial {serial} ignored: not this renewal's successor",
            ack.status
        );
        log_step(&txn, &renewal, RenewalStep::Ignored, Some(&note), now).await?;
        txn.commit().await?;
        return Ok(Effects {
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    // The retained topic holds this renewal's update only while no newer one is in flight.
    let topic = update_topic(&gw.mac);
    let detail = ack.detail.clone().unwrap_or_default();
    let successor = match renewal.new_certificate_id {
        Some(id) => certificate::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let mut effects = Effects::default();
    let in_flight = in_flight_states().contains(&renewal.state);
    let successor_revoked = successor.as_ref().is_some_and(|s| s.revoked_at.is_some());
    let next = match (applied, &successor) {
        (true, Some(_)) if !successor_revoked => RenewalState::Applied,
        (true, _) => RenewalState::Failed,
        (false, _) => RenewalState::RolledBack,
    };
    let error = match next {
        RenewalState::Failed => {
            "the gateway reported applying a successor that is revoked or was never issued; \
             it must fall back to its previous certificate"
                .to_owned()
        }
        _ => detail.clone(),
    };
    if in_flight && finish(&txn, &renewal, next, &error, now).await? {
        let step = match next {
            RenewalState::Applied => RenewalStep::Applied,
            RenewalState::Failed => RenewalStep::Failed,
            _ => RenewalStep::RolledBack,
        };
        log_step(&txn, &renewal, step, Some(&error), now).await?;
        certificate_renewal::Entity::update_many()
            .col_expr(
                certificate_renewal::Column::AcknowledgedAt,
                Expr::value(now),
            )
            .filter(certificate_renewal::Column::Id.eq(renewal.id))
            .exec(&txn)
            .await?;
        match (next, &successor) {
            (RenewalState::Applied, Some(s)) => supersede(&txn, &renewal, s, now).await?,
            (_, Some(s)) => revoke_successor(&txn, &renewal, s, "not applied", now).await?,
            (_, None) => {}
        }
        effects.crl_changed = true;
        effects.clear_retained = Some(topic);
    } else if renewal.state == RenewalState::Applied && applied {
        // A redelivered ack: repeat the side effects only.
        effects.crl_changed = true;
        effects.clear_retained = Some(topic);
    } else {
        let current = certificate_renewal::Entity::find_by_id(renewal.id)
            .one(&txn)
            .await?
            .map_or(renewal.state, |r| r.state);
        let note = format!(
            "'{}' ack ignored: the renewal had ended {current}{}",
            ack.status,
            if applied {
                "; its successor is revoked, so the gateway must fall back to its previous certificate"
            } else {
                ""
            }
        );
        log_step(&txn, &renewal, RenewalStep::Ignored, Some(&note), now).await?;
    }
    effects.renewal = certificate_renewal::Entity::find_by_id(renewal.id)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(effects)
}

/// The gateway switched: successor ACTIVE, predecessor SUPERSEDED and revoked (unless an
/// operator revoked it already: that revocation and its reason stand).
async fn supersede(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    successor: &certificate::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let activated = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Active),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(now))
        .filter(certificate::Column::Id.eq(successor.id))
        .filter(certificate::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if activated.rows_affected != 1 {
        // Revoked meanwhile: the caller's transaction must not commit a half switch.
        return Err(DomainError::Conflict(format!(
            "successor {} was revoked meanwhile",
            successor.serial
        )));
    }
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let already_revoked = old.revoked_at.is_some();
    let detail = if already_revoked {
        format!("serial {} was already revoked ({})", old.serial, old.status)
    } else {
        format!("serial {} superseded by {}", old.serial, successor.serial)
    };
    let mut model: certificate::ActiveModel = old.into();
    if !already_revoked {
        model.status = Set(CertificateStatus::Superseded);
        model.revoked_at = Set(Some(now));
        model.revocation_reason = Set(Some("superseded".into()));
    }
    model.successor_id = Set(Some(successor.id));
    model.updated_at = Set(now);
    model.update(db).await?;
    log_step(
        db,
        renewal,
        RenewalStep::PredecessorRevoked,
        Some(&detail),
        now,
    )
    .await
}

async fn revoke_successor(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    successor: &certificate::Model,
    why: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let done = certificate::Entity::update_many()
        .col_expr(
            certificate::Column::Status,
            Expr::value(CertificateStatus::Revoked),
        )
        .col_expr(certificate::Column::RevokedAt, Expr::value(now))
        .col_expr(
            certificate::Column::RevocationReason,
            Expr::value("cessation-of-operation"),
        )
        .col_expr(certificate::Column::UpdatedAt, Expr::value(now))
        .filter(certificate::Column::Id.eq(successor.id))
        .filter(certificate::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 0 {
        return Ok(());
    }
    log_step(
        db,
        renewal,
        RenewalStep::SuccessorRevoked,
        Some(&format!("serial {}: {why}", successor.serial)),
        now,
    )
    .await
}

/// After an operator revoked `cert`: a renewal in flight that replaces it (its key may be
/// compromised: no new key goes to that identity) or that offers it as the successor
/// ends FAILED, and its successor is revoked too. True when one ended.
pub async fn end_after_revocation(
    db: &impl ConnectionTrait,
    cert: &certificate::Model,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    let detail = format!(
        "certificate {} was revoked by an operator ({})",
        cert.serial,
        cert.revocation_reason.as_deref().unwrap_or("unspecified")
    );
    // A worker may be moving the renewal on (a successor being issued): read again and
    // retry until the compare-and-set holds or nothing is in flight.
    for _ in 0..5 {
        let Some(renewal) = certificate_renewal::Entity::find()
            .filter(
                Condition::any()
                    .add(certificate_renewal::Column::OldCertificateId.eq(cert.id))
                    .add(certificate_renewal::Column::NewCertificateId.eq(cert.id)),
            )
            .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
            .one(db)
            .await?
        else {
            return Ok(false);
        };
        if !finish(db, &renewal, RenewalState::Failed, &detail, now).await? {
            continue;
        }
        log_step(db, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
        if let Some(id) = renewal.new_certificate_id
            && let Some(successor) = certificate::Entity::find_by_id(id).one(db).await?
        {
            revoke_successor(db, &renewal, &successor, "its renewal was stopped", now).await?;
        }
        return Ok(true);
    }
    Err(DomainError::Conflict(
        "the certificate's renewal kept changing; try again".into(),
    ))
}

/// A gateway's CSR on `cert_update/csr`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CsrMessage {
    /// The renewal it answers (optional: the gateway's open CSR renewal otherwise).
    #[serde(default)]
    pub renewal_id: Option<Uuid>,
    /// PKCS#10, PEM.
    pub csr: String,
}

/// Handles a CSR from gateway `mac`: signs it for the gateway's CSR-mode renewal in
/// flight and returns the successor to publish. The same CSR again (a redelivery, a
/// gateway that reconnected) gets the same successor again; a CSR for another key means
/// the gateway lost the earlier one, which is then revoked. A CSR that does not check out
/// fails the renewal (retried on a later night) and is kept as a dead letter.
pub async fn accept_csr(
    db: &DatabaseConnection,
    ca: &CertificateAuthority,
    mac: &str,
    payload: &[u8],
    now: DateTime<Utc>,
) -> DomainResult<Effects> {
    let message: CsrMessage = match serde_json::from_slice(payload) {
        Ok(m) => m,
        Err(e) => {
            return Ok(Effects::refused(
                "BAD_CSR",
                format!("expected {{renewal_id, csr}}: {e}"),
            ));
        }
    };
    let txn = db.begin().await?;
    let Some(gw) = gateway::Entity::find()
        .filter(gateway::Column::Mac.eq(mac))
        .one(&txn)
        .await?
    else {
        return Ok(Effects::refused(
            "UNEXPECTED_CSR",
            format!("no gateway has MAC {mac}"),
        ));
    };
    let mut query = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::GatewayId.eq(gw.id))
        .filter(certificate_renewal::Column::Mode.eq(RenewalMode::Csr))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(certificate_renewal::Column::DeadlineAt.is_not_null());
    if let Some(id) = message.renewal_id {
        query = query.filter(certificate_renewal::Column::Id.eq(id));
    }
    let Some(renewal) = query.one(&txn).await? else {
        return Ok(Effects::refused(
            "UNEXPECTED_CSR",
            "no CSR renewal of this gateway is waiting for a CSR",
        ));
    };
    let topic = update_topic(&gw.mac);
    let previous = match renewal.new_certificate_id {
        Some(id) => certificate::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    if let Some(previous) = &previous
        && previous.revoked_at.is_none()
        && let Some(pem) = &previous.pem
        && tds_certs::csr_matches_certificate(&message.csr, pem).unwrap_or(false)
    {
        // Same key: the same successor again, nothing changes.
        txn.commit().await?;
        return Ok(Effects {
            publish: Some(Outbound {
                renewal: renewal.clone(),
                topic,
                payload: update_payload(previous, None, ca)?,
                sent: Sent::Successor,
            }),
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    let issued = match ca.sign_gateway_csr(&gw.mac, &message.csr, now) {
        Ok(issued) => issued,
        Err(e) => {
            let detail = e.to_string();
            let mut crl_changed = false;
            if finish(&txn, &renewal, RenewalState::Failed, &detail, now).await? {
                log_step(&txn, &renewal, RenewalStep::Failed, Some(&detail), now).await?;
                if let Some(previous) = &previous {
                    revoke_successor(&txn, &renewal, previous, "its renewal failed", now).await?;
                    crl_changed = true;
                }
            }
            let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
                .one(&txn)
                .await?;
            txn.commit().await?;
            return Ok(Effects {
                clear_retained: Some(topic),
                renewal,
                crl_changed,
                ..Effects::refused("BAD_CSR", detail)
            });
        }
    };
    let old = certificate::Entity::find_by_id(renewal.old_certificate_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("certificate"))?;
    let successor = crate::certificates::record_successor(&txn, &old, &issued, now).await?;
    // Only if the renewal still holds the successor this handler saw (compare-and-set).
    let mut claim = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::NewCertificateId,
            Expr::value(Some(successor.id)),
        )
        .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()));
    claim = match &previous {
        Some(p) => claim.filter(certificate_renewal::Column::NewCertificateId.eq(p.id)),
        None => claim.filter(certificate_renewal::Column::NewCertificateId.is_null()),
    };
    if claim.exec(&txn).await?.rows_affected != 1 {
        // Someone else moved the renewal on; this CSR changes nothing.
        txn.rollback().await?;
        return Ok(Effects::default());
    }
    let mut crl_changed = false;
    if let Some(previous) = &previous {
        // The gateway asks for another key: it cannot use the earlier successor.
        revoke_successor(
            &txn,
            &renewal,
            previous,
            "the gateway sent a CSR for a new key",
            now,
        )
        .await?;
        crl_changed = true;
    }
    log_step(
        &txn,
        &renewal,
        RenewalStep::CsrReceived,
        Some(&format!("signed as serial {}", issued.serial)),
        now,
    )
    .await?;
    let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("renewal"))?;
    txn.commit().await?;
    Ok(Effects {
        publish: Some(Outbound {
            renewal: renewal.clone(),
            topic,
            payload: update_payload(&successor, None, ca)?,
            sent: Sent::Successor,
        }),
        renewal: Some(renewal),
        crl_changed,
        ..Effects::default()
    })
}

/// Ends every in-flight renewal whose deadline passed: a published successor nobody
/// acknowledged → TIMED_OUT; a CSR never sent → TIMED_OUT; a successor whose publication
/// the broker never confirmed → FAILED. The unused successor is revoked and the
/// predecessor stays ACTIVE, due again on a later night.
pub async fn expire_overdue(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Effects>> {
    let overdue = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.is_in(in_flight_states()))
        .filter(certificate_renewal::Column::DeadlineAt.lt(now))
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for renewal in overdue {
        let txn = db.begin().await?;
        let (next, step, detail) = match (renewal.state, renewal.mode) {
            (RenewalState::Published, _) => (
                RenewalState::TimedOut,
                RenewalStep::TimedOut,
                "no acknowledgement from the gateway within the window",
            ),
            (_, RenewalMode::Csr) if renewal.new_certificate_id.is_none() => (
                RenewalState::TimedOut,
                RenewalStep::TimedOut,
                "no CSR from the gateway within the window",
            ),
            _ => (
                RenewalState::Failed,
                RenewalStep::Failed,
                "the broker never confirmed the publication of the successor",
            ),
        };
        // Only if nobody moved it meanwhile (same state, deadline still passed).
        let done = certificate_renewal::Entity::update_many()
            .col_expr(certificate_renewal::Column::State, Expr::value(next))
            .col_expr(certificate_renewal::Column::CompletedAt, Expr::value(now))
            .col_expr(certificate_renewal::Column::Error, Expr::value(detail))
            .col_expr(certificate_renewal::Column::UpdatedAt, Expr::value(now))
            .filter(certificate_renewal::Column::Id.eq(renewal.id))
            .filter(certificate_renewal::Column::State.eq(renewal.state))
            .filter(certificate_renewal::Column::DeadlineAt.lt(now))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            continue;
        }
        // Read again after the claim: a CSR may have brought a successor meanwhile.
        let renewal = certificate_renewal::Entity::find_by_id(renewal.id)
            .one(&txn)
            .await?
            .ok_or(DomainError::NotFound("renewal"))?;
        log_step(&txn, &renewal, step, Some(detail), now).await?;
        let mut crl_changed = false;
        if let Some(id) = renewal.new_certificate_id
            && let Some(successor) = certificate::Entity::find_by_id(id).one(&txn).await?
        {
            revoke_successor(&txn, &renewal, &successor, "never acknowledged", now).await?;
            crl_changed = true;
        }
        let mac = certificate::Entity::find_by_id(renewal.old_certificate_id)
            .one(&txn)
            .await?
            .map(|c| c.common_name);
        txn.commit().await?;
        out.push(Effects {
            crl_changed,
            clear_retained: mac.map(|m| update_topic(&m)),
            renewal: Some(renewal),
            ..Effects::default()
        });
    }
    Ok(out)
}

/// Renewals that ended but whose gateway's retained `cert_update` is not known to be
/// cleared yet (the worker clears it, and retries until it could), with the topic. Left
/// out while the gateway has another renewal in flight: its update is on that topic now.
pub async fn awaiting_clear(
    db: &impl ConnectionTrait,
    limit: u64,
) -> DomainResult<Vec<(certificate_renewal::Model, String)>> {
    let busy_gateways = Query::select()
        .column(certificate_renewal::Column::GatewayId)
        .from(certificate_renewal::Entity)
        .and_where(certificate_renewal::Column::State.is_in(in_flight_states()))
        .to_owned();
    let ended = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::State.is_not_in(in_flight_states()))
        .filter(certificate_renewal::Column::RetainedClearedAt.is_null())
        .filter(certificate_renewal::Column::GatewayId.not_in_subquery(busy_gateways))
        .order_by_asc(certificate_renewal::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(ended.len());
    for renewal in ended {
        if let Some(old) = certificate::Entity::find_by_id(renewal.old_certificate_id)
            .one(db)
            .await?
        {
            let topic = update_topic(&old.common_name);
            out.push((renewal, topic));
        }
    }
    Ok(out)
}

/// Whether the retained topic of this gateway may be cleared now (no renewal in flight).
pub async fn may_clear(db: &impl ConnectionTrait, gateway_id: Uuid) -> DomainResult<bool> {
    Ok(in_flight_of_gateway(db, gateway_id).await?.is_none())
}

/// Records that the broker confirmed the clearing of a renewal's retained update.
pub async fn mark_cleared(
    db: &impl ConnectionTrait,
    renewal: &certificate_renewal::Model,
    topic: &str,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let done = certificate_renewal::Entity::update_many()
        .col_expr(
            certificate_renewal::Column::RetainedClearedAt,
            Expr::value(now),
        )
        .filter(certificate_renewal::Column::Id.eq(renewal.id))
        .filter(certificate_renewal::Column::RetainedClearedAt.is_null())
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        log_step(db, renewal, RenewalStep::RetainedCleared, Some(topic), now).await?;
    }
    Ok(())
}

/// Which renewals to list.
#[derive(Debug, Clone, Default)]
pub struct RenewalFilter {
    /// One gateway's.
    pub gateway_id: Option<Uuid>,
    /// One state.
    pub state: Option<RenewalState>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled before.
    pub to: Option<DateTime<Utc>>,
}

/// The renewal log of the caller's account, newest first (`after` pages to older ones).
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    filter: RenewalFilter,
    page: PageRequest,
) -> DomainResult<Page<certificate_renewal::Model>> {
    let mut query = certificate_renewal::Entity::find()
        .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id));
    if let Some(gateway_id) = filter.gateway_id {
        crate::gateways::get_gateway(db, tenant, gateway_id).await?;
        query = query.filter(certificate_renewal::Column::GatewayId.eq(gateway_id));
    }
    if let Some(state) = filter.state {
        query = query.filter(certificate_renewal::Column::State.eq(state));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(DomainError::invalid("to", "must be after from"));
    }
    if let Some(from) = filter.from {
        query = query.filter(certificate_renewal::Column::ScheduledAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(certificate_renewal::Column::ScheduledAt.lt(to));
    }
    if let Some(after) = page.after {
        query = query.filter(certificate_renewal::Column::Id.lt(after));
    }
    let rows = query
        .order_by_desc(certificate_renewal::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

/// The log entries of these renewals (of the caller's account), oldest first.
pub async fn steps(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    renewal_ids: &[Uuid],
) -> DomainResult<Vec<certificate_renewal_step::Model>> {
    Ok(certificate_renewal_step::Entity::find()
        .filter(certificate_renewal_step::Column::AccountId.eq(tenant.account_id))
        .filter(certificate_renewal_step::Column::RenewalId.is_in(renewal_ids.to_vec()))
        .order_by_asc(certificate_renewal_step::Column::At)
        .order_by_asc(certificate_renewal_step::Column::Id)
        .all(db)
        .await?)
}

/// Counts of the account's gateway certificates and renewals, for a dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificateDashboard {
    /// ACTIVE gateway certificates past their end.
    pub expired: u64,
    /// ACTIVE ones ending within 30 days.
    pub within_30_days: u64,
    /// … within 31–90 days.
    pub within_90_days: u64,
    /// … within 91–365 days.
    pub within_365_days: u64,
    /// … within 366–730 days (the renewal horizon).
    pub within_730_days: u64,
    /// … later.
    pub later: u64,
    /// Certificates by status (all purposes of the account).
    pub by_status: Vec<(CertificateStatus, u64)>,
    /// Renewals by state, all time.
    pub renewals_by_state: Vec<(RenewalState, u64)>,
    /// Renewals scheduled or published right now.
    pub in_flight: u64,
    /// The latest nightly run, with how many of this account's certificates it picked
    /// (the platform-wide count belongs to no tenant).
    pub last_run: Option<(renewal_run::Model, u64)>,
    /// When the next nightly run is due.
    pub next_run_at: DateTime<Utc>,
}

/// The certificate dashboard of the caller's account at `now`.
pub async fn dashboard(
    db: &impl ConnectionTrait,
    tenant: &Tenant,
    policy: &RenewalPolicy,
    now: DateTime<Utc>,
) -> DomainResult<CertificateDashboard> {
    let active: Vec<DateTime<Utc>> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::NotAfter)
        .filter(certificate::Column::AccountId.eq(tenant.account_id))
        .filter(certificate::Column::Purpose.eq(CertificatePurpose::Gateway))
        .filter(certificate::Column::Status.eq(CertificateStatus::Active))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = CertificateDashboard {
        next_run_at: policy.next_run_after(now),
        ..CertificateDashboard::default()
    };
    for not_after in active {
        let days = (not_after - now).num_seconds() as f64 / 86_400.0;
        match days {
            d if d < 0.0 => out.expired += 1,
            d if d <= 30.0 => out.within_30_days += 1,
            d if d <= 90.0 => out.within_90_days += 1,
            d if d <= 365.0 => out.within_365_days += 1,
            d if d <= 730.0 => out.within_730_days += 1,
            _ => out.later += 1,
        }
    }
    let statuses: Vec<(CertificateStatus, i64)> = certificate::Entity::find()
        .select_only()
        .column(certificate::Column::Status)
        .column_as(Expr::col(certificate::Column::Id).count(), "n")
        .filter(certificate::Column::AccountId.eq(tenant.account_id))
        .group_by(certificate::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    out.by_status = statuses.into_iter().map(|(s, n)| (s, n as u64)).collect();
    out.by_status.sort();
    let states: Vec<(RenewalState, i64)> = certificate_renewal::Entity::find()
        .select_only()
        .column(certificate_renewal::Column::State)
        .column_as(Expr::col(certificate_renewal::Column::Id).count(), "n")
        .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id))
        .group_by(certificate_renewal::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    out.in_flight = states
        .iter()
        .filter(|(s, _)| in_flight_states().contains(s))
        .map(|(_, n)| *n as u64)
        .sum();
    out.renewals_by_state = states.into_iter().map(|(s, n)| (s, n as u64)).collect();
    out.renewals_by_state.sort();
    if let Some(run) = renewal_run::Entity::find()
        .order_by_desc(renewal_run::Column::Night)
        .one(db)
        .await?
    {
        let mine = certificate_renewal::Entity::find()
            .filter(certificate_renewal::Column::RunId.eq(run.id))
            .filter(certificate_renewal::Column::AccountId.eq(tenant.account_id))
            .count(db)
            .await?;
        out.last_run = Some((run, mine));
    }
    Ok(out)
}

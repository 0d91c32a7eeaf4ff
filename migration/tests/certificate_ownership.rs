//! Migration 9 on both backends: certificates left behind by their gateway (deleted, MAC
//! changed, INACTIVE) are revoked, the others keep working, and from then on certificates
//! reference their gateway (a deleted gateway leaves the certificate, without its id).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{Duration, Utc};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use tds_entity::{
    CertificatePurpose, CertificateStatus, GatewayStatus, KeyAlgorithm, RenewalMode, account,
    certificate, gateway,
};
use tds_migration::Migrator;
use tds_testkit::{Backend, TestDb, backend_tests};

async fn add_gateway(
    db: &DatabaseConnection,
    account_id: Uuid,
    mac: &str,
    status: GatewayStatus,
) -> Uuid {
    let now = Utc::now();
    gateway::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        code: Set(mac.replace(':', "")),
        mac: Set(mac.into()),
        name: Set(mac.into()),
        latitude: Set(None),
        longitude: Set(None),
        capacity: Set(8),
        reporting_interval_s: Set(300),
        status: Set(status),
        is_online: Set(false),
        last_seen_at: Set(None),
        renewal_mode: Set(RenewalMode::ServerKey),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn add_certificate(
    db: &DatabaseConnection,
    account_id: Option<Uuid>,
    gateway_id: Option<Uuid>,
    purpose: CertificatePurpose,
    common_name: &str,
    revoked: Option<&str>,
) -> Result<Uuid, sea_orm_migration::DbErr> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    certificate::ActiveModel {
        id: Set(id),
        account_id: Set(account_id),
        gateway_id: Set(gateway_id),
        purpose: Set(purpose),
        serial: Set(id.simple().to_string()),
        common_name: Set(common_name.into()),
        fingerprint_sha256: Set("00".repeat(32)),
        not_before: Set(now - Duration::days(1)),
        not_after: Set(now + Duration::days(3650)),
        key_algorithm: Set(KeyAlgorithm::P256),
        status: Set(match revoked {
            Some(_) => CertificateStatus::Revoked,
            None => CertificateStatus::Active,
        }),
        revoked_at: Set(revoked.map(|_| now)),
        revocation_reason: Set(revoked.map(str::to_owned)),
        successor_id: Set(None),
        pem: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

async fn read(db: &DatabaseConnection, id: Uuid) -> certificate::Model {
    certificate::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
}

async fn left_behind_certificates_are_revoked(backend: Backend) {
    let test = TestDb::empty(backend).await;
    let db = &test.db;
    Migrator::up(db, Some(8)).await.unwrap();
    let now = Utc::now();
    // Inserted without reading the row back: the entity has columns of later migrations.
    let account_id = Uuid::now_v7();
    account::Entity::insert(account::ActiveModel {
        id: Set(account_id),
        name: Set("Legacy".into()),
        tax_id: Set(None),
        plan: Set("STANDARD".into()),
        is_active: Set(true),
        timezone: Set("America/Sao_Paulo".into()),
        locale: Set("pt-BR".into()),
        retention_days: Set(730),
        created_at: Set(now),
        updated_at: Set(now),
        created_by: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    let live = add_gateway(db, account_id, "02:00:00:00:00:01", GatewayStatus::Active).await;
    let moved = add_gateway(db, account_id, "02:00:00:00:00:02", GatewayStatus::Active).await;
    let off = add_gateway(db, account_id, "02:00:00:00:00:03", GatewayStatus::Inactive).await;
    let gone = Uuid::now_v7(); // a gateway deleted before certificates followed it
    let gateway_cert = |gw: Uuid, cn: &'static str, revoked: Option<&'static str>| {
        add_certificate(
            db,
            Some(account_id),
            Some(gw),
            CertificatePurpose::Gateway,
            cn,
            revoked,
        )
    };
    let kept = gateway_cert(live, "02:00:00:00:00:01", None).await.unwrap();
    let old_mac = gateway_cert(moved, "02:00:00:00:00:09", None)
        .await
        .unwrap();
    let inactive = gateway_cert(off, "02:00:00:00:00:03", None).await.unwrap();
    let orphan = gateway_cert(gone, "02:00:00:00:00:04", None).await.unwrap();
    let already = gateway_cert(gone, "02:00:00:00:00:05", Some("key-compromise"))
        .await
        .unwrap();
    let service = add_certificate(
        db,
        None,
        None,
        CertificatePurpose::Service,
        "tds-platform",
        None,
    )
    .await
    .unwrap();

    Migrator::up(db, None).await.unwrap();

    for (id, gateway_id) in [(kept, Some(live)), (service, None)] {
        let c = read(db, id).await;
        assert_eq!(
            (c.status, c.revoked_at, c.gateway_id),
            (CertificateStatus::Active, None, gateway_id)
        );
    }
    for (id, reason, gateway_id) in [
        (old_mac, "affiliation-changed", Some(moved)),
        (inactive, "cessation-of-operation", Some(off)),
        (orphan, "cessation-of-operation", None),
        (already, "key-compromise", None),
    ] {
        let c = read(db, id).await;
        assert_eq!(c.status, CertificateStatus::Revoked, "{}", c.common_name);
        assert!(c.revoked_at.is_some_and(|at| at <= Utc::now()));
        assert_eq!(c.revocation_reason.as_deref(), Some(reason));
        assert_eq!(c.gateway_id, gateway_id, "{}", c.common_name);
    }

    // From now on a certificate names an existing gateway or none …
    let dangling = add_certificate(
        db,
        Some(account_id),
        Some(Uuid::now_v7()),
        CertificatePurpose::Gateway,
        "02:00:00:00:00:06",
        None,
    )
    .await;
    assert!(dangling.is_err(), "a certificate of no gateway is refused");
    // … and deleting its gateway keeps the certificate, without the gateway's id.
    gateway::Entity::delete_by_id(live).exec(db).await.unwrap();
    let c = read(db, kept).await;
    assert_eq!((c.gateway_id, c.serial.is_empty()), (None, false));

    // Down and up again.
    Migrator::down(db, Some(1)).await.unwrap();
    Migrator::up(db, None).await.unwrap();
    assert_eq!(read(db, service).await.status, CertificateStatus::Active);
}

backend_tests!(left_behind_certificates_are_revoked);

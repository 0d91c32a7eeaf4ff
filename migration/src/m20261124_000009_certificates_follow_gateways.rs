//! Certificates follow their gateway (issue 9). A gateway certificate names its gateway by
//! MAC (its CN), and the broker trusts it until it is in the CRL; so one that outlives its
//! gateway, its gateway's MAC or its gateway's service would speak for whoever registers
//! that MAC next, in any account.
//!
//! - Certificates reference their gateway by a foreign key, `ON DELETE SET NULL`: deleting
//!   a gateway keeps the certificate history (account, CN, serial, revocation) and the
//!   CRL, and the domain revokes the certificates in the same transaction first.
//! - Certificates already left behind are revoked here: no gateway any more, a gateway
//!   whose MAC changed (`affiliation-changed`), or an INACTIVE one
//!   (`cessation-of-operation`). The certificate workers rewrite the CRL at their next
//!   poll, as they do whenever the revocations change; `tds certs crl` does it at once.
//! - An index on the CN, so registering a MAC can ask whether an unrevoked certificate
//!   still carries it.
//!
//! SQLite cannot add a foreign key to a table: it gets the same table again with the key
//! (created, filled, swapped). Going down removes the key and the index; revocations stay.

use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{audited, enum_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    AccountId,
    GatewayId,
    Purpose,
    Serial,
    CommonName,
    FingerprintSha256,
    NotBefore,
    NotAfter,
    KeyAlgorithm,
    Status,
    RevokedAt,
    RevocationReason,
    SuccessorId,
    Pem,
}

#[derive(DeriveIden)]
enum Gateways {
    Table,
    Id,
}

const FOREIGN_KEY: &str = "certificates_gateway_fk";
const REBUILT: &str = "certificates_rebuilt";
/// Every column, in the order of the table as migrations 4 and 8 left it.
const COLUMNS: &str = "id, account_id, gateway_id, purpose, serial, common_name, \
     fingerprint_sha256, not_before, not_after, key_algorithm, status, revoked_at, \
     revocation_reason, successor_id, created_at, updated_at, created_by, pem";

/// The certificates table as migrations 4 and 8 define it, optionally with the key.
fn certificates_table(name: &str, with_key: bool) -> TableCreateStatement {
    let mut table = Table::create();
    audited(
        table
            .table(Alias::new(name))
            .col(pk_uuid(Certificates::Id))
            .col(uuid_null(Certificates::AccountId))
            .col(uuid_null(Certificates::GatewayId))
            .col(enum_col(Certificates::Purpose))
            .col(string_len_uniq(Certificates::Serial, 64))
            .col(string_len(Certificates::CommonName, 128))
            .col(string_len(Certificates::FingerprintSha256, 64))
            .col(timestamp_with_time_zone(Certificates::NotBefore))
            .col(timestamp_with_time_zone(Certificates::NotAfter))
            .col(enum_col(Certificates::KeyAlgorithm))
            .col(enum_col(Certificates::Status))
            .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
            .col(string_null(Certificates::RevocationReason))
            .col(uuid_null(Certificates::SuccessorId)),
    )
    .col(text_null(Certificates::Pem));
    if with_key {
        table.foreign_key(&mut gateway_key());
    }
    table.to_owned()
}

fn gateway_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(FOREIGN_KEY)
        .from_tbl(Certificates::Table)
        .from_col(Certificates::GatewayId)
        .to_tbl(Gateways::Table)
        .to_col(Gateways::Id)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// Swaps the SQLite table for one with (or without) the key, rows and indexes kept.
async fn rebuild_sqlite(manager: &SchemaManager<'_>, with_key: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .create_table(certificates_table(REBUILT, with_key))
        .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO {REBUILT} ({COLUMNS}) SELECT {COLUMNS} FROM certificates"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE certificates").await?;
    db.execute_unprepared(&format!("ALTER TABLE {REBUILT} RENAME TO certificates"))
        .await?;
    // Dropping the table dropped its indexes (migration 4's): made again on the new one.
    for (name, cols) in [
        ("certificates_gateway", vec![Certificates::GatewayId]),
        (
            "certificates_status_expiry",
            vec![Certificates::Status, Certificates::NotAfter],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table(Certificates::Table).if_not_exists();
        for col in cols {
            index.col(col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// Revokes the gateway certificates that no longer speak for a live gateway of theirs.
async fn revoke_left_behind(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    // A literal both backends read as a timestamp (and SQLite stores as sqlx writes one).
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let unrevoked = "purpose = 'GATEWAY' AND revoked_at IS NULL";
    for (reason, which) in [
        (
            "affiliation-changed",
            "EXISTS (SELECT 1 FROM gateways g WHERE g.id = certificates.gateway_id \
             AND g.mac <> certificates.common_name)",
        ),
        (
            "cessation-of-operation",
            "(gateway_id IS NULL OR NOT EXISTS (SELECT 1 FROM gateways g \
             WHERE g.id = certificates.gateway_id AND g.status <> 'INACTIVE'))",
        ),
    ] {
        db.execute_unprepared(&format!(
            "UPDATE certificates SET status = 'REVOKED', revoked_at = '{now}', \
             revocation_reason = '{reason}', updated_at = '{now}' WHERE {unrevoked} AND {which}"
        ))
        .await?;
    }
    // The key cannot point at gateways that are gone.
    db.execute_unprepared(
        "UPDATE certificates SET gateway_id = NULL WHERE gateway_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM gateways g WHERE g.id = certificates.gateway_id)",
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the table swap must run on one connection (a
    /// pooled one could still see the old table) and must not be seen half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        revoke_left_behind(db).await?;
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(manager, true).await?,
            _ => manager.create_foreign_key(gateway_key()).await?,
        }
        manager
            .create_index(
                Index::create()
                    .name("certificates_common_name")
                    .table(Certificates::Table)
                    .col(Certificates::CommonName)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("certificates_common_name")
                    .table(Certificates::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        match manager.get_connection().get_database_backend() {
            DatabaseBackend::Sqlite => rebuild_sqlite(manager, false).await,
            _ => {
                manager
                    .drop_foreign_key(
                        ForeignKey::drop()
                            .name(FOREIGN_KEY)
                            .table(Certificates::Table)
                            .to_owned(),
                    )
                    .await
            }
        }
    }
}

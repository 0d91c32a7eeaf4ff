//! What a failed database call means for the message behind it: wait for the database,
//! or look for the message it refuses. One place decides, for the telemetry writer and
//! the certificate worker alike.

use std::ops::Deref;

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// Why a database call failed, as far as what to do next is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot take the call as it stands, whatever the data: out of reach,
    /// restarting, shedding load, a lost race (deadlock, serialization), or a schema or
    /// permission that is wrong (a deployment mistake). The same call succeeds once that
    /// passes or is fixed; nothing is refused meanwhile.
    Unavailable,
    /// The database answered and refused the statement: its data (or a bug) is the cause,
    /// and trying again changes nothing. `code` is the SQLSTATE (PostgreSQL) or result
    /// code (SQLite) when there is one.
    Refused {
        /// The database's error code.
        code: Option<String>,
    },
}

/// PostgreSQL SQLSTATE classes that say nothing about the data: feature not supported,
/// connection exception, invalid transaction state (a read-only standby), invalid
/// authorization, invalid catalog or schema name, transaction rollback, syntax error or
/// access rule violation (statements are parameterised, so a table, column or privilege
/// missing, never a value), insufficient resources, object not in prerequisite state
/// (lock not available), operator intervention (shutdown, cancel), system error.
const PG_NOT_THE_DATA: [&str; 12] = [
    "0A", "08", "25", "28", "3D", "3F", "40", "42", "53", "55", "57", "58",
];

/// SQLite primary result codes that say nothing about the data: BUSY, LOCKED, NOMEM,
/// READONLY, INTERRUPT, IOERR, FULL, CANTOPEN, PROTOCOL. (Its generic ERROR, 1, may be
/// either; it counts as a refusal.)
const SQLITE_NOT_THE_DATA: [i64; 9] = [5, 6, 7, 8, 9, 10, 13, 14, 15];

/// Classifies a failed database call.
pub fn classify(error: &DbErr) -> Failure {
    let sqlx_error = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Failure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e.deref(),
        _ => return Failure::Refused { code: None },
    };
    match sqlx_error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned());
            let not_the_data = match code.as_deref() {
                Some(c)
                    if db
                        .try_downcast_ref::<sea_orm::SqlxPostgresError>()
                        .is_some() =>
                {
                    PG_NOT_THE_DATA.iter().any(|class| c.starts_with(class))
                }
                Some(c) => c
                    .parse::<i64>()
                    .is_ok_and(|n| SQLITE_NOT_THE_DATA.contains(&(n & 0xff))),
                None => false,
            };
            if not_the_data {
                Failure::Unavailable
            } else {
                Failure::Refused { code }
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        _ => Failure::Refused { code: None },
    }
}

impl Failure {
    /// How a dead letter names the refusal: the code only, never the database's text
    /// (it is logged; it may quote data).
    pub fn describe(&self) -> String {
        match self {
            Failure::Unavailable => "the database was unavailable".into(),
            Failure::Refused { code: Some(code) } => {
                format!("the database refused it (error code {code})")
            }
            Failure::Refused { code: None } => "the database refused it".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn sqlx_error(e: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_database_out_of_reach_refuses_nothing() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        for e in [
            sqlx_error(sqlx::Error::Io(io)),
            sqlx_error(sqlx::Error::PoolTimedOut),
            DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout),
            DbErr::Conn(RuntimeErr::Internal("refused".into())),
        ] {
            assert_eq!(classify(&e), Failure::Unavailable, "{e}");
        }
    }

    #[tokio::test]
    async fn what_postgresql_refuses_is_told_from_a_wrong_schema() {
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        let test = tds_testkit::TestDb::empty(tds_testkit::Backend::Postgres).await;
        test.db
            .execute_unprepared("CREATE TABLE t (v text CHECK (v <> 'no'))")
            .await
            .unwrap();
        let insert = |v: &str| {
            Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "INSERT INTO t VALUES ($1)",
                [v.into()],
            )
        };
        let code = |e: &DbErr| classify(e);
        let nul = test.db.execute_raw(insert("a\0b")).await.unwrap_err();
        assert_eq!(
            code(&nul),
            Failure::Refused {
                code: Some("22021".into())
            }
        );
        let check = test.db.execute_raw(insert("no")).await.unwrap_err();
        assert_eq!(
            code(&check),
            Failure::Refused {
                code: Some("23514".into())
            }
        );
        // A table missing is the deployment's fault, not the message's: wait, refuse nothing.
        let missing = test
            .db
            .execute_unprepared("INSERT INTO nowhere VALUES (1)")
            .await
            .unwrap_err();
        assert_eq!(code(&missing), Failure::Unavailable);
    }

    #[tokio::test]
    async fn what_sqlite_refuses_is_told_from_what_blocks_it() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("CREATE TABLE t (v INTEGER CHECK (v > 0))")
            .await
            .unwrap();
        let refused = db
            .execute_unprepared("INSERT INTO t VALUES (-1)")
            .await
            .unwrap_err();
        // SQLITE_CONSTRAINT_CHECK (19 | 1 << 8).
        assert_eq!(
            classify(&refused),
            Failure::Refused {
                code: Some("275".into())
            }
        );
        assert!(!refused.to_string().is_empty());
        let described = classify(&refused).describe();
        assert_eq!(described, "the database refused it (error code 275)");
    }
}

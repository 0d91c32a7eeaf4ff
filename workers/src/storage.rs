//! What a failed database call means for the message behind it: wait for the database,
//! or look for the message it refuses. One place decides, for the telemetry writer and
//! the certificate worker alike.

use std::ops::Deref;

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

/// Why a database call failed, as far as what to do next is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The database could not be reached, is restarting or shedding load, or lost a race
    /// (deadlock, serialization): the same call will succeed later. Nothing is refused.
    Unavailable,
    /// The database answered and refused the statement: its data (or a bug) is the cause,
    /// and trying again changes nothing. `code` is the SQLSTATE (PostgreSQL) or result
    /// code (SQLite) when there is one.
    Refused {
        /// The database's error code.
        code: Option<String>,
    },
}

/// PostgreSQL SQLSTATE classes that say nothing about the data: connection exception,
/// invalid transaction state (a read-only standby), transaction rollback, insufficient
/// resources, object not in prerequisite state (lock not available), operator
/// intervention (shutdown, cancel), system error.
const PG_TRANSIENT_CLASSES: [&str; 7] = ["08", "25", "40", "53", "55", "57", "58"];

/// SQLite primary result codes that say nothing about the data: BUSY, LOCKED, NOMEM,
/// READONLY, INTERRUPT, IOERR, FULL, CANTOPEN, PROTOCOL.
const SQLITE_TRANSIENT: [i64; 9] = [5, 6, 7, 8, 9, 10, 13, 14, 15];

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
            let transient = match code.as_deref() {
                Some(c)
                    if db
                        .try_downcast_ref::<sea_orm::SqlxPostgresError>()
                        .is_some() =>
                {
                    PG_TRANSIENT_CLASSES
                        .iter()
                        .any(|class| c.starts_with(class))
                }
                Some(c) => c
                    .parse::<i64>()
                    .is_ok_and(|n| SQLITE_TRANSIENT.contains(&(n & 0xff))),
                None => false,
            };
            if transient {
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

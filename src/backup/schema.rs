//! The tables a backup covers, read from the database's own catalog (never a hand list, so
//! a new table is backed up without anyone remembering to add it), in foreign-key order.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// The table of applied migrations: the manifest lists its rows, the restore's own
/// migrator fills it.
const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// The tables of the schema but the migrations', parents before the tables that
/// reference them. On PostgreSQL a partitioned table counts once (its partitions are
/// storage, not tables of their own).
pub async fn tables_in_order(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let (tables, references) = match backend {
        DatabaseBackend::Postgres => (
            "SELECT c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            "SELECT child.relname::text AS child, parent.relname::text AS parent \
             FROM pg_constraint k \
             JOIN pg_class child ON child.oid = k.conrelid \
             JOIN pg_class parent ON parent.oid = k.confrelid \
             JOIN pg_namespace n ON n.oid = child.relnamespace \
             WHERE k.contype = 'f' AND n.nspname = 'public'",
        ),
        DatabaseBackend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT m.name AS child, f.\"table\" AS parent \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table'",
        ),
        other => bail!("backups support PostgreSQL and SQLite, not {other:?}"),
    };
    let read = |sql: &str| Statement::from_string(backend, sql);
    let mut names = Vec::new();
    for row in conn.query_all_raw(read(tables)).await? {
        let name: String = row.try_get("", "name")?;
        if name != MIGRATIONS_TABLE {
            names.push(name);
        }
    }
    let mut edges: Vec<(String, String)> = Vec::new();
    for row in conn.query_all_raw(read(references)).await? {
        edges.push((row.try_get("", "child")?, row.try_get("", "parent")?));
    }
    dependency_order(&names, &edges).map_err(anyhow::Error::msg)
}

/// `tables` ordered so that each comes after every table it references (`edges` are
/// (child, parent)); ties alphabetical. A table referencing itself is fine (its rows go
/// in one statement per batch); a cycle between tables is refused.
fn dependency_order(tables: &[String], edges: &[(String, String)]) -> Result<Vec<String>, String> {
    let known: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
    let mut parents: BTreeMap<&str, BTreeSet<&str>> =
        known.iter().map(|t| (*t, BTreeSet::new())).collect();
    for (child, parent) in edges {
        // Edges of partitions (cloned from their parent table) and self-references drop out.
        if child != parent && known.contains(child.as_str()) && known.contains(parent.as_str()) {
            parents
                .entry(child.as_str())
                .or_default()
                .insert(parent.as_str());
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(tables.len());
    while !parents.is_empty() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(_, p)| p.is_empty())
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = parents.keys().copied().collect();
            return Err(format!(
                "the foreign keys between {} form a cycle: no order to restore them in",
                stuck.join(", ")
            ));
        }
        for table in ready {
            parents.remove(table);
            for p in parents.values_mut() {
                p.remove(table);
            }
            order.push(table.to_owned());
        }
    }
    Ok(order)
}

/// The migrations the database has applied, in order; empty when it was never migrated.
pub async fn applied_migrations(conn: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let exists = match backend {
        DatabaseBackend::Postgres => {
            "SELECT 1 AS present FROM pg_tables WHERE schemaname = 'public' AND tablename = 'seaql_migrations'"
        }
        _ => {
            "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
        }
    };
    if conn
        .query_one_raw(Statement::from_string(backend, exists))
        .await?
        .is_none()
    {
        return Ok(Vec::new());
    }
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version FROM seaql_migrations ORDER BY version",
        ))
        .await
        .context("cannot read the applied migrations")?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "version").map_err(Into::into))
        .collect()
}

/// Tables among `tables` that hold at least one row.
pub async fn tables_with_rows(
    conn: &impl ConnectionTrait,
    tables: &[String],
) -> anyhow::Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let mut found = Vec::new();
    for table in tables {
        let sql = format!("SELECT 1 AS present FROM {} LIMIT 1", quoted(table));
        if conn
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .is_some()
        {
            found.push(table.clone());
        }
    }
    Ok(found)
}

/// `name` as an SQL identifier (both backends quote with double quotes).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn edges(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn parents_come_before_the_tables_that_reference_them() {
        let tables = names(&["memberships", "accounts", "users", "gateways", "devices"]);
        let order = dependency_order(
            &tables,
            &edges(&[
                ("memberships", "accounts"),
                ("memberships", "users"),
                ("devices", "gateways"),
                ("gateways", "accounts"),
                ("devices", "devices"),
                ("readings_p202611", "devices"),
            ]),
        )
        .unwrap();
        assert_eq!(
            order,
            names(&["accounts", "users", "gateways", "memberships", "devices"])
        );
    }

    #[test]
    fn a_cycle_is_refused_by_name() {
        let tables = names(&["a", "b", "c"]);
        let error = dependency_order(&tables, &edges(&[("a", "b"), ("b", "a")])).unwrap_err();
        assert!(error.contains("a, b"), "{error}");
    }
}

//! Writes that belong together, run as one script: kept or undone
//! together, and on SQLite sent to the database in one call.
//!
//! On SQLite every statement is a round trip to sqlx's worker thread for
//! the connection, two thread wake-ups that cost far more than inserting a
//! few rows. Intake's batch writer holds SQLite's one write slot meanwhile,
//! so those round trips bound how many messages a second the gateway
//! takes. A script runs all its statements in one call instead (sqlx binds
//! a multi-statement query's `?` parameters statement by statement, in
//! order). PostgreSQL takes one statement at a time with bound
//! parameters, so there the statements are sent in turn.
//!
//! Statements that need keys of rows inserted earlier in the same script
//! get them from [`reserve_ids`] first.
//!
//! Reads that go together ([`Reads`]) are sent the same way: in one call
//! on SQLite, each row carrying the tag of the read it answers.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryResult, QueryTrait, Statement, TransactionTrait, Value, Values,
};
use std::collections::HashMap;

/// Statements to run in order, all or none.
pub struct Script {
    backend: DbBackend,
    statements: Vec<Statement>,
}

/// The savepoint a SQLite script runs in.
const SAVEPOINT: &str = "satupintu_script";

impl Script {
    pub fn new(backend: DbBackend) -> Script {
        Script {
            backend,
            statements: Vec::new(),
        }
    }

    /// Adds one multi-row insert of `rows`; nothing when there are none.
    pub fn insert<A, I>(&mut self, rows: I)
    where
        A: ActiveModelTrait,
        I: IntoIterator<Item = A>,
    {
        let rows: Vec<A> = rows.into_iter().collect();
        if !rows.is_empty() {
            let insert = A::Entity::insert_many(rows);
            self.statements.push(insert.build(self.backend));
        }
    }

    pub fn len(&self) -> usize {
        self.statements.len()
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Runs every statement in `txn`; on failure none of them stays, and
    /// the rest of `txn` is untouched.
    pub async fn run(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        if self.statements.is_empty() {
            return Ok(());
        }
        match self.backend {
            DbBackend::Sqlite => self.run_joined(txn).await,
            _ => {
                let savepoint = txn.begin().await?;
                for statement in self.statements {
                    if let Err(e) = savepoint.execute_raw(statement).await {
                        savepoint.rollback().await?;
                        return Err(e);
                    }
                }
                savepoint.commit().await
            }
        }
    }

    async fn run_joined(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        let backend = self.backend;
        let (sql, values) = joined(self.statements);
        let script = format!("SAVEPOINT {SAVEPOINT};\n{sql};\nRELEASE {SAVEPOINT}");
        let result = txn
            .execute_raw(Statement::from_sql_and_values(backend, script, values))
            .await;
        if let Err(e) = result {
            // The statements before the failing one are undone; the
            // savepoint may not exist if the failure came before it.
            if let Err(undo) = txn
                .execute_unprepared(&format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}"))
                .await
            {
                tracing::debug!(error = %undo, "no script savepoint to undo");
            }
            return Err(e);
        }
        Ok(())
    }
}

/// Queries whose answers are needed together, each under a tag of its
/// own. On SQLite they go to the database in one call (one round trip to
/// the connection's worker thread instead of one per query); PostgreSQL
/// takes them in turn.
pub struct Reads {
    backend: DbBackend,
    statements: Vec<Statement>,
}

/// The column each row of [`Reads`] names its query's tag in.
const TAG: &str = "satupintu_read";

impl Reads {
    pub fn new(backend: DbBackend) -> Reads {
        Reads {
            backend,
            statements: Vec::new(),
        }
    }

    /// Adds the query `statement`; its rows come back under `tag` (letters,
    /// digits and underscores), in no promised order: a query's own
    /// `ORDER BY` may not hold once it is wrapped, so sort after reading.
    pub fn add(&mut self, tag: &'static str, statement: Statement) {
        assert!(
            tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "a read's tag is a plain word"
        );
        self.statements.push(Statement {
            sql: format!("SELECT r.*, '{tag}' AS {TAG} FROM ({}) AS r", statement.sql),
            values: statement.values,
            db_backend: self.backend,
        });
    }

    /// Runs every query; their rows, by tag.
    pub async fn run<C: ConnectionTrait>(self, db: &C) -> Result<Answers, DbErr> {
        let rows = match self.backend {
            _ if self.statements.is_empty() => Vec::new(),
            DbBackend::Sqlite => {
                let (sql, values) = joined(self.statements);
                db.query_all_raw(Statement::from_sql_and_values(self.backend, sql, values))
                    .await?
            }
            _ => {
                let mut rows = Vec::new();
                for statement in self.statements {
                    rows.extend(db.query_all_raw(statement).await?);
                }
                rows
            }
        };
        let mut by_tag: HashMap<String, Vec<QueryResult>> = HashMap::new();
        for row in rows {
            let tag: String = row.try_get("", TAG)?;
            by_tag.entry(tag).or_default().push(row);
        }
        Ok(Answers(by_tag))
    }
}

/// The rows [`Reads::run`] read, by tag.
pub struct Answers(HashMap<String, Vec<QueryResult>>);

impl Answers {
    /// The rows of the query added under `tag`; none when it found none.
    pub fn take(&mut self, tag: &str) -> Vec<QueryResult> {
        self.0.remove(tag).unwrap_or_default()
    }
}

/// The statements as one SQL text and its parameters, in order.
fn joined(statements: Vec<Statement>) -> (String, Vec<Value>) {
    let mut sql = Vec::with_capacity(statements.len());
    let mut values = Vec::new();
    for s in statements {
        sql.push(s.sql);
        if let Some(Values(v)) = s.values {
            values.extend(v);
        }
    }
    (sql.join(";\n"), values)
}

/// SQLite: the query for the last keys given out in `tables` (their
/// `sqlite_sequence` entries), for a caller that reads them along with
/// other reads and then reserves keys with [`ids_after`], in the write
/// transaction.
pub fn last_ids_query(tables: &[&str]) -> Statement {
    let marks = vec!["?"; tables.len()].join(", ");
    Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("SELECT name, seq FROM sqlite_sequence WHERE name IN ({marks})"),
        tables.iter().map(|t| Value::from(*t)),
    )
}

/// The last keys in the rows of [`last_ids_query`], by table; a table with
/// no entry never had a row.
pub fn last_ids(rows: &[QueryResult]) -> Result<HashMap<String, i64>, DbErr> {
    rows.iter()
        .map(|row| Ok((row.try_get("", "name")?, row.try_get("", "seq")?)))
        .collect()
}

/// `count` keys for each `(table, count)` after the `last` ones, in order.
pub fn ids_after(last: &HashMap<String, i64>, wanted: &[(&str, usize)]) -> Vec<Vec<i64>> {
    wanted
        .iter()
        .map(|&(table, n)| {
            let last = last.get(table).copied().unwrap_or(0);
            (1..=n as i64).map(|k| last + k).collect()
        })
        .collect()
}

/// Reserves keys of auto-increment `id` columns for rows the caller then
/// inserts with explicit keys: `count` keys for each `(table, count)`, in
/// one round trip; returned in the same order, each list ascending. On
/// SQLite the caller must hold the write transaction (keys follow the
/// table's `sqlite_sequence` entry, which the insert then moves on); on
/// PostgreSQL they are drawn from the column's sequence.
pub async fn reserve_ids<C: ConnectionTrait>(
    db: &C,
    wanted: &[(&str, usize)],
) -> Result<Vec<Vec<i64>>, DbErr> {
    let mut ids = vec![Vec::new(); wanted.len()];
    let wanted: Vec<(usize, &str, usize)> = wanted
        .iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, &(table, n))| (i, table, n))
        .collect();
    if wanted.is_empty() {
        return Ok(ids);
    }
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Sqlite => {
            let tables: Vec<&str> = wanted.iter().map(|w| w.1).collect();
            let last = last_ids(&db.query_all_raw(last_ids_query(&tables)).await?)?;
            for (i, table, n) in wanted {
                ids[i] = ids_after(&last, &[(table, n)]).remove(0);
            }
        }
        _ => {
            let sql = (0..wanted.len())
                .map(|k| {
                    format!(
                        "SELECT CAST({k} AS BIGINT), nextval(pg_get_serial_sequence(${}, 'id')) \
                         FROM generate_series(1, ${})",
                        2 * k + 1,
                        2 * k + 2
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let values = wanted
                .iter()
                .flat_map(|w| [Value::from(w.1), Value::from(w.2 as i64)]);
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
            for row in rows {
                let k = row.try_get_by_index::<i64>(0)? as usize;
                ids[wanted[k].0].push(row.try_get_by_index::<i64>(1)?);
            }
            for (i, table, n) in &wanted {
                ids[*i].sort_unstable();
                if ids[*i].len() != *n {
                    return Err(DbErr::Custom(format!(
                        "{} keys of {table} reserved, {n} wanted",
                        ids[*i].len()
                    )));
                }
            }
        }
    }
    Ok(ids)
}

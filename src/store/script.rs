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

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    QueryTrait, Statement, TransactionTrait, Value, Values,
};

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
        let (sql, values) = self.joined();
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

    /// One SQL text and its parameters, in order.
    fn joined(self) -> (String, Vec<Value>) {
        let mut sql = Vec::with_capacity(self.statements.len());
        let mut values = Vec::new();
        for s in self.statements {
            sql.push(s.sql);
            if let Some(Values(v)) = s.values {
                values.extend(v);
            }
        }
        (sql.join(";\n"), values)
    }
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
            let marks = vec!["?"; wanted.len()].join(", ");
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    format!("SELECT name, seq FROM sqlite_sequence WHERE name IN ({marks})"),
                    wanted.iter().map(|w| Value::from(w.1)),
                ))
                .await?;
            let mut last = std::collections::HashMap::new();
            for row in rows {
                last.insert(
                    row.try_get_by_index::<String>(0)?,
                    row.try_get_by_index::<i64>(1)?,
                );
            }
            for (i, table, n) in wanted {
                // No entry yet: the table never had a row.
                let last = last.get(table).copied().unwrap_or(0);
                ids[i] = (1..=n as i64).map(|k| last + k).collect();
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

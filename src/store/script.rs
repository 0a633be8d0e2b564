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
//! get them from [`super::keys`] first. Reads that go together are sent
//! the same way ([`super::reads`]).

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

/// The statements as one SQL text and its parameters, in order.
pub(super) fn joined(statements: Vec<Statement>) -> (String, Vec<Value>) {
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

//! Reads that go together, each under a tag of its own: on SQLite sent to
//! the database in one call, one round trip to the connection's worker
//! thread instead of one per query (see [`super::script`] for why that
//! round trip matters); PostgreSQL takes them in turn.

use super::script::joined;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement};
use std::collections::HashMap;

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

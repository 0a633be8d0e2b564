//! Conditions on a list of values whose SQL text does not change with the
//! list.
//!
//! sqlx keeps a connection's prepared statements by their text. A filter
//! written `id IN (?, ?, ?)` has another text for every length of the
//! list, so a query that takes one is prepared again nearly every time it
//! runs; on SQLite's writer connection, which every intake batch waits
//! for, that preparing was a sixth of the connection thread's time. On
//! SQLite the list therefore goes as one JSON array parameter, read with
//! `json_each`; SQLite still looks each value up in the column's index.
//! PostgreSQL gets the values inline, as before.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DbBackend, Value};

/// `column` is one of `values`.
pub fn one_of<C, V>(backend: DbBackend, column: C, values: impl IntoIterator<Item = V>) -> Condition
where
    C: ColumnTrait,
    V: Into<serde_json::Value> + Into<Value>,
{
    match backend {
        DbBackend::Sqlite => {
            let list: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
            Condition::all().add(Expr::cust_with_values(
                format!("{} IN (SELECT value FROM json_each(?))", qualified(column)),
                [json_text(list)],
            ))
        }
        _ => Condition::all().add(column.is_in(values.into_iter().map(Into::<Value>::into))),
    }
}

/// The pair (`first`, `second`) is one of `pairs`.
pub fn pair_of<C: ColumnTrait>(
    backend: DbBackend,
    (first, second): (C, C),
    pairs: &[(String, String)],
) -> Condition {
    match backend {
        DbBackend::Sqlite => Condition::all().add(Expr::cust_with_values(
            format!(
                "({}, {}) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))",
                qualified(first),
                qualified(second)
            ),
            [json_text(
                pairs
                    .iter()
                    .map(|(a, b)| serde_json::json!([a, b]))
                    .collect(),
            )],
        )),
        _ => pairs.iter().fold(Condition::any(), |any, (a, b)| {
            any.add(
                Condition::all()
                    .add(first.eq(a.as_str()))
                    .add(second.eq(b.as_str())),
            )
        }),
    }
}

fn json_text(list: Vec<serde_json::Value>) -> Value {
    Value::from(serde_json::Value::Array(list).to_string())
}

/// `"table"."column"`; table and column names here are plain words.
fn qualified<C: ColumnTrait>(column: C) -> String {
    format!("\"{}\".\"{}\"", column.entity_name(), column.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entity::citizen_address;
    use crate::store::scratch_sqlite;
    use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryTrait, Statement};

    #[test]
    fn a_list_of_any_length_is_one_statement_text() {
        let texts: std::collections::HashSet<String> = [vec![], vec![1i64], vec![3, 1, 2]]
            .into_iter()
            .map(|ids| {
                citizen_address::Entity::find()
                    .filter(one_of(DbBackend::Sqlite, citizen_address::Column::Id, ids))
                    .build(DbBackend::Sqlite)
                    .sql
            })
            .collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
    }

    #[tokio::test]
    async fn sqlite_finds_exactly_the_listed_rows() {
        let (store, _dir) = scratch_sqlite().await;
        let db = store.db();
        db.execute_unprepared(
            "INSERT INTO citizens (id, created_at) VALUES (1, '2026-01-01T00:00:00Z');
             INSERT INTO citizen_addresses (id, citizen_id, kind, address, created_at) VALUES
               (10, 1, 'whatsapp', '+628111', '2026-01-01T00:00:00Z'),
               (11, 1, 'telegram', '+628111', '2026-01-01T00:00:00Z'),
               (12, 1, 'email', 'a\"b''c@example.org', '2026-01-01T00:00:00Z')",
        )
        .await
        .unwrap();
        let ids = |rows: Vec<citizen_address::Model>| {
            let mut ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
            ids.sort_unstable();
            ids
        };
        let by_id = |list: Vec<i64>| {
            citizen_address::Entity::find()
                .filter(one_of(DbBackend::Sqlite, citizen_address::Column::Id, list))
                .all(db)
        };
        assert_eq!(ids(by_id(vec![12, 10, 99]).await.unwrap()), vec![10, 12]);
        assert_eq!(ids(by_id(vec![]).await.unwrap()), Vec::<i64>::new());

        let by_pair = |pairs: Vec<(&str, &str)>| {
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            citizen_address::Entity::find()
                .filter(pair_of(
                    DbBackend::Sqlite,
                    (
                        citizen_address::Column::Kind,
                        citizen_address::Column::Address,
                    ),
                    &pairs,
                ))
                .all(db)
        };
        let found = by_pair(vec![
            ("telegram", "+628111"),
            ("email", "a\"b'c@example.org"),
            ("whatsapp", "+628999"),
            ("+628111", "whatsapp"),
        ])
        .await
        .unwrap();
        assert_eq!(ids(found), vec![11, 12], "quotes in a value are data");
        assert!(by_pair(vec![]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn sqlite_looks_each_value_up_in_the_index() {
        let (store, _dir) = scratch_sqlite().await;
        let query = citizen_address::Entity::find()
            .filter(pair_of(
                DbBackend::Sqlite,
                (
                    citizen_address::Column::Kind,
                    citizen_address::Column::Address,
                ),
                &[("whatsapp".into(), "+628111".into())],
            ))
            .build(DbBackend::Sqlite);
        let plan = store
            .db()
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", query.sql),
                query.values.unwrap().0,
            ))
            .await
            .unwrap();
        let details: Vec<String> = plan
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect();
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("SEARCH citizen_addresses USING INDEX")),
            "{details:?}"
        );
    }
}

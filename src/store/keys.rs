//! Keys of auto-increment `id` columns, reserved before the rows are
//! inserted, so that a script's later statements can name rows its earlier
//! ones insert.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use std::collections::HashMap;

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

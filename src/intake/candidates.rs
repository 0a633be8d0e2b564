//! Reading duplicate candidates: what judging a first report needs of
//! its stored row, for many ids at once.

use super::duplicates::is_live_status;
use crate::complaint::Status;
use crate::dedup::{place::Place, Report};
use crate::store::entity::complaint;
use crate::store::lists;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, DerivePartialModel, EntityTrait,
    FromQueryResult, QueryFilter, QueryResult, SelectModel, Selector, Statement,
};
use std::collections::HashMap;

/// What judging a duplicate candidate needs of its row; the text is not
/// read again (the index judged it).
#[derive(Debug, Clone, PartialEq, DerivePartialModel)]
#[sea_orm(entity = "complaint::Entity")]
pub struct Candidate {
    pub id: i64,
    pub tracking_code: String,
    pub citizen_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub kelurahan_code: Option<String>,
    pub category: Option<String>,
    pub status: String,
    pub duplicate_of: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl Candidate {
    pub(super) fn report(&self) -> Report {
        Report {
            citizen_id: self.citizen_id,
            place: Place {
                lat: self.lat,
                lon: self.lon,
                kelurahan_code: self.kelurahan_code.clone(),
            },
            category: self.category.clone(),
            at: self.created_at,
        }
    }
}

/// The rows of complaints `ids` that may be a first report to join (not
/// linked to another, not closed or rejected: what
/// [`super::duplicates::first_among`] asks), as far as judging them
/// needs. Ended reports are not read at all.
pub async fn candidates<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<Candidate>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(candidates_statement(backend, ids)).await?;
    candidates_from(backend, &rows)
}

/// The column a packed candidate read (see [`candidates_statement`])
/// returns its one row in.
const PACKED: &str = "satupintu_candidates";

/// The statement of [`candidates`]; read its rows with
/// [`candidates_from`]. On SQLite every candidate comes back in one row,
/// packed as a JSON array of arrays: sqlx hands each row from its SQLite
/// worker thread to the reader on its own, a thread wake-up each, and
/// intake's batch writer reads dozens of candidates while it holds the
/// one write slot. PostgreSQL sends rows together; there they stay rows.
///
/// JSON holds a real with 15 significant digits; the coordinates go as
/// text with 17, which give back the very same `f64`.
pub fn candidates_statement(backend: DbBackend, ids: impl IntoIterator<Item = i64>) -> Statement {
    let plain = candidates_query(backend, ids).into_statement(backend);
    let exact = |column| {
        format!("CASE WHEN {column} IS NULL THEN NULL ELSE printf('%!.17g', {column}) END")
    };
    match backend {
        DbBackend::Sqlite => Statement {
            sql: format!(
                "SELECT json_group_array(json_array(c.id, c.tracking_code, c.citizen_id, \
                 {}, {}, c.kelurahan_code, c.category, c.status, c.duplicate_of, \
                 c.created_at)) AS {PACKED} FROM ({}) AS c",
                exact("c.lat"),
                exact("c.lon"),
                plain.sql
            ),
            ..plain
        },
        _ => plain,
    }
}

/// The candidates in `rows` read by [`candidates_statement`].
pub fn candidates_from(backend: DbBackend, rows: &[QueryResult]) -> Result<Vec<Candidate>, DbErr> {
    match backend {
        DbBackend::Sqlite => {
            let mut out = Vec::new();
            for row in rows {
                let packed: String = row.try_get("", PACKED)?;
                out.extend(unpack(&packed)?);
            }
            Ok(out)
        }
        _ => rows
            .iter()
            .map(|row| Candidate::from_query_result(row, ""))
            .collect(),
    }
}

/// One packed candidate, in the column order of [`candidates_statement`].
type Packed = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    String,
);

fn unpack(packed: &str) -> Result<Vec<Candidate>, DbErr> {
    let rows: Vec<Packed> = serde_json::from_str(packed)
        .map_err(|e| DbErr::Type(format!("packed duplicate candidates: {e}")))?;
    rows.into_iter()
        .map(
            |(id, code, citizen, lat, lon, kelurahan, category, status, first, at)| {
                let coordinate = |text: Option<String>, column: &str| {
                    text.map(|t| {
                        t.parse::<f64>().map_err(|_| {
                            DbErr::Type(format!("complaints.{column} of {id}: not a number: {t:?}"))
                        })
                    })
                    .transpose()
                };
                Ok(Candidate {
                    id,
                    tracking_code: code,
                    citizen_id: citizen,
                    lat: coordinate(lat, "lat")?,
                    lon: coordinate(lon, "lon")?,
                    kelurahan_code: kelurahan,
                    category,
                    status,
                    duplicate_of: first,
                    created_at: stored_time(&at).ok_or_else(|| {
                        DbErr::Type(format!("complaints.created_at of {id}: not a time: {at:?}"))
                    })?,
                })
            },
        )
        .collect()
}

/// A time as SQLite holds it: RFC 3339 as written here, or SQLite's own
/// `YYYY-MM-DD HH:MM:SS` (UTC) with an offset or without.
fn stored_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// The query of [`candidates`], as rows.
fn candidates_query(
    backend: DbBackend,
    ids: impl IntoIterator<Item = i64>,
) -> Selector<SelectModel<Candidate>> {
    let ended = Status::ALL
        .into_iter()
        .filter(|s| !is_live_status(s.as_str()))
        .map(|s| s.as_str());
    complaint::Entity::find()
        .filter(lists::one_of(backend, complaint::Column::Id, ids))
        .filter(complaint::Column::DuplicateOf.is_null())
        .filter(complaint::Column::Status.is_not_in(ended))
        .into_partial_model()
}

/// Candidate rows by complaint id, for [`super::duplicates::first_among`].
pub fn by_id(rows: Vec<Candidate>) -> HashMap<i64, Candidate> {
    rows.into_iter().map(|c| (c.id, c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scratch_sqlite;

    #[tokio::test]
    async fn packed_candidates_read_exactly_as_rows_do() {
        let (store, _dir) = scratch_sqlite().await;
        let db = store.db();
        db.execute_unprepared(
            "INSERT INTO citizens (id, display_name, created_at) \
             VALUES (7, 'Siti', '2026-11-24T07:00:00+00:00')",
        )
        .await
        .unwrap();
        // Seventeen significant digits, a quote in a code, SQLite's own
        // time format, nothing optional set; then two that may not be
        // joined (ended, already linked).
        db.execute_unprepared(
            "INSERT INTO complaints (id, tracking_code, citizen_id, channel, channel_account, \
             body, category, lat, lon, kelurahan_code, anonim, rahasia, status, duplicate_of, \
             created_at, updated_at) VALUES \
             (1, 'PDG-\"1', 7, 'web', 'form', 'a', 'jalan', -0.94988294711934912, \
              100.35432109876543, '13.71.06.1008', 0, 0, 'received', NULL, \
              '2026-11-24T07:03:11.779928807+00:00', '2026-11-24T07:03:11+00:00'), \
             (2, 'PDG-2', NULL, 'sms', 'modem', 'b', NULL, NULL, NULL, NULL, 1, 0, 'forwarded', \
              NULL, '2026-11-24 07:03:11', '2026-11-24 07:03:11'), \
             (3, 'PDG-3', NULL, 'sms', 'modem', 'c', NULL, NULL, NULL, NULL, 0, 0, 'closed', \
              NULL, '2026-11-24 07:03:12', '2026-11-24 07:03:12'), \
             (4, 'PDG-4', NULL, 'sms', 'modem', 'd', NULL, 1.5, 2, NULL, 0, 0, 'duplicate', \
              1, '2026-11-24 07:03:13.5+07:00', '2026-11-24 07:03:13')",
        )
        .await
        .unwrap();
        let ids = [1, 2, 3, 4, 99];
        let packed = candidates(db, ids).await.unwrap();
        let mut rows = candidates_query(DbBackend::Sqlite, ids)
            .all(db)
            .await
            .unwrap();
        rows.sort_by_key(|c| c.id);
        assert_eq!(packed.len(), 2, "{packed:?}");
        assert_eq!(packed, rows);
        assert_eq!(packed[0].lat, Some(-0.949_882_947_119_349_2));
        assert_eq!(packed[0].tracking_code, "PDG-\"1");
        assert!(candidates(db, []).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn packed_coordinates_are_the_very_same_numbers() {
        let (store, _dir) = scratch_sqlite().await;
        let db = store.db();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut expected = Vec::new();
        for id in 1..=500_i64 {
            let (lat, lon) = (next() * 2.0 - 1.5, 100.0 + next() * 1e-3 + next() * 1e-12);
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO complaints (id, tracking_code, channel, channel_account, body, \
                 lat, lon, anonim, rahasia, status, created_at, updated_at) \
                 VALUES (?, ?, 'web', 'form', 'x', ?, ?, 0, 0, 'received', ?, ?)",
                [
                    id.into(),
                    format!("PDG-{id}").into(),
                    lat.into(),
                    lon.into(),
                    "2026-11-24T07:00:00+00:00".into(),
                    "2026-11-24T07:00:00+00:00".into(),
                ],
            ))
            .await
            .unwrap();
            expected.push((id, lat, lon));
        }
        let packed = candidates(db, 1..=500).await.unwrap();
        let mut read: Vec<(i64, f64, f64)> = packed
            .iter()
            .map(|c| (c.id, c.lat.unwrap(), c.lon.unwrap()))
            .collect();
        read.sort_by_key(|r| r.0);
        assert_eq!(read, expected);
    }

    #[test]
    fn stored_times_in_every_form_sqlite_keeps() {
        let at = |s| stored_time(s).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2026-11-24T07:03:11.5+00:00").as_deref(),
            Some("2026-11-24T07:03:11.500+00:00")
        );
        assert_eq!(
            at("2026-11-24 14:03:11+07:00").as_deref(),
            Some("2026-11-24T07:03:11+00:00")
        );
        assert_eq!(
            at("2026-11-24 07:03:11").as_deref(),
            Some("2026-11-24T07:03:11+00:00")
        );
        assert_eq!(at("yesterday"), None);
        assert!(
            unpack(r#"[[1,"X",null,null,null,null,null,"received",null,"yesterday"]]"#).is_err()
        );
        assert!(unpack("not json").is_err());
        assert!(unpack(
            r#"[[1,"X",null,"north",null,null,null,"received",null,"2026-11-24 07:03:11"]]"#
        )
        .is_err());
    }
}

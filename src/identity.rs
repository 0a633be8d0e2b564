//! Identity: which citizen a message comes from. A citizen is one person
//! with many addresses; an address already known names its citizen. When
//! one message carries addresses of two citizen records (a Telegram user
//! sharing their own phone number), the records are merged, the merge is
//! recorded, and an operator can undo it.

use crate::store::entity::{citizen, citizen_address, citizen_merge, complaint};
use crate::store::lists;
use adapters::Address;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    Select, Set,
};
use std::collections::BTreeSet;

/// Who a message comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sender {
    pub citizen_id: i64,
    /// The citizen record was created for this message: none of its
    /// addresses was known, so the citizen has no complaints yet.
    pub new: bool,
    /// The stored rows of the message's addresses that were known before
    /// it, as they were.
    pub known: Vec<citizen_address::Model>,
}

/// Finds the citizen behind any of `addresses`, creating one when none is
/// known, merging records the message shows to be one person, and
/// recording the addresses not yet linked. `None` when the message
/// carries no address at all (an anonymous web form).
pub async fn identify<C: ConnectionTrait>(
    db: &C,
    addresses: &[Address],
    display_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Sender>, DbErr> {
    if addresses.is_empty() {
        return Ok(None);
    }
    let rows = known_addresses(db, addresses).await?;
    let known: Vec<Option<i64>> = addresses
        .iter()
        .map(|a| {
            rows.iter()
                .find(|r| r.kind == a.kind() && r.address == a.value())
                .map(|r| r.citizen_id)
        })
        .collect();
    let citizens: BTreeSet<i64> = known.iter().flatten().copied().collect();
    let (citizen_id, new) = match citizens.first() {
        Some(&oldest) => {
            for &other in citizens.iter().skip(1) {
                if !was_undone(db, oldest, other).await? {
                    merge(
                        db,
                        oldest,
                        other,
                        "one message carried addresses of both",
                        now,
                    )
                    .await?;
                }
            }
            (oldest, false)
        }
        None => {
            let id = citizen::Entity::insert(citizen_row(display_name, now))
                .exec(db)
                .await?
                .last_insert_id;
            (id, true)
        }
    };
    let mut seen = BTreeSet::new();
    let unknown: Vec<_> = addresses
        .iter()
        .zip(known)
        .filter(|(a, found)| found.is_none() && seen.insert((a.kind(), a.value())))
        .map(|(a, _)| address_row(citizen_id, a, now))
        .collect();
    if !unknown.is_empty() {
        citizen_address::Entity::insert_many(unknown)
            .exec_without_returning(db)
            .await?;
    }
    Ok(Some(Sender {
        citizen_id,
        new,
        known: rows,
    }))
}

/// The stored rows of those of `addresses` that are known, in one
/// statement (each pair is a search of the unique index on kind and
/// address).
pub async fn known_addresses<C: ConnectionTrait>(
    db: &C,
    addresses: &[Address],
) -> Result<Vec<citizen_address::Model>, DbErr> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    known_addresses_query(db.get_database_backend(), addresses)
        .all(db)
        .await
}

/// The query of [`known_addresses`], for `addresses` (at least one).
pub fn known_addresses_query(
    backend: DbBackend,
    addresses: &[Address],
) -> Select<citizen_address::Entity> {
    let pairs: Vec<(String, String)> = addresses
        .iter()
        .map(|a| (a.kind().to_string(), a.value()))
        .collect();
    citizen_address::Entity::find().filter(lists::pair_of(
        backend,
        (
            citizen_address::Column::Kind,
            citizen_address::Column::Address,
        ),
        &pairs,
    ))
}

/// A new citizen record.
pub fn citizen_row(display_name: Option<&str>, now: DateTime<Utc>) -> citizen::ActiveModel {
    citizen::ActiveModel {
        display_name: Set(display_name.map(str::to_string)),
        created_at: Set(now),
        ..Default::default()
    }
}

/// `address` recorded as one of `citizen_id`'s.
pub fn address_row(
    citizen_id: i64,
    address: &Address,
    now: DateTime<Utc>,
) -> citizen_address::ActiveModel {
    citizen_address::ActiveModel {
        citizen_id: Set(citizen_id),
        kind: Set(address.kind().to_string()),
        address: Set(address.value()),
        created_at: Set(now),
        unreachable_at: Set(None),
        unreachable_on: Set(None),
        ..Default::default()
    }
}

/// An operator undid a merge of these two: do not merge them again.
async fn was_undone<C: ConnectionTrait>(db: &C, a: i64, b: i64) -> Result<bool, DbErr> {
    Ok(citizen_merge::Entity::find()
        .filter(citizen_merge::Column::IntoCitizenId.is_in([a, b]))
        .filter(citizen_merge::Column::FromCitizenId.is_in([a, b]))
        .filter(citizen_merge::Column::UndoneAt.is_not_null())
        .one(db)
        .await?
        .is_some())
}

/// Moves `from`'s addresses and complaints to `into` and records it.
pub async fn merge<C: ConnectionTrait>(
    db: &C,
    into: i64,
    from: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let addresses: Vec<i64> = citizen_address::Entity::find()
        .filter(citizen_address::Column::CitizenId.eq(from))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    let complaints: Vec<i64> = complaint::Entity::find()
        .filter(complaint::Column::CitizenId.eq(from))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    citizen_address::Entity::update_many()
        .col_expr(citizen_address::Column::CitizenId, into.into())
        .filter(citizen_address::Column::Id.is_in(addresses.clone()))
        .exec(db)
        .await?;
    complaint::Entity::update_many()
        .col_expr(complaint::Column::CitizenId, Some(into).into())
        .filter(complaint::Column::Id.is_in(complaints.clone()))
        .exec(db)
        .await?;
    let row = citizen_merge::ActiveModel {
        into_citizen_id: Set(into),
        from_citizen_id: Set(from),
        moved_addresses: Set(serde_json::json!(addresses)),
        moved_complaints: Set(serde_json::json!(complaints)),
        reason: Set(reason.to_string()),
        at: Set(now),
        undone_at: Set(None),
        undone_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(into, from, merge_id = row.id, "citizen records merged");
    Ok(row.id)
}

/// Moves back what a merge moved; `Ok(false)` when there is no such merge
/// or it was undone already.
pub async fn unmerge<C: ConnectionTrait>(
    db: &C,
    merge_id: i64,
    operator: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(m) = citizen_merge::Entity::find_by_id(merge_id).one(db).await? else {
        return Ok(false);
    };
    if m.undone_at.is_some() {
        return Ok(false);
    }
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
            .unwrap_or_default()
    };
    citizen_address::Entity::update_many()
        .col_expr(citizen_address::Column::CitizenId, m.from_citizen_id.into())
        .filter(citizen_address::Column::Id.is_in(ids(&m.moved_addresses)))
        .exec(db)
        .await?;
    complaint::Entity::update_many()
        .col_expr(complaint::Column::CitizenId, Some(m.from_citizen_id).into())
        .filter(complaint::Column::Id.is_in(ids(&m.moved_complaints)))
        .exec(db)
        .await?;
    let mut m: citizen_merge::ActiveModel = m.into();
    m.undone_at = Set(Some(now));
    m.undone_by = Set(Some(operator.to_string()));
    m.update(db).await?;
    Ok(true)
}

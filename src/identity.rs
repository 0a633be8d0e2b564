//! Identity: which citizen a message comes from. A citizen is one person
//! with many addresses; an address already known names its citizen.

use crate::store::entity::{citizen, citizen_address};
use adapters::Address;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

/// Finds the citizen behind any of `addresses`, creating one when none is
/// known, and records the addresses not yet linked. `None` when the
/// message carries no address at all (an anonymous web form).
pub async fn identify<C: ConnectionTrait>(
    db: &C,
    addresses: &[Address],
    display_name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    if addresses.is_empty() {
        return Ok(None);
    }
    let mut known = Vec::new();
    for a in addresses {
        let found = citizen_address::Entity::find()
            .filter(citizen_address::Column::Kind.eq(a.kind()))
            .filter(citizen_address::Column::Address.eq(a.value()))
            .one(db)
            .await?;
        known.push(found.map(|f| f.citizen_id));
    }
    let citizen_id = match known.iter().flatten().next() {
        Some(&id) => id,
        None => {
            citizen::ActiveModel {
                display_name: Set(display_name.map(str::to_string)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id
        }
    };
    for (a, found) in addresses.iter().zip(known) {
        if found.is_none() {
            citizen_address::ActiveModel {
                citizen_id: Set(citizen_id),
                kind: Set(a.kind().to_string()),
                address: Set(a.value()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(Some(citizen_id))
}

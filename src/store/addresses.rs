//! Queries about a citizen's addresses that other statements embed.

use super::entity::citizen_address::{self, Column as A};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};

/// The values of every address of `kinds` that belongs to the citizen
/// whose address is `kind` `value` (that one included when its kind is
/// among `kinds`); nothing when that address is not known. By the unique
/// index on kind and address, then the index on the citizen.
pub fn same_citizen(kind: &str, value: &str, kinds: &[&str]) -> SelectStatement {
    let (known, theirs) = (Alias::new("known"), Alias::new("theirs"));
    Query::select()
        .column((theirs.clone(), A::Address))
        .from_as(citizen_address::Entity, known.clone())
        .join_as(
            JoinType::InnerJoin,
            citizen_address::Entity,
            theirs.clone(),
            Expr::col((theirs.clone(), A::CitizenId)).equals((known.clone(), A::CitizenId)),
        )
        .and_where(Expr::col((known.clone(), A::Kind)).eq(kind))
        .and_where(Expr::col((known, A::Address)).eq(value))
        .and_where(Expr::col((theirs, A::Kind)).is_in(kinds.iter().copied()))
        .to_owned()
}

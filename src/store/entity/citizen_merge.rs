//! The `citizen_merges` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "citizen_merges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub into_citizen_id: i64,
    pub from_citizen_id: i64,
    /// Ids of the citizen_addresses rows moved.
    pub moved_addresses: Json,
    /// Ids of the complaints moved.
    pub moved_complaints: Json,
    pub reason: String,
    pub at: DateTimeUtc,
    pub undone_at: Option<DateTimeUtc>,
    pub undone_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! The `agency_queue_items` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_queue_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub agency: String,
    pub complaint_id: i64,
    pub outbox_id: i64,
    pub created_at: DateTimeUtc,
    /// Set when the agency handed the complaint back as not theirs.
    pub returned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

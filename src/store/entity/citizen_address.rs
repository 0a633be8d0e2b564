//! The `citizen_addresses` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "citizen_addresses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub citizen_id: i64,
    pub kind: String,
    pub address: String,
    pub created_at: DateTimeUtc,
    /// Set when the channel reported the address cannot be reached
    /// (a blocked bot, a bouncing mailbox).
    pub unreachable_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
    /// When a channel last reported the address cannot be reached (a
    /// blocked bot, a bouncing mailbox, a number SMS refuses).
    pub unreachable_at: Option<DateTimeUtc>,
    /// The channels that cannot reach the address, space separated (a
    /// phone number is one address for WhatsApp and SMS). A channel
    /// leaves the list when the citizen writes on it again.
    pub unreachable_on: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! The `intake_journal` table: messages taken from a provider and not yet
//! worked into complaints (see `intake::journal`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "intake_journal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub external_id: String,
    /// The message, as `intake::journal` keeps it.
    pub message: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub not_before: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The tracking code the sender was answered with (the web form), which
    /// the complaint made of the entry takes.
    pub tracking_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

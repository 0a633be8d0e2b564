//! The `complaints` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub tracking_code: String,
    pub citizen_id: Option<i64>,
    pub channel: String,
    pub channel_account: String,
    pub title: Option<String>,
    pub body: String,
    pub category: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address_text: Option<String>,
    pub kecamatan_code: Option<String>,
    pub kelurahan_code: Option<String>,
    pub anonim: bool,
    pub rahasia: bool,
    pub status: String,
    pub lapor_tracking_id: Option<String>,
    pub lapor_transaction_id: Option<String>,
    pub duplicate_of: Option<i64>,
    pub sla_due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When LAPOR! was last asked for this complaint's stage.
    pub lapor_checked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

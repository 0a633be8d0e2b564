//! The `sla_clocks` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_clocks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub complaint_id: i64,
    /// `verifikasi`, `tindak_lanjut` or `penutupan`.
    pub clock: String,
    pub started_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub stopped_at: Option<DateTimeUtc>,
    /// `met`, `missed`, `expired` (the closure clock ran out) or `cancelled`.
    pub outcome: Option<String>,
    pub warned_at: Option<DateTimeUtc>,
    pub overdue_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! SLA clocks after LAPOR!'s service standard: verification and
//! forwarding within 3 working days, agency follow-up within 5, closure
//! after 10 without the reporter's response. Clocks start and stop with
//! status changes, in the caller's transaction; `watch` warns and closes.

pub mod calendar;
pub mod report;
pub mod watch;

use crate::complaint::Status;
use crate::store::entity::{complaint, sla_clock};
use calendar::Calendar;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::{Deserialize, Serialize};

pub const VERIFY: &str = "verifikasi";
pub const FOLLOW_UP: &str = "tindak_lanjut";
pub const CLOSURE: &str = "penutupan";

/// Working days each clock allows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Policy {
    pub verify_days: u32,
    pub follow_up_days: u32,
    pub closure_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            verify_days: 3,
            follow_up_days: 5,
            closure_days: 10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sla {
    pub calendar: Calendar,
    pub policy: Policy,
}

async fn running<C: ConnectionTrait>(
    db: &C,
    complaint_id: i64,
    clock: &str,
) -> Result<Option<sla_clock::Model>, DbErr> {
    sla_clock::Entity::find()
        .filter(sla_clock::Column::ComplaintId.eq(complaint_id))
        .filter(sla_clock::Column::Clock.eq(clock))
        .filter(sla_clock::Column::StoppedAt.is_null())
        .one(db)
        .await
}

impl Sla {
    async fn start<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        clock: &str,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if running(db, complaint_id, clock).await?.is_some() {
            return Ok(());
        }
        sla_clock::ActiveModel {
            complaint_id: Set(complaint_id),
            clock: Set(clock.into()),
            started_at: Set(now),
            due_at: Set(self.calendar.add_working_days(now, days)),
            stopped_at: Set(None),
            outcome: Set(None),
            warned_at: Set(None),
            overdue_at: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }

    pub(crate) async fn stop<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        clock: &str,
        outcome: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        if let Some(c) = running(db, complaint_id, clock).await? {
            let outcome = outcome.unwrap_or(if now <= c.due_at { "met" } else { "missed" });
            let mut c: sla_clock::ActiveModel = c.into();
            c.stopped_at = Set(Some(now));
            c.outcome = Set(Some(outcome.into()));
            c.update(db).await?;
        }
        Ok(())
    }

    /// Keeps `complaints.sla_due_at` at the nearest running due time.
    async fn refresh_due<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let next = sla_clock::Entity::find()
            .filter(sla_clock::Column::ComplaintId.eq(complaint_id))
            .filter(sla_clock::Column::StoppedAt.is_null())
            .order_by_asc(sla_clock::Column::DueAt)
            .one(db)
            .await?
            .map(|c| c.due_at);
        complaint::Entity::update_many()
            .col_expr(complaint::Column::SlaDueAt, next.into())
            .col_expr(complaint::Column::UpdatedAt, now.into())
            .filter(complaint::Column::Id.eq(complaint_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// When a complaint received at `now` is due for verification: the
    /// nearest due time of a new complaint, written on its row from the
    /// start (see [`Self::on_new`]).
    pub fn verify_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar.add_working_days(now, self.policy.verify_days)
    }

    /// A complaint created in this transaction with `sla_due_at` set to
    /// [`Self::verify_due`]: it has no clocks yet, so the verification
    /// clock starts.
    pub async fn on_new<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        sla_clock::Entity::insert(Self::verify_clock(complaint_id, due_at, now))
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// The verification clock of a new complaint (for callers that insert
    /// many).
    pub fn verify_clock(
        complaint_id: i64,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> sla_clock::ActiveModel {
        sla_clock::ActiveModel {
            complaint_id: Set(complaint_id),
            clock: Set(VERIFY.into()),
            started_at: Set(now),
            due_at: Set(due_at),
            stopped_at: Set(None),
            outcome: Set(None),
            warned_at: Set(None),
            overdue_at: Set(None),
            ..Default::default()
        }
    }

    /// A complaint that becomes a first report (unlinked): the
    /// verification clock starts unless it runs already.
    pub async fn on_created<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        self.start(db, complaint_id, VERIFY, self.policy.verify_days, now)
            .await?;
        self.refresh_due(db, complaint_id, now).await
    }

    /// Moves the clocks for a status change (`kind` `reopened` restarts
    /// the follow-up clock).
    pub async fn on_status<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        to: Status,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let p = self.policy;
        match to {
            Status::Received => {}
            Status::Forwarded | Status::Verified | Status::Assigned => {
                self.stop(db, complaint_id, VERIFY, None, now).await?;
                self.start(db, complaint_id, FOLLOW_UP, p.follow_up_days, now)
                    .await?;
            }
            Status::InProgress if kind == "reopened" => {
                self.stop(db, complaint_id, CLOSURE, Some("cancelled"), now)
                    .await?;
                self.start(db, complaint_id, FOLLOW_UP, p.follow_up_days, now)
                    .await?;
            }
            Status::InProgress => {
                self.stop(db, complaint_id, VERIFY, None, now).await?;
                self.stop(db, complaint_id, FOLLOW_UP, None, now).await?;
            }
            Status::Resolved => {
                self.stop(db, complaint_id, VERIFY, None, now).await?;
                self.stop(db, complaint_id, FOLLOW_UP, None, now).await?;
                self.start(db, complaint_id, CLOSURE, p.closure_days, now)
                    .await?;
            }
            Status::Closed | Status::Duplicate | Status::Rejected => {
                for clock in [VERIFY, FOLLOW_UP] {
                    self.stop(db, complaint_id, clock, Some("cancelled"), now)
                        .await?;
                }
                // The watcher stops an expired closure clock itself first.
                let outcome = if to == Status::Closed {
                    "closed"
                } else {
                    "cancelled"
                };
                self.stop(db, complaint_id, CLOSURE, Some(outcome), now)
                    .await?;
            }
        }
        self.refresh_due(db, complaint_id, now).await
    }
}

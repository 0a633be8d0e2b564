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
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
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

/// A clock started at `now`, due at `due_at`.
fn new_clock(
    complaint_id: i64,
    clock: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sla_clock::ActiveModel {
    sla_clock::ActiveModel {
        complaint_id: Set(complaint_id),
        clock: Set(clock.into()),
        started_at: Set(now),
        due_at: Set(due_at),
        stopped_at: Set(None),
        outcome: Set(None),
        warned_at: Set(None),
        overdue_at: Set(None),
        ..Default::default()
    }
}

/// Stops a running clock with `outcome`, or met or missed by its due time.
async fn stop_clock<C: ConnectionTrait>(
    db: &C,
    c: &sla_clock::Model,
    outcome: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let outcome = outcome.unwrap_or(if now <= c.due_at { "met" } else { "missed" });
    sla_clock::Entity::update_many()
        .col_expr(sla_clock::Column::StoppedAt, Some(now).into())
        .col_expr(sla_clock::Column::Outcome, Some(outcome).into())
        .filter(sla_clock::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes the complaint's nearest running due time.
async fn set_due<C: ConnectionTrait>(
    db: &C,
    complaint_id: i64,
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    complaint::Entity::update_many()
        .col_expr(complaint::Column::SlaDueAt, next.into())
        .col_expr(complaint::Column::UpdatedAt, now.into())
        .filter(complaint::Column::Id.eq(complaint_id))
        .exec(db)
        .await?;
    Ok(())
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
        self.insert_clock(db, complaint_id, clock, days, now)
            .await?;
        Ok(())
    }

    /// Starts `clock`, due `days` working days from `now`; returns when.
    async fn insert_clock<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        clock: &str,
        days: u32,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, DbErr> {
        let due_at = self.calendar.add_working_days(now, days);
        sla_clock::Entity::insert(new_clock(complaint_id, clock, due_at, now))
            .exec_without_returning(db)
            .await?;
        Ok(due_at)
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
            stop_clock(db, &c, outcome, now).await?;
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
        set_due(db, complaint_id, next, now).await
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
        new_clock(complaint_id, VERIFY, due_at, now)
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
    /// the follow-up clock). The running clocks are read once, and the
    /// complaint's nearest due time follows from them.
    pub async fn on_status<C: ConnectionTrait>(
        &self,
        db: &C,
        complaint_id: i64,
        to: Status,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let Some(Moves { stops, start }) = self.plan(to, kind) else {
            return Ok(());
        };
        let mut clocks = sla_clock::Entity::find()
            .filter(sla_clock::Column::ComplaintId.eq(complaint_id))
            .filter(sla_clock::Column::StoppedAt.is_null())
            .all(db)
            .await?;
        for (clock, outcome) in stops {
            for c in clocks.iter().filter(|c| c.clock == clock) {
                stop_clock(db, c, outcome, now).await?;
            }
            clocks.retain(|c| c.clock != clock);
        }
        let mut next = clocks.iter().map(|c| c.due_at).min();
        if let Some((clock, days)) = start {
            if !clocks.iter().any(|c| c.clock == clock) {
                let due_at = self
                    .insert_clock(db, complaint_id, clock, days, now)
                    .await?;
                next = Some(next.map_or(due_at, |n| n.min(due_at)));
            }
        }
        set_due(db, complaint_id, next, now).await
    }

    /// The clocks a status change moves; `None` when it moves none.
    fn plan(&self, to: Status, kind: &str) -> Option<Moves> {
        let p = self.policy;
        let (stops, start) = match to {
            Status::Received => return None,
            Status::Forwarded | Status::Verified | Status::Assigned => {
                (vec![(VERIFY, None)], Some((FOLLOW_UP, p.follow_up_days)))
            }
            Status::InProgress if kind == "reopened" => (
                vec![(CLOSURE, Some("cancelled"))],
                Some((FOLLOW_UP, p.follow_up_days)),
            ),
            Status::InProgress => (vec![(VERIFY, None), (FOLLOW_UP, None)], None),
            Status::Resolved => (
                vec![(VERIFY, None), (FOLLOW_UP, None)],
                Some((CLOSURE, p.closure_days)),
            ),
            Status::Closed | Status::Duplicate | Status::Rejected => {
                // The watcher stops an expired closure clock itself first.
                let closure = if to == Status::Closed {
                    "closed"
                } else {
                    "cancelled"
                };
                (
                    vec![
                        (VERIFY, Some("cancelled")),
                        (FOLLOW_UP, Some("cancelled")),
                        (CLOSURE, Some(closure)),
                    ],
                    None,
                )
            }
        };
        Some(Moves { stops, start })
    }
}

/// What a status change does to a complaint's clocks.
struct Moves {
    /// Clocks to stop, with the outcome to record (none: met or missed by
    /// the due time).
    stops: Vec<(&'static str, Option<&'static str>)>,
    /// The clock to start, with its working days, unless it runs already.
    start: Option<(&'static str, u32)>,
}

//! SLA compliance per agency: for the clocks started in a period, how many
//! ended within the standard, how many missed it, how many still run, and
//! the median time taken in working days; as a table or as CSV.

use super::{Sla, CLOSURE};
use crate::store::entity::{outbox, sla_clock};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// The destination the complaint was delivered to (an agency queue,
    /// LAPOR!), `-` when none.
    pub agency: String,
    pub clock: String,
    pub total: usize,
    pub met: usize,
    pub missed: usize,
    /// Still running, not yet due.
    pub running: usize,
    /// Still running and past due (counted as missed in the share).
    pub overdue: usize,
    /// Median working days of the clocks that stopped.
    pub median_days: Option<f64>,
}

impl Row {
    /// Share within the standard among clocks decided (met, missed or overdue).
    pub fn share_met(&self) -> Option<f64> {
        let decided = self.met + self.missed + self.overdue;
        (decided > 0).then(|| self.met as f64 / decided as f64)
    }
}

/// The destination each complaint was first delivered to.
async fn first_destinations<C: ConnectionTrait>(
    db: &C,
    ids: impl Iterator<Item = i64>,
) -> Result<BTreeMap<i64, String>, DbErr> {
    let mut agency = BTreeMap::new();
    for row in outbox::Entity::find()
        .filter(outbox::Column::ComplaintId.is_in(ids.collect::<Vec<_>>()))
        .filter(outbox::Column::Kind.eq(crate::store::outbox::KIND_DELIVERY))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?
    {
        if let Some(id) = row.complaint_id {
            agency.entry(id).or_insert(row.destination);
        }
    }
    Ok(agency)
}

pub async fn compute<C: ConnectionTrait>(
    db: &C,
    sla: &Sla,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Row>, DbErr> {
    let clocks = sla_clock::Entity::find()
        .filter(sla_clock::Column::StartedAt.gte(from))
        .filter(sla_clock::Column::StartedAt.lt(to))
        .filter(sla_clock::Column::Clock.ne(CLOSURE))
        .all(db)
        .await?;
    let agency = first_destinations(db, clocks.iter().map(|c| c.complaint_id)).await?;
    let mut groups: BTreeMap<(String, String), (Row, Vec<f64>)> = BTreeMap::new();
    for c in clocks {
        if c.outcome.as_deref() == Some("cancelled") {
            continue;
        }
        let name = agency
            .get(&c.complaint_id)
            .cloned()
            .unwrap_or_else(|| "-".into());
        let (row, durations) = groups
            .entry((name.clone(), c.clock.clone()))
            .or_insert_with(|| {
                (
                    Row {
                        agency: name,
                        clock: c.clock.clone(),
                        ..Default::default()
                    },
                    Vec::new(),
                )
            });
        row.total += 1;
        match (c.stopped_at, c.outcome.as_deref()) {
            (Some(stopped), outcome) => {
                if outcome == Some("met") {
                    row.met += 1;
                } else {
                    row.missed += 1;
                }
                durations.push(sla.calendar.working_days_between(c.started_at, stopped));
            }
            (None, _) if c.due_at < now => row.overdue += 1,
            (None, _) => row.running += 1,
        }
    }
    Ok(groups
        .into_values()
        .map(|(mut row, mut d)| {
            d.sort_by(|a, b| a.total_cmp(b));
            row.median_days = match d.len() {
                0 => None,
                n if n % 2 == 1 => Some(d[n / 2]),
                n => Some((d[n / 2 - 1] + d[n / 2]) / 2.0),
            };
            row
        })
        .collect())
}

/// Running clocks by (agency, clock, running|overdue), for `/metrics`.
pub async fn running_counts<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<Vec<((String, String, &'static str), i64)>, DbErr> {
    let clocks = sla_clock::Entity::find()
        .filter(sla_clock::Column::StoppedAt.is_null())
        .all(db)
        .await?;
    let agency = first_destinations(db, clocks.iter().map(|c| c.complaint_id)).await?;
    let mut counts: BTreeMap<(String, String, &'static str), i64> = BTreeMap::new();
    for c in clocks {
        let name = agency
            .get(&c.complaint_id)
            .cloned()
            .unwrap_or_else(|| "-".into());
        let state = if c.due_at < now { "overdue" } else { "running" };
        *counts.entry((name, c.clock, state)).or_default() += 1;
    }
    Ok(counts.into_iter().collect())
}

fn fmt_share(row: &Row) -> String {
    row.share_met()
        .map(|s| format!("{:.1}%", s * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn fmt_median(row: &Row) -> String {
    row.median_days
        .map(|d| format!("{d:.2}"))
        .unwrap_or_else(|| "-".into())
}

pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<20} {:<14} {:>6} {:>6} {:>7} {:>8} {:>8} {:>9} {:>12}\n",
        "agency", "clock", "total", "met", "missed", "overdue", "running", "met %", "median days"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<20} {:<14} {:>6} {:>6} {:>7} {:>8} {:>8} {:>9} {:>12}\n",
            r.agency,
            r.clock,
            r.total,
            r.met,
            r.missed,
            r.overdue,
            r.running,
            fmt_share(r),
            fmt_median(r)
        ));
    }
    out
}

pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "agency,clock,total,met,missed,overdue,running,share_met,median_working_days\n",
    );
    for r in rows {
        let share = r.share_met().map(|s| format!("{s:.4}")).unwrap_or_default();
        let median = r.median_days.map(|d| format!("{d:.3}")).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{share},{median}\n",
            r.agency, r.clock, r.total, r.met, r.missed, r.overdue, r.running
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_formats() {
        let row = Row {
            agency: "pupr".into(),
            clock: "tindak_lanjut".into(),
            total: 4,
            met: 2,
            missed: 1,
            running: 0,
            overdue: 1,
            median_days: Some(3.5),
        };
        assert_eq!(row.share_met(), Some(0.5));
        assert!(table(&[row.clone()]).contains("50.0%"));
        assert_eq!(
            csv(&[row]).lines().nth(1).unwrap(),
            "pupr,tindak_lanjut,4,2,1,1,0,0.5000,3.500"
        );
        assert_eq!(Row::default().share_met(), None);
    }
}

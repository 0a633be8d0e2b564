//! Duplicate detection: whether a new text repeats the same citizen's open
//! complaint, or reports the problem another citizen reported first. It
//! judges and remembers signatures; it never writes complaints (intake does).

mod bands;
pub mod eval;
pub mod index;
pub mod minhash;
pub mod place;
mod slots;
pub mod sync;

use crate::complaint::Status;
use crate::config::DedupConfig;
use crate::normalize::NormalizedText;
use crate::store::entity::complaint;
use chrono::{DateTime, Duration, Utc};
use index::LshIndex;
pub use minhash::Signature;
use place::{same_place, Place};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::sync::Mutex;

/// A report as duplicate detection sees it.
#[derive(Debug, Clone)]
pub struct Report {
    pub citizen_id: Option<i64>,
    pub place: Place,
    pub category: Option<String>,
    pub at: DateTime<Utc>,
}

impl Report {
    pub fn of(c: &complaint::Model) -> Report {
        Report {
            citizen_id: c.citizen_id,
            place: Place {
                lat: c.lat,
                lon: c.lon,
                kelurahan_code: c.kelurahan_code.clone(),
            },
            category: c.category.clone(),
            at: c.created_at,
        }
    }
}

pub struct Dedup {
    config: DedupConfig,
    index: Mutex<LshIndex>,
}

impl Dedup {
    pub fn new(config: DedupConfig) -> Dedup {
        let index = LshIndex::new(config.lsh_bands, config.lsh_rows);
        Dedup {
            config,
            index: Mutex::new(index),
        }
    }

    pub fn config(&self) -> &DedupConfig {
        &self.config
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    pub fn signature(&self, text: &str) -> Option<Signature> {
        Signature::of(text, self.signature_len())
    }

    /// [`Dedup::signature`] of an already normalised text.
    pub fn signature_of(&self, text: &NormalizedText) -> Option<Signature> {
        Signature::of_normalized(text, self.signature_len())
    }

    fn signature_len(&self) -> usize {
        self.config.lsh_bands * self.config.lsh_rows
    }

    pub fn repeat_window(&self) -> Duration {
        Duration::days(self.config.repeat_window_days.into())
    }

    pub fn duplicate_window(&self) -> Duration {
        Duration::hours(self.config.duplicate_window_hours.into())
    }

    /// Whether `new` repeats a text whose signature is `old`.
    pub fn is_repeat(&self, new: &Signature, old: &Signature) -> bool {
        new.similarity(old) >= self.config.repeat_threshold
    }

    /// How similar `new` is to `first`, when near enough for a duplicate
    /// (the threshold [`Dedup::candidates`] applies to indexed texts).
    pub fn near(&self, new: &Signature, first: &Signature) -> Option<f64> {
        let similarity = new.similarity(first);
        (similarity >= self.config.duplicate_threshold).then_some(similarity)
    }

    /// Indexed complaints whose text is near enough to `sig`, most similar first.
    pub fn candidates(&self, sig: &Signature) -> Vec<(i64, f64)> {
        let index = self.index.lock().expect("dedup index lock");
        index
            .candidates(sig)
            .into_iter()
            .filter(|(_, s)| *s >= self.config.duplicate_threshold)
            .collect()
    }

    /// Whether `new` (text near enough already) reports the same problem as
    /// `first`: another citizen, the same place, within the window, and the
    /// same category when both are known.
    pub fn same_problem(&self, new: &Report, first: &Report) -> bool {
        let other_citizen = new.citizen_id.is_none() || new.citizen_id != first.citizen_id;
        let in_window = new.at - first.at <= self.duplicate_window() && first.at <= new.at;
        let category = match (&new.category, &first.category) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        other_citizen
            && in_window
            && category
            && same_place(&new.place, &first.place, self.config.radius_m)
    }

    /// Indexes a first report; forgets what left the window.
    pub fn remember(&self, id: i64, sig: Signature, at: DateTime<Utc>) {
        let mut index = self.index.lock().expect("dedup index lock");
        index.insert(id, sig, at);
        index.evict_before(Utc::now() - self.duplicate_window());
    }

    /// No longer a first report (linked to another, closed).
    pub fn forget(&self, id: i64) {
        self.index.lock().expect("dedup index lock").remove(id);
    }

    /// Whether complaint `id` is indexed as a first report.
    pub fn contains(&self, id: i64) -> bool {
        self.index.lock().expect("dedup index lock").contains(id)
    }

    pub fn indexed(&self) -> usize {
        self.index.lock().expect("dedup index lock").len()
    }

    /// Heap bytes the index holds.
    pub fn index_bytes(&self) -> usize {
        self.index.lock().expect("dedup index lock").heap_bytes()
    }

    /// Whether `c` belongs in the index at `now`: a first report (joined
    /// to none), still open, made within the duplicate window.
    pub fn indexes(&self, c: &complaint::Model, now: DateTime<Utc>) -> bool {
        self.enabled()
            && c.duplicate_of.is_none()
            && c.status.parse::<Status>().is_ok_and(Status::is_open)
            && c.created_at >= now - self.duplicate_window()
    }

    /// Brings the index in line with `c` as stored: remembered (again, as
    /// its text may have grown) when it belongs there, else forgotten.
    pub fn refresh(&self, c: &complaint::Model, now: DateTime<Utc>) {
        match self.indexes(c, now).then(|| self.signature(&c.body)) {
            Some(Some(sig)) => self.remember(c.id, sig, c.created_at),
            _ => self.forget(c.id),
        }
    }

    /// Fills the index from the first reports still in the window, oldest first.
    pub async fn rebuild<C: ConnectionTrait>(&self, db: &C) -> Result<usize, DbErr> {
        if !self.enabled() {
            return Ok(0);
        }
        let now = Utc::now();
        let rows = complaint::Entity::find()
            .filter(complaint::Column::CreatedAt.gte(now - self.duplicate_window()))
            .filter(complaint::Column::DuplicateOf.is_null())
            .filter(complaint::Column::Status.is_not_in(["closed", "rejected", "duplicate"]))
            .order_by_asc(complaint::Column::CreatedAt)
            .all(db)
            .await?;
        self.index
            .lock()
            .expect("dedup index lock")
            .reserve(rows.len());
        let mut n = 0;
        for c in rows.iter().filter(|c| self.indexes(c, now)) {
            if let Some(sig) = self.signature(&c.body) {
                self.remember(c.id, sig, c.created_at);
                n += 1;
            }
        }
        Ok(n)
    }
}

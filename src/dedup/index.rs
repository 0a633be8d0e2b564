//! The in-memory LSH index: MinHash signatures cut into bands, each band
//! hashed into a bucket, so a lookup touches only texts sharing a band.
//! It holds complaint ids and signatures only; it never reads the database.
//!
//! Memory is flat: signatures, ids and times live in slot arrays
//! (`slots`), and each band is one table of `u32` entries (`bands`), plus
//! one more table from complaint id to slot. Nothing is allocated per
//! complaint. A bucket keeps its newest `MAX_PER_BUCKET` complaints, and a
//! lookup judges at most `MAX_CANDIDATES` of what it found (those sharing
//! the rarest bands), so its work is bounded however large the store is.

use super::bands::{BandTable, Packing};
use super::minhash::{mix, Signature};
use super::slots::Slots;
use chrono::{DateTime, Utc};

/// Most complaints one bucket keeps, the newest. A bucket of thousands
/// shares only common wording; reading all of it would make a lookup grow
/// with the store, and the newest reports are the likely firsts.
pub const MAX_PER_BUCKET: usize = 32;

/// Most complaints a lookup compares signatures with: those sharing the
/// most with the new text, where a band shared by few complaints counts
/// for more than one shared with a full bucket of common wording.
pub const MAX_CANDIDATES: usize = 64;

/// Table positions per slot of room: tables stay at most 77% full, so
/// probe runs stay short even around full buckets.
const TABLE_PER_SLOT: f64 = 1.3;

/// The first room made, and how room grows: by an eighth, so little of
/// it stands empty.
const FIRST_CAPACITY: usize = 256;

/// What one shared band weighs, split among the bucket's complaints.
const BUCKET_WEIGHT: u32 = 1 << 16;

fn grown(capacity: usize) -> usize {
    (capacity + capacity / 8).max(FIRST_CAPACITY)
}

fn table_len(capacity: usize) -> usize {
    (capacity as f64 * TABLE_PER_SLOT) as usize + 1
}

fn band_hash(rows: &[u16]) -> u64 {
    rows.iter()
        .fold(0x243F_6A88_85A3_08D3, |h, &v| mix(h ^ u64::from(v)))
}

/// The key of a stored slot's signature in table `band`.
fn slot_band_key(slots: &Slots, slot: u32, band: usize, rows: usize) -> u64 {
    band_hash(&slots.mins(slot)[band * rows..(band + 1) * rows])
}

fn id_hash(id: i64) -> u64 {
    mix(id as u64)
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub struct LshIndex {
    bands: usize,
    rows: usize,
    slots: Slots,
    pack: Packing,
    /// One table per band.
    tables: Vec<BandTable>,
    /// Complaint id to slot.
    ids: BandTable,
    /// The latest eviction cutoff: anything older is never offered, even
    /// when it came in out of time order and still waits to be freed.
    horizon: i64,
}

impl LshIndex {
    pub fn new(bands: usize, rows: usize) -> LshIndex {
        let mut index = LshIndex {
            bands,
            rows,
            slots: Slots::new(bands * rows),
            pack: Packing::for_capacity(1),
            tables: (0..bands).map(|_| BandTable::with_len(2)).collect(),
            ids: BandTable::with_len(2),
            horizon: i64::MIN,
        };
        index.grow(FIRST_CAPACITY);
        index
    }

    /// Hash functions a signature for this index needs.
    pub fn signature_len(&self) -> usize {
        self.bands * self.rows
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the index holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.slots.bytes()
            + self.ids.bytes()
            + self.tables.iter().map(BandTable::bytes).sum::<usize>()
            + self.tables.capacity() * std::mem::size_of::<BandTable>()
    }

    /// Makes room for `additional` more complaints at once (one rebuild
    /// instead of several while filling).
    pub fn reserve(&mut self, additional: usize) {
        let want = self.len() + additional;
        if want > self.slots.capacity() {
            self.grow(want);
        }
    }

    /// New room for `capacity` slots; every table is rebuilt, one at a
    /// time, newest first (so full buckets keep their newest).
    fn grow(&mut self, capacity: usize) {
        let capacity = capacity.min(Packing::MAX_SLOTS);
        self.slots.grow_to(capacity);
        self.pack = Packing::for_capacity(capacity);
        let (slots, pack, rows) = (&self.slots, self.pack, self.rows);
        let len = table_len(capacity);
        let mut ids = BandTable::with_len(len);
        for s in slots.live() {
            ids.insert_unless_full(id_hash(slots.id(s)), s, pack, usize::MAX);
        }
        self.ids = ids;
        let order: Vec<u32> = slots.newest_first().collect();
        for band in 0..self.bands {
            let mut table = BandTable::with_len(len);
            for &s in &order {
                let key = slot_band_key(slots, s, band, rows);
                table.insert_unless_full(key, s, pack, MAX_PER_BUCKET);
            }
            self.tables[band] = table;
        }
    }

    /// Whether complaint `id` is indexed.
    pub fn contains(&self, id: i64) -> bool {
        self.slot_of(id).is_some()
    }

    fn slot_of(&self, id: i64) -> Option<u32> {
        let mut found = Vec::new();
        self.ids
            .find(id_hash(id), self.pack, usize::MAX, &mut found);
        found.into_iter().find(|&s| self.slots.id(s) == id)
    }

    /// Adds (or replaces) a complaint's signature. Entries should come in
    /// time order; one that comes late is hidden once it leaves the window
    /// and freed when the entries before it are.
    pub fn insert(&mut self, id: i64, sig: Signature, at: DateTime<Utc>) {
        if sig.0.len() != self.signature_len() {
            return;
        }
        self.remove(id);
        let at = millis(at);
        if at < self.horizon {
            return;
        }
        if self.slots.is_full() && self.slots.capacity() < Packing::MAX_SLOTS {
            self.grow(grown(self.slots.capacity()));
        }
        let Some(slot) = self.slots.take(id, &sig.0, at) else {
            // Packing::MAX_SLOTS complaints in the window already.
            return;
        };
        let (slots, pack, rows) = (&self.slots, self.pack, self.rows);
        self.ids.insert(id_hash(id), slot, pack, usize::MAX, |_| 0);
        for (band, table) in self.tables.iter_mut().enumerate() {
            let key = slot_band_key(slots, slot, band, rows);
            table.insert(key, slot, pack, MAX_PER_BUCKET, |s| slots.at(s));
        }
    }

    pub fn remove(&mut self, id: i64) {
        if let Some(slot) = self.slot_of(id) {
            self.remove_slot(slot);
        }
    }

    fn remove_slot(&mut self, slot: u32) {
        let (slots, pack, rows) = (&self.slots, self.pack, self.rows);
        let key_of = |s: u32| id_hash(slots.id(s));
        self.ids.remove(key_of(slot), slot, pack, key_of);
        for (band, table) in self.tables.iter_mut().enumerate() {
            let key_of = |s: u32| slot_band_key(slots, s, band, rows);
            // Absent when a full bucket gave it up for a newer one.
            table.remove(key_of(slot), slot, pack, key_of);
        }
        self.slots.release(slot);
    }

    /// Drops everything inserted before `cutoff`; its slots are reused.
    pub fn evict_before(&mut self, cutoff: DateTime<Utc>) {
        let cutoff = millis(cutoff);
        self.horizon = self.horizon.max(cutoff);
        while let Some(slot) = self.slots.oldest() {
            if self.slots.at(slot) >= cutoff {
                break;
            }
            self.remove_slot(slot);
        }
    }

    /// Complaints sharing at least one band with `sig`, with their
    /// estimated similarity, most similar first.
    pub fn candidates(&self, sig: &Signature) -> Vec<(i64, f64)> {
        if sig.0.len() != self.signature_len() {
            return Vec::new();
        }
        let query: Vec<u16> = sig.0.iter().map(|&v| v as u16).collect();
        let (slots, rows) = (&self.slots, self.rows);
        // (slot, weight): a band shared with few complaints says more than
        // one shared with a full bucket of common wording.
        let mut found: Vec<(u32, u32)> = Vec::with_capacity(4 * self.bands);
        let mut bucket: Vec<u32> = Vec::with_capacity(MAX_PER_BUCKET);
        let keys: Vec<u64> = query.chunks_exact(rows).map(band_hash).collect();
        // With a million complaints every table's home position is a cache
        // (and TLB) miss; asking for all of them first lets them overlap.
        for (table, &key) in self.tables.iter().zip(&keys) {
            table.touch(key);
        }
        for (table, &key) in self.tables.iter().zip(&keys) {
            bucket.clear();
            table.find(key, self.pack, MAX_PER_BUCKET, &mut bucket);
            let weight = BUCKET_WEIGHT / bucket.len().max(1) as u32;
            found.extend(bucket.iter().map(|&s| (s, weight)));
        }
        found.sort_unstable();
        // (weight of the bands shared, slot), heaviest first.
        let mut shared: Vec<(u32, u32)> = Vec::with_capacity(found.len());
        for (s, w) in found {
            match shared.last_mut() {
                Some((sum, last)) if *last == s => *sum += w,
                _ => shared.push((w, s)),
            }
        }
        if shared.len() > MAX_CANDIDATES {
            shared.select_nth_unstable_by(MAX_CANDIDATES - 1, |a, b| b.cmp(a));
            shared.truncate(MAX_CANDIDATES);
        }
        let mut out: Vec<(i64, f64)> = shared
            .into_iter()
            .map(|(_, s)| s)
            .filter(|&s| slots.at(s) >= self.horizon)
            .map(|s| (slots.id(s), similarity(&query, slots.mins(s))))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// The share of agreeing minimums (their low 16 bits).
fn similarity(a: &[u16], b: &[u16]) -> f64 {
    let same: u32 = a.iter().zip(b).map(|(x, y)| u32::from(x == y)).sum();
    f64::from(same) / a.len().max(1) as f64
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;

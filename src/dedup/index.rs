//! The in-memory LSH index: MinHash signatures cut into bands, each band
//! hashed into a bucket, so a lookup touches only texts sharing a band.
//! It holds complaint ids and signatures only; it never reads the database.

use super::minhash::Signature;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};

/// The complaints in one bucket. Most buckets hold one complaint; keeping
/// it inline saves an allocation per band per complaint.
#[derive(Debug)]
enum Ids {
    One(i64),
    Many(Vec<i64>),
}

impl Ids {
    fn push(&mut self, id: i64) {
        match self {
            Ids::One(first) => *self = Ids::Many(vec![*first, id]),
            Ids::Many(ids) => ids.push(id),
        }
    }

    /// Removes `id`; true when the bucket is now empty.
    fn remove(&mut self, id: i64) -> bool {
        match self {
            Ids::One(x) => *x == id,
            Ids::Many(ids) => {
                ids.retain(|&x| x != id);
                match ids.as_slice() {
                    [] => true,
                    [only] => {
                        *self = Ids::One(*only);
                        false
                    }
                    _ => false,
                }
            }
        }
    }

    fn as_slice(&self) -> &[i64] {
        match self {
            Ids::One(x) => std::slice::from_ref(x),
            Ids::Many(ids) => ids,
        }
    }
}

/// Most complaints read from one bucket, newest first. A bucket holding
/// thousands shares only common wording; reading all of it would make a
/// lookup grow with the store, and the newest reports are the likely firsts.
const MAX_PER_BUCKET: usize = 64;

pub struct LshIndex {
    bands: usize,
    rows: usize,
    buckets: Vec<HashMap<u64, Ids>>,
    entries: HashMap<i64, Signature>,
    /// Insertion order with times, for evicting what left the window.
    order: VecDeque<(DateTime<Utc>, i64)>,
}

impl LshIndex {
    pub fn new(bands: usize, rows: usize) -> LshIndex {
        LshIndex {
            bands,
            rows,
            buckets: (0..bands).map(|_| HashMap::new()).collect(),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Hash functions a signature for this index needs.
    pub fn signature_len(&self) -> usize {
        self.bands * self.rows
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn band_keys<'a>(&'a self, sig: &'a Signature) -> impl Iterator<Item = u64> + 'a {
        sig.0.chunks(self.rows).take(self.bands).map(|band| {
            // FNV-1a over the band's minimums: stable and cheap.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for v in band {
                for b in v.to_le_bytes() {
                    h ^= b as u64;
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            }
            h
        })
    }

    /// Adds (or replaces) a complaint's signature. Entries must come in
    /// time order for eviction to be exact; older ones are still evicted.
    pub fn insert(&mut self, id: i64, sig: Signature, at: DateTime<Utc>) {
        if sig.0.len() != self.signature_len() {
            return;
        }
        self.remove(id);
        let keys: Vec<u64> = self.band_keys(&sig).collect();
        for (band, key) in keys.into_iter().enumerate() {
            match self.buckets[band].get_mut(&key) {
                Some(ids) => ids.push(id),
                None => {
                    self.buckets[band].insert(key, Ids::One(id));
                }
            }
        }
        self.entries.insert(id, sig);
        self.order.push_back((at, id));
    }

    pub fn remove(&mut self, id: i64) {
        let Some(sig) = self.entries.remove(&id) else {
            return;
        };
        let keys: Vec<u64> = self.band_keys(&sig).collect();
        for (band, key) in keys.into_iter().enumerate() {
            if let Some(ids) = self.buckets[band].get_mut(&key) {
                if ids.remove(id) {
                    self.buckets[band].remove(&key);
                }
            }
        }
    }

    /// Drops everything inserted before `cutoff`.
    pub fn evict_before(&mut self, cutoff: DateTime<Utc>) {
        while let Some(&(at, id)) = self.order.front() {
            if at >= cutoff {
                break;
            }
            self.order.pop_front();
            self.remove(id);
        }
    }

    /// Complaints sharing at least one band with `sig`, with their
    /// estimated similarity, most similar first.
    pub fn candidates(&self, sig: &Signature) -> Vec<(i64, f64)> {
        let mut ids: Vec<i64> = Vec::new();
        for (band, key) in self.band_keys(sig).enumerate() {
            if let Some(found) = self.buckets[band].get(&key) {
                ids.extend(found.as_slice().iter().rev().take(MAX_PER_BUCKET));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let mut out: Vec<(i64, f64)> = ids
            .into_iter()
            .filter_map(|id| self.entries.get(&id).map(|s| (id, sig.similarity(s))))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_near_duplicates_and_forgets_old_entries() {
        let mut index = LshIndex::new(16, 4);
        let t0 = Utc::now();
        let sig = |t: &str| Signature::of(t, 64).unwrap();
        index.insert(1, sig("Lampu jalan di Jalan Veteran mati sudah 3 hari"), t0);
        index.insert(2, sig("Sampah menumpuk di pasar raya tidak diangkut"), t0);
        let found = index.candidates(&sig("lampu jln veteran mati udah 3 hari"));
        assert_eq!(found.first().map(|c| c.0), Some(1), "{found:?}");
        assert!(!found.iter().any(|c| c.0 == 2));
        index.evict_before(t0 + chrono::Duration::seconds(1));
        assert!(index.is_empty());
        assert!(index
            .candidates(&sig("lampu jalan veteran mati"))
            .is_empty());
    }
}

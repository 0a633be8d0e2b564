//! One flat lookup table of the LSH index: open addressing with linear
//! probing over `u32` entries, each a slot number packed with a
//! fingerprint of its key. A bucket (every slot under one key) holds at
//! most a fixed number of slots, so a lookup's work does not grow with the
//! store. The table owns no keys: callers say how to hash a slot's key.

/// How an entry packs a slot and a fingerprint into 32 bits: the low
/// `slot_bits` hold slot + 1 (so 0 is an empty position), the rest a
/// fingerprint of the key, so most probes never read a slot's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packing {
    slot_bits: u32,
}

impl Packing {
    /// At least four fingerprint bits stay: 2^28 - 1 slots at most.
    pub const MAX_SLOTS: usize = (1 << 28) - 1;

    /// The packing for slots `0..capacity`.
    pub fn for_capacity(capacity: usize) -> Packing {
        let capacity = capacity.clamp(1, Self::MAX_SLOTS);
        Packing {
            slot_bits: usize::BITS - capacity.leading_zeros(),
        }
    }

    fn pack(self, slot: u32, hash: u64) -> u32 {
        (self.fingerprint(hash) << self.slot_bits) | (slot + 1)
    }

    fn slot_mask(self) -> u32 {
        (1 << self.slot_bits) - 1
    }

    fn slot(self, entry: u32) -> u32 {
        (entry & self.slot_mask()) - 1
    }

    fn fingerprint(self, hash: u64) -> u32 {
        (hash as u32) >> self.slot_bits
    }

    fn same_fingerprint(self, entry: u32, hash: u64) -> bool {
        entry >> self.slot_bits == self.fingerprint(hash)
    }
}

pub struct BandTable {
    entries: Vec<u32>,
}

impl BandTable {
    /// A table of `len` positions; it must stay longer than the number of
    /// slots it will ever hold, so every probe meets an empty position.
    pub fn with_len(len: usize) -> BandTable {
        BandTable {
            entries: vec![0; len.max(2)],
        }
    }

    pub fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<u32>()
    }

    /// The first position for `hash`: its high half scaled to the length.
    fn home(&self, hash: u64) -> usize {
        (((hash >> 32) * self.entries.len() as u64) >> 32) as usize
    }

    fn next(&self, i: usize) -> usize {
        if i + 1 == self.entries.len() {
            0
        } else {
            i + 1
        }
    }

    /// Reads `hash`'s home position, so that its cache miss overlaps with
    /// those of the other tables a lookup visits instead of following them.
    pub fn touch(&self, hash: u64) {
        std::hint::black_box(self.entries[self.home(hash)]);
    }

    /// Appends to `out` the slots of entries carrying `hash`'s
    /// fingerprint, at most `limit`. A rare entry of another key with the
    /// same fingerprint comes along; callers judge slots by their
    /// signatures anyway.
    pub fn find(&self, hash: u64, pack: Packing, limit: usize, out: &mut Vec<u32>) {
        let mut i = self.home(hash);
        let mut n = 0;
        while n < limit {
            let entry = self.entries[i];
            if entry == 0 {
                break;
            }
            if pack.same_fingerprint(entry, hash) {
                out.push(pack.slot(entry));
                n += 1;
            }
            i = self.next(i);
        }
    }

    /// Where the run from `hash`'s home ends (an empty position), and how
    /// many entries on the way carry `hash`'s fingerprint.
    fn run_end(&self, hash: u64, pack: Packing) -> (usize, usize) {
        let (mut i, mut count) = (self.home(hash), 0);
        while self.entries[i] != 0 {
            count += usize::from(pack.same_fingerprint(self.entries[i], hash));
            i = self.next(i);
        }
        (i, count)
    }

    /// Adds `slot` under `hash` unless its bucket holds `limit` entries
    /// already; for filling a table newest first.
    pub fn insert_unless_full(&mut self, hash: u64, slot: u32, pack: Packing, limit: usize) {
        let (end, count) = self.run_end(hash, pack);
        if count < limit {
            self.entries[end] = pack.pack(slot, hash);
        }
    }

    /// Adds `slot` under `hash`. A bucket already holding `limit` entries
    /// keeps its newest: the oldest (least `age`) of them and `slot` gives
    /// way, and is returned. `slot` must not be in the table already.
    pub fn insert(
        &mut self,
        hash: u64,
        slot: u32,
        pack: Packing,
        limit: usize,
        age: impl Fn(u32) -> i64,
    ) -> Option<u32> {
        let (end, count) = self.run_end(hash, pack);
        let entry = pack.pack(slot, hash);
        if count < limit {
            self.entries[end] = entry;
            return None;
        }
        // Full: only now are the slots' ages read.
        let (mut oldest, mut oldest_age) = (None, age(slot));
        let mut j = self.home(hash);
        while j != end {
            let e = self.entries[j];
            if pack.same_fingerprint(e, hash) {
                let a = age(pack.slot(e));
                if a < oldest_age {
                    (oldest, oldest_age) = (Some(j), a);
                }
            }
            j = self.next(j);
        }
        match oldest {
            Some(j) => {
                let dropped = pack.slot(self.entries[j]);
                self.entries[j] = entry;
                Some(dropped)
            }
            None => Some(slot),
        }
    }

    /// Takes `slot` out from under `hash`, closing the gap so later
    /// probes still reach every entry; false when it was not there.
    pub fn remove(
        &mut self,
        hash: u64,
        slot: u32,
        pack: Packing,
        key_of: impl Fn(u32) -> u64,
    ) -> bool {
        let mut hole = self.home(hash);
        loop {
            let entry = self.entries[hole];
            if entry == 0 {
                return false;
            }
            if entry & pack.slot_mask() == slot + 1 {
                break;
            }
            hole = self.next(hole);
        }
        // Backward shift: move up each following entry whose home is not
        // between the hole and where it sits.
        let mut j = hole;
        loop {
            j = self.next(j);
            let entry = self.entries[j];
            if entry == 0 {
                break;
            }
            let home = self.home(key_of(pack.slot(entry)));
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = entry;
                hole = j;
            }
        }
        self.entries[hole] = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot `s` has key `keys[s]`; hashes chosen so several share a home.
    fn hash(key: u64) -> u64 {
        key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (key << 7)
    }

    #[test]
    fn packs_slot_and_fingerprint() {
        let pack = Packing::for_capacity(1000);
        let e = pack.pack(999, 0xdead_beef_1234_5678);
        assert_eq!(pack.slot(e), 999);
        assert!(pack.same_fingerprint(e, 0xdead_beef_1234_5678));
        assert!(!pack.same_fingerprint(e, 0xdead_beef_0234_5678));
        let big = Packing::for_capacity(Packing::MAX_SLOTS);
        assert_eq!(
            big.slot(big.pack(Packing::MAX_SLOTS as u32 - 1, 7)),
            Packing::MAX_SLOTS as u32 - 1
        );
    }

    #[test]
    fn removing_keeps_every_other_entry_reachable() {
        // A short table forces long runs that wrap around the end.
        let keys: Vec<u64> = (0..12).map(|i| i % 5).collect();
        let key_of = |s: u32| hash(keys[s as usize]);
        let pack = Packing::for_capacity(keys.len());
        let mut t = BandTable::with_len(13);
        for s in 0..keys.len() as u32 {
            assert_eq!(t.insert(key_of(s), s, pack, 64, |s| s as i64), None);
        }
        for gone in [3u32, 0, 11, 7] {
            assert!(t.remove(key_of(gone), gone, pack, key_of));
            assert!(!t.remove(key_of(gone), gone, pack, key_of));
        }
        for key in 0..5u64 {
            let mut found = Vec::new();
            t.find(hash(key), pack, 64, &mut found);
            found.sort_unstable();
            let want: Vec<u32> = (0..12u32)
                .filter(|s| keys[*s as usize] == key && ![3, 0, 11, 7].contains(s))
                .collect();
            assert_eq!(found, want, "key {key}");
        }
    }

    #[test]
    fn a_full_bucket_keeps_its_newest() {
        let age = |s: u32| s as i64; // later slots are newer
        let pack = Packing::for_capacity(16);
        let mut t = BandTable::with_len(20);
        for s in [3, 1, 2] {
            assert_eq!(t.insert(hash(42), s, pack, 3, age), None);
        }
        assert_eq!(t.insert(hash(42), 9, pack, 3, age), Some(1));
        assert_eq!(
            t.insert(hash(42), 0, pack, 3, age),
            Some(0),
            "older than all"
        );
        let mut found = Vec::new();
        t.find(hash(42), pack, 64, &mut found);
        found.sort_unstable();
        assert_eq!(found, vec![2, 3, 9]);
        found.clear();
        t.find(hash(42), pack, 2, &mut found);
        assert_eq!(found.len(), 2, "lookups read at most the limit");

        let mut refill = BandTable::with_len(20);
        for s in [9, 3, 2, 1, 0] {
            refill.insert_unless_full(hash(42), s, pack, 3);
        }
        found.clear();
        refill.find(hash(42), pack, 64, &mut found);
        found.sort_unstable();
        assert_eq!(
            found,
            vec![2, 3, 9],
            "filled newest first, the first three stay"
        );
    }
}

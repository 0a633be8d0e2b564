//! Where the LSH index keeps its complaints: flat arrays indexed by slot
//! number (signature, complaint id, time, insertion order), with freed
//! slots reused before new ones are taken. No allocation per complaint.

/// No slot: the end of a list.
pub const NIL: u32 = u32::MAX;

/// The time of a free slot.
const FREE: i64 = i64::MIN;

pub struct Slots {
    /// Hashes per signature.
    width: usize,
    /// The low 16 bits of each minimum, `width` per slot: enough to tell
    /// equal minimums apart (b-bit MinHash) and to make band keys.
    mins: Vec<u16>,
    ids: Vec<i64>,
    /// Milliseconds since the Unix epoch.
    at: Vec<i64>,
    /// Insertion order, a doubly linked list through the slots, so the
    /// oldest leaves first and any slot can leave at once.
    older: Vec<u32>,
    newer: Vec<u32>,
    oldest: u32,
    newest: u32,
    /// Freed slots, linked through `newer`.
    free: u32,
    capacity: usize,
    live: usize,
}

impl Slots {
    pub fn new(width: usize) -> Slots {
        Slots {
            width,
            mins: Vec::new(),
            ids: Vec::new(),
            at: Vec::new(),
            older: Vec::new(),
            newer: Vec::new(),
            oldest: NIL,
            newest: NIL,
            free: NIL,
            capacity: 0,
            live: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn is_full(&self) -> bool {
        self.free == NIL && self.ids.len() == self.capacity
    }

    /// Room for `capacity` slots in all, allocated now and exactly.
    pub fn grow_to(&mut self, capacity: usize) {
        if capacity <= self.capacity {
            return;
        }
        let more = capacity - self.ids.len();
        self.mins.reserve_exact(more * self.width);
        self.ids.reserve_exact(more);
        self.at.reserve_exact(more);
        self.older.reserve_exact(more);
        self.newer.reserve_exact(more);
        self.capacity = capacity;
    }

    pub fn bytes(&self) -> usize {
        self.mins.capacity() * 2
            + (self.ids.capacity() + self.at.capacity()) * 8
            + (self.older.capacity() + self.newer.capacity()) * 4
    }

    /// Stores a complaint as the newest; `None` when there is no room.
    pub fn take(&mut self, id: i64, mins: &[u32], at: i64) -> Option<u32> {
        debug_assert_eq!(mins.len(), self.width);
        let slot = if self.free != NIL {
            let slot = self.free;
            self.free = self.newer[slot as usize];
            let start = slot as usize * self.width;
            for (m, &v) in self.mins[start..start + self.width].iter_mut().zip(mins) {
                *m = v as u16;
            }
            self.ids[slot as usize] = id;
            self.at[slot as usize] = at;
            slot
        } else if self.ids.len() < self.capacity {
            self.mins.extend(mins.iter().map(|&v| v as u16));
            self.ids.push(id);
            self.at.push(at);
            self.older.push(NIL);
            self.newer.push(NIL);
            (self.ids.len() - 1) as u32
        } else {
            return None;
        };
        let s = slot as usize;
        self.older[s] = self.newest;
        self.newer[s] = NIL;
        match self.newest {
            NIL => self.oldest = slot,
            n => self.newer[n as usize] = slot,
        }
        self.newest = slot;
        self.live += 1;
        Some(slot)
    }

    /// Frees a stored slot for reuse.
    pub fn release(&mut self, slot: u32) {
        let s = slot as usize;
        let (older, newer) = (self.older[s], self.newer[s]);
        match older {
            NIL => self.oldest = newer,
            o => self.newer[o as usize] = newer,
        }
        match newer {
            NIL => self.newest = older,
            n => self.older[n as usize] = older,
        }
        self.older[s] = NIL;
        self.at[s] = FREE;
        self.newer[s] = self.free;
        self.free = slot;
        self.live -= 1;
    }

    pub fn oldest(&self) -> Option<u32> {
        (self.oldest != NIL).then_some(self.oldest)
    }

    /// Stored slots, the last stored first.
    pub fn newest_first(&self) -> impl Iterator<Item = u32> + '_ {
        let newest = (self.newest != NIL).then_some(self.newest);
        std::iter::successors(newest, |&s| {
            let o = self.older[s as usize];
            (o != NIL).then_some(o)
        })
    }

    /// Stored slots in slot order (their signatures lie in this order).
    pub fn live(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.at.len() as u32).filter(|&s| self.at[s as usize] != FREE)
    }

    pub fn mins(&self, slot: u32) -> &[u16] {
        let start = slot as usize * self.width;
        &self.mins[start..start + self.width]
    }

    pub fn id(&self, slot: u32) -> i64 {
        self.ids[slot as usize]
    }

    pub fn at(&self, slot: u32) -> i64 {
        self.at[slot as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_slots_are_reused_and_order_is_kept() {
        let mut slots = Slots::new(2);
        slots.grow_to(3);
        let a = slots.take(10, &[1, 2], 1).unwrap();
        let b = slots.take(11, &[3, 0x1_0004], 2).unwrap();
        let c = slots.take(12, &[5, 6], 3).unwrap();
        assert!(slots.is_full());
        assert_eq!(slots.take(13, &[7, 8], 4), None);
        assert_eq!(slots.mins(b), &[3, 4], "the low 16 bits are kept");
        slots.release(b);
        assert_eq!(slots.newest_first().collect::<Vec<_>>(), vec![c, a]);
        assert_eq!(slots.live().collect::<Vec<_>>(), vec![a, c]);
        let d = slots.take(13, &[7, 8], 4).unwrap();
        assert_eq!(d, b, "the freed slot is taken first");
        assert_eq!(
            (slots.id(d), slots.at(d), slots.mins(d)),
            (13, 4, &[7u16, 8][..])
        );
        slots.release(a);
        assert_eq!(slots.oldest(), Some(c));
        assert_eq!(slots.newest_first().collect::<Vec<_>>(), vec![d, c]);
        slots.release(d);
        slots.release(c);
        assert_eq!((slots.len(), slots.oldest()), (0, None));
        assert_eq!(slots.capacity(), 3);
    }
}

use super::*;
use chrono::Duration;

fn sig(text: &str) -> Signature {
    Signature::of(text, 64).unwrap()
}

/// A signature of its own for `n`: shingles no other `n` has.
fn own(n: u64) -> Signature {
    let shingles: Vec<u64> = (0..20).map(|i| n * 1000 + i).collect();
    Signature::of_shingles(&shingles, 64)
}

fn ids(found: &[(i64, f64)]) -> Vec<i64> {
    let mut ids: Vec<i64> = found.iter().map(|c| c.0).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn finds_near_duplicates_and_forgets_old_entries() {
    let mut index = LshIndex::new(16, 4);
    let t0 = Utc::now();
    index.insert(1, sig("Lampu jalan di Jalan Veteran mati sudah 3 hari"), t0);
    index.insert(2, sig("Sampah menumpuk di pasar raya tidak diangkut"), t0);
    let found = index.candidates(&sig("lampu jln veteran mati udah 3 hari"));
    assert_eq!(found.first().map(|c| c.0), Some(1), "{found:?}");
    assert!(!found.iter().any(|c| c.0 == 2));
    index.evict_before(t0 + Duration::seconds(1));
    assert!(index.is_empty());
    assert!(index
        .candidates(&sig("lampu jalan veteran mati"))
        .is_empty());
}

#[test]
fn evicted_slots_are_reused_without_growing() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    for n in 0..200 {
        index.insert(n as i64, own(n), t0 + Duration::seconds(n as i64));
    }
    let bytes = index.heap_bytes();
    // The first hundred leave the window; a hundred new ones take their slots.
    index.evict_before(t0 + Duration::seconds(100));
    assert_eq!(index.len(), 100);
    for n in 200..300 {
        index.insert(n as i64, own(n), t0 + Duration::seconds(n as i64));
    }
    assert_eq!(index.len(), 200);
    assert_eq!(index.heap_bytes(), bytes, "no new room was needed");
    for n in [0u64, 99] {
        assert!(!ids(&index.candidates(&own(n))).contains(&(n as i64)));
    }
    for n in [100u64, 199, 200, 299] {
        let found = index.candidates(&own(n));
        assert_eq!(found.first(), Some(&(n as i64, 1.0)), "{n}: {found:?}");
    }
}

#[test]
fn eviction_follows_time_after_removals_in_the_middle() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    for n in 0..10 {
        index.insert(n as i64, own(n), t0 + Duration::seconds(n as i64));
    }
    index.remove(4);
    index.remove(0);
    index.remove(42); // never there
    index.evict_before(t0 + Duration::seconds(6));
    assert_eq!(index.len(), 4);
    for n in 0..10u64 {
        let present = !index.candidates(&own(n)).is_empty();
        assert_eq!(present, n >= 6, "{n}");
    }
}

#[test]
fn replacing_moves_a_complaint_to_its_new_text() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    let lamp = "Lampu jalan di Jalan Veteran mati sudah 3 hari";
    let rubbish = "Sampah menumpuk di pasar raya tidak diangkut seminggu";
    index.insert(7, sig(lamp), t0);
    index.insert(8, own(8), t0);
    index.insert(7, sig(rubbish), t0 + Duration::seconds(1));
    assert_eq!(index.len(), 2);
    assert!(index.candidates(&sig(lamp)).is_empty());
    assert_eq!(index.candidates(&sig(rubbish)), vec![(7, 1.0)]);
    // Replaced, it is as new as its new time: evicting older entries keeps it.
    index.evict_before(t0 + Duration::milliseconds(500));
    assert_eq!(ids(&index.candidates(&sig(rubbish))), vec![7]);
    assert!(index.candidates(&own(8)).is_empty());
}

#[test]
fn removed_complaints_are_never_offered() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    let text = "Air PDAM tidak mengalir di Lubuk Buaya sejak kemarin pagi";
    for id in 1..=3 {
        index.insert(id, sig(text), t0);
    }
    index.remove(2);
    assert_eq!(ids(&index.candidates(&sig(text))), vec![1, 3]);
    index.remove(1);
    index.remove(3);
    assert!(index.is_empty());
    assert!(index.candidates(&sig(text)).is_empty());
    index.insert(4, sig(text), t0);
    assert_eq!(ids(&index.candidates(&sig(text))), vec![4]);
}

#[test]
fn a_lookup_reads_at_most_the_newest_of_a_full_bucket() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    let text = "Jalan berlubang di Jl. Khatib Sulaiman depan kantor gubernur";
    let n = 3 * MAX_PER_BUCKET as i64;
    for id in 0..n {
        index.insert(id, sig(text), t0 + Duration::seconds(id));
    }
    assert_eq!(index.len(), n as usize, "all are kept");
    let found = ids(&index.candidates(&sig(text)));
    let newest: Vec<i64> = (n - MAX_PER_BUCKET as i64..n).collect();
    assert_eq!(found, newest);
    // The newest leaving (forgotten) does not bring the older back...
    for id in n - 10..n {
        index.remove(id);
    }
    assert_eq!(index.candidates(&sig(text)).len(), MAX_PER_BUCKET - 10);
    // ...but room grows and tables are rebuilt newest-kept: they return.
    for m in 0..2000 {
        index.insert(10_000 + m, own(m as u64), t0 + Duration::seconds(n + m));
    }
    let found = ids(&index.candidates(&sig(text)));
    let newest: Vec<i64> = (n - 10 - MAX_PER_BUCKET as i64..n - 10).collect();
    assert_eq!(found, newest);
}

#[test]
fn growing_keeps_every_complaint_reachable() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    for n in 0..5000u64 {
        index.insert(n as i64 * 3, own(n), t0);
    }
    assert_eq!(index.len(), 5000);
    for n in (0..5000u64).step_by(7) {
        let found = index.candidates(&own(n));
        assert_eq!(found.first(), Some(&(n as i64 * 3, 1.0)), "{n}");
    }
    let per = index.heap_bytes() / index.len();
    assert!(per < 500, "{per} bytes per complaint");
}

#[test]
fn a_late_entry_is_hidden_once_out_of_the_window() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    index.insert(1, own(1), t0 + Duration::hours(2));
    index.insert(2, own(2), t0); // late: older than the entry before it
    index.evict_before(t0 + Duration::hours(1));
    assert!(index.candidates(&own(2)).is_empty(), "out of the window");
    assert_eq!(ids(&index.candidates(&own(1))), vec![1]);
    index.evict_before(t0 + Duration::hours(3));
    assert!(index.is_empty(), "freed with the entry before it");
    // Older than the window already: not taken at all.
    index.insert(3, own(3), t0);
    assert!(index.is_empty());
}

#[test]
fn a_signature_of_the_wrong_length_is_ignored() {
    let mut index = LshIndex::new(32, 2);
    index.insert(1, Signature::of("jalan rusak", 16).unwrap(), Utc::now());
    assert!(index.is_empty());
    assert!(index
        .candidates(&Signature::of("jalan rusak", 16).unwrap())
        .is_empty());
}

#[test]
fn a_lookup_judges_at_most_the_candidates_sharing_the_rarest_bands() {
    let mut index = LshIndex::new(32, 2);
    let t0 = Utc::now();
    let query = Signature((0..64).collect());
    let sharing = |bands: &[usize], base: u32| {
        let mut mins: Vec<u32> = (0..64).map(|j| base + j).collect();
        for &b in bands {
            mins[2 * b..2 * b + 2].copy_from_slice(&query.0[2 * b..2 * b + 2]);
        }
        Signature(mins)
    };
    // Alone in its bucket of band 31, stored first.
    index.insert(-2, sharing(&[31], 800_000), t0);
    // A crowd fills every bucket of bands 0..31 with complaints sharing
    // one band each with the query.
    let per_band = MAX_PER_BUCKET as u32;
    for k in 0..31 * per_band {
        let band = (k % 31) as usize;
        index.insert(k as i64, sharing(&[band], 1_000 + k * 64), t0);
    }
    // The newest shares three bands.
    index.insert(-1, sharing(&[0, 1, 2], 900_000), t0 + Duration::seconds(1));
    let found = index.candidates(&query);
    assert_eq!(found.len(), MAX_CANDIDATES);
    assert_eq!(found[0], (-1, 6.0 / 64.0), "{:?}", &found[..3]);
    assert!(
        found.iter().any(|c| c.0 == -2),
        "a rare shared band outweighs the crowd's"
    );
}

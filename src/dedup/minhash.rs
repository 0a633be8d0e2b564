//! MinHash signatures over normalised word shingles: a text becomes a fixed
//! number of minimum hashes whose agreement estimates Jaccard similarity.
//! Pure and deterministic (stable hashes, no per-process seeds); no storage.

use crate::normalize::{normalize, NormalizedText};
use xxhash_rust::xxh3::xxh3_64;

/// Words that say nothing about the problem: greetings, forms of address,
/// politeness. Dropped so "selamat pagi pak, ..." matches the bare report.
fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "selamat"
            | "pagi"
            | "siang"
            | "sore"
            | "malam"
            | "pak"
            | "bu"
            | "bapak"
            | "ibu"
            | "mohon"
            | "tolong"
            | "min"
            | "admin"
            | "terima"
            | "kasih"
            | "makasih"
            | "assalamualaikum"
            | "halo"
            | "hallo"
            | "salam"
            | "wr"
            | "wb"
            | "kak"
            | "mas"
            | "mbak"
            | "ya"
            | "nya"
            | "dong"
            | "deh"
            | "sih"
            | "nih"
            | "ini"
            | "itu"
            | "di"
            | "ke"
            | "dan"
            | "yang"
            | "sudah"
            | "udah"
            | "ada"
            | "kami"
            | "saya"
            | "kita"
            | "juga"
            | "lagi"
            | "sangat"
            | "sekali"
            | "banget"
    )
}

/// The stems of `text` that carry meaning, in order.
pub fn stems(text: &str) -> Vec<String> {
    stems_of(&normalize(text))
}

/// The stems of an already normalised text that carry meaning, in order.
pub fn stems_of(text: &NormalizedText) -> Vec<String> {
    text.tokens()
        .iter()
        .filter(|t| !is_filler(&t.word) && !is_filler(&t.stem))
        .map(|t| t.stem.clone())
        .collect()
}

/// Shingles of a text: every stem, and every pair of neighbouring stems.
/// Single stems keep reordered sentences close; pairs keep word order
/// mattering when the vocabulary is shared.
pub fn shingles(text: &str) -> Vec<u64> {
    shingles_of(&normalize(text))
}

/// [`shingles`] of an already normalised text.
pub fn shingles_of(text: &NormalizedText) -> Vec<u64> {
    // Hashed with XXH3 (64 bits, no seed): a fixed, published function,
    // the same in every process and version.
    let stems = stems_of(text);
    let mut out: Vec<u64> = Vec::with_capacity(stems.len() * 2);
    out.extend(stems.iter().map(|s| xxh3_64(s.as_bytes())));
    let mut pair = Vec::new();
    for two in stems.windows(2) {
        pair.clear();
        pair.extend_from_slice(two[0].as_bytes());
        pair.push(b' ');
        pair.extend_from_slice(two[1].as_bytes());
        out.push(xxh3_64(&pair));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The splitmix64 finaliser: a cheap, well-mixed permutation of u64.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A text's MinHash signature: one minimum per hash function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u32>);

impl Signature {
    /// The signature of `text` with `len` hash functions; `None` when the
    /// text has no meaningful words (nothing to compare).
    pub fn of(text: &str, len: usize) -> Option<Signature> {
        Self::of_normalized(&normalize(text), len)
    }

    /// [`Signature::of`] an already normalised text.
    pub fn of_normalized(text: &NormalizedText, len: usize) -> Option<Signature> {
        let shingles = shingles_of(text);
        if shingles.is_empty() {
            return None;
        }
        Some(Self::of_shingles(&shingles, len))
    }

    pub fn of_shingles(shingles: &[u64], len: usize) -> Signature {
        // Hash function i is x -> (a_i * x + b_i) mod 2^64, top 32 bits
        // (multiply-add-shift), with a_i = mix(2i + 1) made odd and
        // b_i = mix(2i + 2). The shingles are XXH3 hashes, well mixed
        // already: one multiply per function is enough, where a full mix
        // per function took most of the time of signing a text.
        let (a, b): (Vec<u64>, Vec<u64>) = (0..len as u64)
            .map(|i| (mix(2 * i + 1) | 1, mix(2 * i + 2)))
            .unzip();
        let mut mins = vec![u32::MAX; len];
        for &s in shingles {
            for ((m, a), b) in mins.iter_mut().zip(&a).zip(&b) {
                let h = (a.wrapping_mul(s).wrapping_add(*b) >> 32) as u32;
                *m = (*m).min(h);
            }
        }
        Signature(mins)
    }

    /// Estimated Jaccard similarity: the share of agreeing minimums.
    pub fn similarity(&self, other: &Signature) -> f64 {
        if self.0.is_empty() || self.0.len() != other.0.len() {
            return 0.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / self.0.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_spelling_and_greeting_keep_texts_close() {
        let a = Signature::of("Lampu jalan di Jalan Veteran mati sudah 3 hari", 128).unwrap();
        let b = Signature::of(
            "selamat pagi pak, lampu jln di jl veteran mati udh 3 hari",
            128,
        )
        .unwrap();
        let c = Signature::of("Sampah menumpuk di pasar raya tidak diangkut", 128).unwrap();
        assert!(a.similarity(&b) > 0.6, "{}", a.similarity(&b));
        assert!(a.similarity(&c) < 0.2, "{}", a.similarity(&c));
    }

    #[test]
    fn signatures_are_stable() {
        let a = Signature::of("jalan rusak", 8).unwrap();
        assert_eq!(a, Signature::of("Jalan  RUSAK!", 8).unwrap());
        assert!(Signature::of("selamat pagi pak", 8).is_none());
    }

    /// The exact minimums, worked out independently: XXH3-64 (no seed) of
    /// "jalan", "rusak" and "jalan rusak", each through x -> top 32 bits of
    /// (a_i * x + b_i) mod 2^64, a_i = splitmix64(2i + 1) | 1,
    /// b_i = splitmix64(2i + 2).
    #[test]
    fn signatures_keep_their_values() {
        let sig = Signature::of("Jalan rusak", 4).unwrap();
        assert_eq!(sig.0, vec![288434279, 241101451, 1369136880, 2024668663]);
    }
}

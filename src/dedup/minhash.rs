//! MinHash signatures over normalised word shingles: a text becomes a fixed
//! number of minimum hashes whose agreement estimates Jaccard similarity.
//! Pure and deterministic (stable hashes, no per-process seeds); no storage.

use crate::normalize::{normalize, NormalizedText};
use sha2::{Digest, Sha256};

/// Words that say nothing about the problem: greetings, forms of address,
/// politeness. Dropped so "selamat pagi pak, ..." matches the bare report.
const FILLER: &[&str] = &[
    "selamat",
    "pagi",
    "siang",
    "sore",
    "malam",
    "pak",
    "bu",
    "bapak",
    "ibu",
    "mohon",
    "tolong",
    "min",
    "admin",
    "terima",
    "kasih",
    "makasih",
    "assalamualaikum",
    "halo",
    "hallo",
    "salam",
    "wr",
    "wb",
    "kak",
    "mas",
    "mbak",
    "ya",
    "nya",
    "dong",
    "deh",
    "sih",
    "nih",
    "ini",
    "itu",
    "di",
    "ke",
    "dan",
    "yang",
    "sudah",
    "udah",
    "ada",
    "kami",
    "saya",
    "kita",
    "juga",
    "lagi",
    "sangat",
    "sekali",
    "banget",
];

/// The stems of `text` that carry meaning, in order.
pub fn stems(text: &str) -> Vec<String> {
    stems_of(&normalize(text))
}

/// The stems of an already normalised text that carry meaning, in order.
pub fn stems_of(text: &NormalizedText) -> Vec<String> {
    text.tokens()
        .iter()
        .filter(|t| !FILLER.contains(&t.word.as_str()) && !FILLER.contains(&t.stem.as_str()))
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
    let stems = stems_of(text);
    let mut out: Vec<u64> = Vec::with_capacity(stems.len() * 2);
    out.extend(stems.iter().map(|s| stable_hash(&[s.as_bytes()])));
    for pair in stems.windows(2) {
        out.push(stable_hash(&[pair[0].as_bytes(), b" ", pair[1].as_bytes()]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The first 8 bytes of the SHA-256 of the parts written one after another.
fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("sha256 has 32 bytes"))
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
        // Hash function i is x -> mix(x ^ mix(i + 1)); its seed is the
        // same for every shingle.
        let seeds: Vec<u64> = (0..len).map(|i| mix(i as u64 + 1)).collect();
        let mut mins = vec![u32::MAX; len];
        for &s in shingles {
            for (m, seed) in mins.iter_mut().zip(&seeds) {
                let h = (mix(s ^ seed) >> 32) as u32;
                if h < *m {
                    *m = h;
                }
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

    /// The exact minimums, worked out independently: SHA-256 of "jalan",
    /// "rusak" and "jalan rusak" (first 8 bytes, little endian), each
    /// through x -> splitmix64(x ^ splitmix64(i + 1)), top 32 bits.
    #[test]
    fn signatures_keep_their_values() {
        let sig = Signature::of("Jalan rusak", 4).unwrap();
        assert_eq!(sig.0, vec![1265384482, 1838887915, 3461571553, 551027676]);
    }
}

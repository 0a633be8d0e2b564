//! Duplicate lookup benchmark: p50/p99 latency of an LSH lookup (with the
//! similarity estimate of each candidate) and the process memory with
//! 10,000, 100,000 and 1,000,000 signatures in the index.
//!
//!   cargo bench --bench dedup
//!
//! Under `cargo test` it makes a short smoke run instead. Texts are
//! synthetic: 12-25 words drawn from a 30,000-word vocabulary with a skew
//! towards common words, as complaint texts are; half the lookups are
//! near-duplicates of stored texts (two words changed), half are new.

use chrono::Utc;
use satupintu::config::DedupConfig;
use satupintu::dedup::{Dedup, Signature};
use std::time::Instant;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    /// Skewed towards small ids: the common words.
    fn word(&mut self) -> u64 {
        let a = self.next(30_000);
        let b = self.next(30_000);
        a.min(b)
    }
}

fn text(rng: &mut Lcg) -> Vec<u64> {
    let len = 12 + rng.next(14) as usize;
    (0..len).map(|_| rng.word()).collect()
}

/// Shingles as the real ones are built: every word and every neighbouring pair.
fn shingles(words: &[u64]) -> Vec<u64> {
    let mut out: Vec<u64> = words.iter().map(|w| w.wrapping_mul(0x9E37_79B9)).collect();
    out.extend(words.windows(2).map(|p| (p[0] << 32) ^ p[1] ^ 0x5555));
    out.sort_unstable();
    out.dedup();
    out
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test` this is a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if smoke {
        &[1_000, 5_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    let lookups = if smoke { 200 } else { 5_000 };
    let config = DedupConfig::default();
    let len = config.lsh_bands * config.lsh_rows;
    println!(
        "dedup lookup: {} bands x {} rows, threshold {}",
        config.lsh_bands, config.lsh_rows, config.duplicate_threshold
    );
    let mut report = Vec::new();
    for &n in sizes {
        let mut rng = Lcg(7);
        let before = rss_kb();
        let dedup = Dedup::new(config.clone());
        let now = Utc::now();
        let mut kept = Vec::new();
        let start = Instant::now();
        for id in 0..n {
            let words = text(&mut rng);
            dedup.remember(
                id as i64,
                Signature::of_shingles(&shingles(&words), len),
                now,
            );
            if id % (n / lookups).max(1) == 0 {
                kept.push(words);
            }
        }
        let build_s = start.elapsed().as_secs_f64();
        let memory_mb = rss_kb().saturating_sub(before) as f64 / 1024.0;
        let mut latencies_ns = Vec::with_capacity(lookups);
        let mut found = 0;
        for i in 0..lookups {
            let words = if i % 2 == 0 {
                let mut w = kept[i % kept.len()].clone();
                let k = w.len();
                w[rng.next(k as u64) as usize] = rng.word();
                w[rng.next(k as u64) as usize] = rng.word();
                w
            } else {
                text(&mut rng)
            };
            let t = Instant::now();
            let sig = Signature::of_shingles(&shingles(&words), len);
            let candidates = dedup.candidates(&sig);
            latencies_ns.push(t.elapsed().as_nanos() as u64);
            found += usize::from(!candidates.is_empty());
        }
        latencies_ns.sort_unstable();
        let (p50, p99) = (pct(&latencies_ns, 0.5), pct(&latencies_ns, 0.99));
        println!(
            "{n:>9} indexed: lookup p50 {p50:.1} us, p99 {p99:.1} us; index memory {memory_mb:.0} MiB \
             (process {} MiB); built in {build_s:.1} s; {found}/{lookups} lookups found a candidate",
            rss_kb() / 1024
        );
        assert!(found >= lookups / 2, "near-duplicates must be found");
        report.push(serde_json::json!({"indexed": n, "p50_us": p50, "p99_us": p99, "memory_mib": memory_mb}));
        assert_eq!(dedup.indexed(), n);
    }
    if !smoke {
        let dir = std::path::Path::new("target/bench");
        let _ = std::fs::create_dir_all(dir);
        let path = dir.join(format!("dedup-{}.json", Utc::now().timestamp()));
        let _ = std::fs::write(
            &path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        );
        println!("written to {}", path.display());
    }
}

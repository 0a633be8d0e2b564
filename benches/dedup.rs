//! Duplicate lookup benchmark: latency of one index lookup (candidates
//! sharing a band, each with its similarity estimate, above the threshold)
//! and the index's memory with 10,000, 100,000 and 1,000,000 complaints
//! stored, and how both change from the smallest store to the largest.
//!
//!   cargo bench --bench dedup
//!
//! Under `cargo test` it makes a short smoke run instead.
//!
//! Texts are synthetic but made like real complaints (see `dedup/texts.rs`:
//! 36 kinds of problem said in a few ways, about 900 streets, Padang's 104
//! kelurahan, Zipf-skewed detail words), signed by the gateway's own
//! normaliser and MinHash, and stored as intake stores them. Lookups are
//! half near-duplicates of stored texts, half new texts. Only the lookup
//! is timed (the signature of a new text costs the same at any size), both
//! by the wall clock and by the thread's CPU clock: on a shared machine a
//! lookup descheduled for another process shows in the wall clock's p99
//! but is no work of the index. The lookups run in five rounds; the median
//! round's percentiles are reported. Memory is the index's own count of
//! its heap bytes, and the process's resident set.

#[path = "dedup/texts.rs"]
mod texts;

use chrono::Utc;
use satupintu::config::DedupConfig;
use satupintu::dedup::{Dedup, Signature};
use satupintu::normalize::normalize;
use std::time::Instant;
use texts::{Complaint, Rng};

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

/// CPU time of this thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    n: usize,
    p50: f64,
    p99: f64,
    cpu_p50: f64,
    cpu_p99: f64,
    bytes_per: f64,
    rss_mib: f64,
    rss_growth_mib: f64,
}

/// A lookup and, for a near-duplicate, the complaint it retells.
struct Query {
    sig: Signature,
    source: Option<i64>,
}

fn fill(dedup: &Dedup, n: usize, rng: &mut Rng, kel: &[String]) -> Vec<(i64, Complaint)> {
    let now = Utc::now();
    let every = (n / 2_000).max(1);
    let mut kept = Vec::new();
    for id in 0..n as i64 {
        let c = Complaint::new(rng, kel);
        if let Some(sig) = dedup.signature(&c.text()) {
            dedup.remember(id, sig, now);
        }
        if id as usize % every == 0 {
            kept.push((id, c));
        }
    }
    kept
}

fn queries(
    dedup: &Dedup,
    count: usize,
    kept: &[(i64, Complaint)],
    rng: &mut Rng,
    kel: &[String],
) -> Vec<Query> {
    (0..count)
        .filter_map(|i| {
            let (text, source) = if i % 2 == 0 {
                let (id, c) = &kept[rng.below(kept.len())];
                (c.retold(rng).text(), Some(*id))
            } else {
                (Complaint::new(rng, kel).text(), None)
            };
            dedup.signature(&text).map(|sig| Query { sig, source })
        })
        .collect()
}

/// CPU to turn one text into its signature, and the part of it that is
/// normalising (tokens and stems, shared with routing).
fn signature_cost(config: &DedupConfig, kel: &[String], count: usize) {
    let dedup = Dedup::new(config.clone());
    let mut rng = Rng(11);
    let texts: Vec<String> = (0..count)
        .map(|_| Complaint::new(&mut rng, kel).text())
        .collect();
    let bytes = texts.iter().map(String::len).sum::<usize>() / count;
    let cpu = thread_cpu_ns();
    let normalised: Vec<_> = texts.iter().map(|t| normalize(t)).collect();
    let normalise_us = thread_cpu_ns().saturating_sub(cpu) as f64 / count as f64 / 1000.0;
    let cpu = thread_cpu_ns();
    let signed = normalised
        .iter()
        .filter(|t| dedup.signature_of(t).is_some())
        .count();
    let sign_us = thread_cpu_ns().saturating_sub(cpu) as f64 / count as f64 / 1000.0;
    println!(
        "signature of a {bytes}-byte text: {:.1} us CPU ({normalise_us:.1} us normalising, \
         {sign_us:.1} us shingles and MinHash; {signed}/{count} texts signed)",
        normalise_us + sign_us
    );
}

fn main() {
    // `cargo bench` passes --bench; under `cargo test` this is a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if smoke {
        &[1_000, 5_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    let (rounds, per_round) = if smoke { (1, 200) } else { (5, 4_000) };
    let config = DedupConfig::default();
    let kel = texts::kelurahan();
    println!(
        "dedup lookup: {} bands x {} rows, threshold {}; {rounds} rounds of {per_round} lookups",
        config.lsh_bands, config.lsh_rows, config.duplicate_threshold
    );
    signature_cost(&config, &kel, if smoke { 200 } else { 5_000 });
    let mut rows = Vec::new();
    for &n in sizes {
        let mut rng = Rng(7);
        let before = rss_kb();
        let dedup = Dedup::new(config.clone());
        let start = Instant::now();
        let kept = fill(&dedup, n, &mut rng, &kel);
        let build_s = start.elapsed().as_secs_f64();
        let rss_growth_mib = rss_kb().saturating_sub(before) as f64 / 1024.0;
        let bytes_per = dedup.index_bytes() as f64 / n as f64;
        let (mut p50s, mut p99s, mut cpu50s, mut cpu99s) = (vec![], vec![], vec![], vec![]);
        let (mut near, mut near_found, mut offered) = (0, 0, 0);
        for _ in 0..rounds {
            let qs = queries(&dedup, per_round, &kept, &mut rng, &kel);
            let mut latencies_ns = Vec::with_capacity(qs.len());
            let mut cpu_ns = Vec::with_capacity(qs.len());
            for q in &qs {
                let (t, cpu) = (Instant::now(), thread_cpu_ns());
                let candidates = dedup.candidates(&q.sig);
                cpu_ns.push(thread_cpu_ns().saturating_sub(cpu));
                latencies_ns.push(t.elapsed().as_nanos() as u64);
                offered += candidates.len();
                if let Some(id) = q.source {
                    near += 1;
                    near_found += usize::from(candidates.iter().any(|c| c.0 == id));
                }
            }
            latencies_ns.sort_unstable();
            cpu_ns.sort_unstable();
            p50s.push(pct(&latencies_ns, 0.5));
            p99s.push(pct(&latencies_ns, 0.99));
            cpu50s.push(pct(&cpu_ns, 0.5));
            cpu99s.push(pct(&cpu_ns, 0.99));
        }
        let row = Row {
            n,
            p50: median(p50s),
            p99: median(p99s),
            cpu_p50: median(cpu50s),
            cpu_p99: median(cpu99s),
            bytes_per,
            rss_mib: rss_kb() as f64 / 1024.0,
            rss_growth_mib,
        };
        println!(
            "{n:>9} stored: lookup p50 {:.1} us, p99 {:.1} us (CPU p50 {:.1} us, p99 {:.1} us); \
             index {:.0} bytes/complaint (process {:.0} MiB, grew {:.0} MiB while filling); \
             filled in {build_s:.1} s; {near_found}/{near} near-duplicates found, \
             {:.1} candidates per lookup",
            row.p50,
            row.p99,
            row.cpu_p50,
            row.cpu_p99,
            row.bytes_per,
            row.rss_mib,
            row.rss_growth_mib,
            offered as f64 / (rounds * per_round) as f64
        );
        assert_eq!(dedup.indexed(), n);
        assert!(near_found * 10 >= near * 9, "near-duplicates must be found");
        rows.push(row);
    }
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    println!(
        "{}x the complaints: p50 x{:.2}, p99 x{:.2} (CPU p50 x{:.2}, p99 x{:.2}), \
         bytes/complaint x{:.2}",
        last.n / first.n,
        last.p50 / first.p50,
        last.p99 / first.p99,
        last.cpu_p50 / first.cpu_p50,
        last.cpu_p99 / first.cpu_p99,
        last.bytes_per / first.bytes_per
    );
    if !smoke {
        let report: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"stored": r.n, "p50_us": r.p50, "p99_us": r.p99,
                    "cpu_p50_us": r.cpu_p50, "cpu_p99_us": r.cpu_p99,
                    "bytes_per_complaint": r.bytes_per, "rss_mib": r.rss_mib,
                    "rss_growth_mib": r.rss_growth_mib})
            })
            .collect();
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

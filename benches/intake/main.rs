//! Intake benchmark. In one run, side by side: the ceiling (a bare axum
//! handler reading the same bodies), satupintu's web-form and WhatsApp
//! webhook intake until the commit on SQLite and on PostgreSQL, and both
//! end to end until delivery at a stand-in destination. Requests per
//! second, p50/p99/p99.9 latency, CPU per request of the server and of the
//! load generator, peak memory, the ratio to the ceiling, p99 at half the
//! maximum rate (open loop), the memory of an idle gateway and of one
//! holding a million complaints.
//!
//!   cargo bench --bench intake
//!
//! Under `cargo test` it makes a short smoke run of every case instead.
//! Environment: SATUPINTU_BENCH_REQUESTS (10000), SATUPINTU_BENCH_CONCURRENCY
//! (32), SATUPINTU_BENCH_SEEDED (complaints in the seeded database; unset
//! or 0 skips that case: seeding 1000000 takes one to two minutes and
//! 5.4 GB of disk), SATUPINTU_TEST_DATABASE_URL (PostgreSQL
//! admin URL; its cases are skipped with a notice when unreachable),
//! SATUPINTU_BENCH_OPEN_RATE (requests per second of the open loop;
//! unset: half the closed loop's), SATUPINTU_BENCH_OPEN_RUNS (open-loop
//! runs per intake case, 3; the run with the median p99 is reported),
//! SATUPINTU_BENCH_TIMELINE (a file to write the last open-loop run's
//! scheduled starts and latencies to).
//! Results go to target/bench/intake-<unix time>.json.

mod bodies;
mod cases;
mod db;
mod gateway_config;
mod load;
mod procs;
mod report;
mod seed;
mod standin;
mod texts;

use bodies::Kind;
use db::Backend;
use rand::Rng;
use std::path::PathBuf;
use std::time::Duration;

pub struct Params {
    pub root: PathBuf,
    pub requests: usize,
    pub warmup: usize,
    pub concurrency: usize,
    pub seeded: u64,
    pub settle: Duration,
    /// Open-loop runs per intake case; the one with the median p99 is
    /// reported, with every run's p99 beside it.
    pub open_runs: usize,
    /// The bench gateway's WhatsApp app secret, new every run.
    pub app_secret: String,
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve-ceiling") {
        let port = args
            .get(i + 1)
            .and_then(|p| p.parse().ok())
            .expect("--serve-ceiling PORT");
        procs::serve_ceiling(port);
        return;
    }
    // `cargo bench` passes --bench; under `cargo test` this is a smoke run
    // that proves every case still works.
    let smoke = !args.iter().any(|a| a == "--bench");
    let params = Params {
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        requests: if smoke {
            24
        } else {
            env("SATUPINTU_BENCH_REQUESTS", 10_000) as usize
        },
        warmup: if smoke { 4 } else { 200 },
        concurrency: if smoke {
            4
        } else {
            env("SATUPINTU_BENCH_CONCURRENCY", 32) as usize
        },
        seeded: if smoke {
            3000
        } else {
            env("SATUPINTU_BENCH_SEEDED", 0)
        },
        settle: Duration::from_secs(if smoke { 1 } else { 5 }),
        open_runs: if smoke {
            1
        } else {
            env("SATUPINTU_BENCH_OPEN_RUNS", 3).max(1) as usize
        },
        app_secret: hex::encode(rand::rng().random::<[u8; 24]>()),
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run(params, smoke));
}

async fn run(p: Params, smoke: bool) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "satupintu intake benchmark: {} requests per case, {} concurrent clients, {cores} cores",
        p.requests, p.concurrency
    );
    for kind in [Kind::WebForm, Kind::WhatsApp] {
        let b = bodies::batch(&p.root, kind, 200, 99, &p.app_secret);
        println!(
            "{} bodies: {} bytes on average",
            kind.label(),
            b.mean_body_bytes()
        );
    }
    let mut rows = Vec::new();
    let mut ceilings = Vec::new();
    for kind in [Kind::WebForm, Kind::WhatsApp] {
        let r = cases::ceiling(&p, kind).await;
        ceilings.push((kind, r.rps));
        rows.push(r);
    }
    let ceiling = |kind: Kind| {
        ceilings
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| *r)
            .unwrap_or(0.0)
    };
    let mut backends = vec![Backend::Sqlite];
    backends.extend(Backend::postgres().await);
    // SATUPINTU_BENCH_CASES=sqlite,whatsapp keeps the gateway cases whose
    // name holds every word given (case-insensitive).
    let wanted = std::env::var("SATUPINTU_BENCH_CASES")
        .unwrap_or_default()
        .to_lowercase();
    let keep = |name: String| {
        let name = name.to_lowercase();
        wanted.split(',').map(str::trim).all(|w| name.contains(w))
    };
    for end_to_end in [false, true] {
        for backend in &backends {
            for kind in [Kind::WebForm, Kind::WhatsApp] {
                let stage = if end_to_end { "end to end" } else { "intake" };
                if !keep(format!("{stage}, {}, {}", kind.label(), backend.label())) {
                    continue;
                }
                // The machine's speed drifts by a third within minutes:
                // each case is set against a ceiling measured just before.
                let paired = cases::ceiling(&p, kind).await.rps;
                let mut r = cases::gateway(&p, backend, kind, end_to_end).await;
                r.ceiling_rps = paired;
                println!(
                    "  {}: {:.0} req/s (ceiling just before: {:.0})",
                    r.case, r.rps, paired
                );
                rows.push(r);
            }
        }
    }
    let (idle_ready_kb, idle_settled_kb) = cases::idle(&p).await;
    let seeded = if p.seeded > 0 {
        let mut s = seed::case(&p).await;
        s.load.ceiling_rps = ceiling(Kind::WebForm);
        Some(s)
    } else {
        None
    };
    let report = report::Report {
        rows,
        idle_ready_kb,
        idle_settled_kb,
        seeded,
    };
    report.print();

    let failures: Vec<String> = report
        .rows
        .iter()
        .chain(report.seeded.as_ref().map(|s| &s.load))
        .filter(|r| r.errors > 0)
        .map(|r| {
            format!(
                "{}: {} errors, first: {}",
                r.case,
                r.errors,
                r.first_error.clone().unwrap_or_default()
            )
        })
        .collect();
    let unstored: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| r.stored.as_ref().map(|s| (r, s)))
        .filter(|(_, s)| {
            s.messages != s.accepted as i64
                || s.dead > 0
                || s.delivered.is_some_and(|d| (d as i64) < s.created)
        })
        .map(|(r, s)| {
            format!(
                "{}: accepted {}, stored {}, created {}, delivered {:?}",
                r.case, s.accepted, s.messages, s.created, s.delivered
            )
        })
        .collect();
    for problem in failures.iter().chain(&unstored) {
        eprintln!("problem: {problem}");
    }
    if smoke {
        assert!(
            failures.is_empty() && unstored.is_empty(),
            "benchmark smoke run found problems"
        );
        return;
    }
    let out_dir = p.root.join("target/bench");
    std::fs::create_dir_all(&out_dir).expect("target/bench");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let path = out_dir.join(format!("intake-{stamp}.json"));
    let params = serde_json::json!({
        "requests": p.requests, "concurrency": p.concurrency, "seeded": p.seeded, "cores": cores,
    });
    let json = serde_json::to_string_pretty(&report.json(params)).expect("JSON");
    std::fs::write(&path, json).expect("results file");
    println!("written to {}", path.display());
}

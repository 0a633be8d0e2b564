//! Figures of a run: printed as tables and written as JSON so runs can be
//! compared.

use serde_json::json;

pub struct OpenLoop {
    /// Requests started per second (half the closed-loop maximum).
    pub rate: f64,
    pub achieved_rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub errors: usize,
    /// Every run's p99, lowest first; the figures above are the median run's.
    pub p99_runs_ms: Vec<f64>,
}

pub struct StoredFigures {
    /// Requests answered 2xx (closed and open loop).
    pub accepted: usize,
    /// Inbound messages stored for them.
    pub messages: i64,
    /// New complaints.
    pub created: i64,
    /// Complaints linked to an earlier citizen's report of the same problem.
    pub linked: i64,
    /// Requests written as re-reports of an earlier problem and place.
    pub rereports_sent: usize,
    /// End to end: complaints the stand-in destination received.
    pub delivered: Option<usize>,
    /// End to end: replies the Graph API stand-in received.
    pub replies: Option<usize>,
    /// End to end: outbox rows given up on.
    pub dead: i64,
}

pub struct Row {
    pub case: String,
    pub requests: usize,
    pub seconds: f64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub errors: usize,
    pub first_error: Option<String>,
    pub server_cpu_us: f64,
    pub loadgen_cpu_us: f64,
    pub peak_rss_kb: u64,
    /// The ceiling's rate for the same bodies (for a gateway case, measured
    /// just before it).
    pub ceiling_rps: f64,
    pub open: Option<OpenLoop>,
    pub stored: Option<StoredFigures>,
    /// Intake: requests / seconds from the closed loop's start until the
    /// intake journal was empty (every message taken in).
    pub taken_in_rps: Option<f64>,
}

pub struct Seeded {
    pub complaints: u64,
    pub seed_seconds: f64,
    pub db_bytes: u64,
    /// Share of the complaints inside the duplicate-detection window.
    pub in_window_share: f64,
    pub ready_seconds: f64,
    pub rss_ready_kb: u64,
    pub rss_after_load_kb: u64,
    pub peak_rss_kb: u64,
    pub load: Row,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub idle_ready_kb: u64,
    pub idle_settled_kb: u64,
    pub seeded: Option<Seeded>,
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

impl Report {
    pub fn print(&self) {
        println!(
            "\n{:<34} {:>7} {:>7} {:>7} {:>8} {:>7} {:>8} {:>8} {:>7} {:>5}",
            "case",
            "req/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "ceiling",
            "srv µs/r",
            "gen µs/r",
            "peak MB",
            "err"
        );
        for r in &self.rows {
            println!(
                "{:<34} {:>7.0} {:>7.2} {:>7.2} {:>8.2} {:>6.1}% {:>8.0} {:>8.0} {:>7.1} {:>5}",
                r.case,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.p999_ms,
                100.0 * r.rps / r.ceiling_rps,
                r.server_cpu_us,
                r.loadgen_cpu_us,
                mb(r.peak_rss_kb),
                r.errors
            );
        }
        println!("(end-to-end rows: requests / time until the last delivery; latency is the intake answer)");
        println!("\nopen loop at half the maximum (latency from each request's scheduled start; the run with the median p99):");
        println!(
            "{:<34} {:>8} {:>7} {:>7} {:>8} {:>5}  p99 of every run",
            "case", "rate/s", "p50 ms", "p99 ms", "p99.9 ms", "err"
        );
        for r in &self.rows {
            if let Some(o) = &r.open {
                let runs: Vec<String> = o.p99_runs_ms.iter().map(|p| format!("{p:.1}")).collect();
                println!(
                    "{:<34} {:>8.0} {:>7.2} {:>7.2} {:>8.2} {:>5}  {}",
                    r.case,
                    o.rate,
                    o.p50_ms,
                    o.p99_ms,
                    o.p999_ms,
                    o.errors,
                    runs.join(" ")
                );
            }
        }
        println!("\nwhat was stored (accepted requests vs rows read back; taken in: closed-loop requests / seconds until the intake journal was empty):");
        println!(
            "{:<34} {:>10} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9} {:>7} {:>5}",
            "case",
            "taken in/s",
            "accepted",
            "messages",
            "created",
            "linked",
            "re-report",
            "delivered",
            "replies",
            "dead"
        );
        for r in &self.rows {
            if let Some(s) = &r.stored {
                let opt = |v: Option<usize>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                let taken = r
                    .taken_in_rps
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:<34} {:>10} {:>8} {:>8} {:>8} {:>7} {:>9} {:>9} {:>7} {:>5}",
                    r.case,
                    taken,
                    s.accepted,
                    s.messages,
                    s.created,
                    s.linked,
                    s.rereports_sent,
                    opt(s.delivered),
                    opt(s.replies),
                    s.dead
                );
            }
        }
        println!(
            "\nidle gateway (fresh SQLite, shipped configuration): {:.1} MB resident when ready, {:.1} MB after settling",
            mb(self.idle_ready_kb),
            mb(self.idle_settled_kb)
        );
        if let Some(s) = &self.seeded {
            println!(
                "gateway on {} seeded complaints ({:.1}% inside the 72 h duplicate window; seeded in {:.0} s, database {:.0} MB): \
                 ready after {:.1} s at {:.1} MB resident, {:.1} MB after {} more requests (peak {:.1} MB; {:.0} req/s, p99 {:.2} ms)",
                s.complaints, 100.0 * s.in_window_share, s.seed_seconds, s.db_bytes as f64 / 1e6,
                s.ready_seconds, mb(s.rss_ready_kb), mb(s.rss_after_load_kb), s.load.requests,
                mb(s.peak_rss_kb), s.load.rps, s.load.p99_ms
            );
        }
    }

    pub fn json(&self, params: serde_json::Value) -> serde_json::Value {
        let rows: Vec<_> = self.rows.iter().map(row_json).collect();
        json!({
            "params": params,
            "runs": rows,
            "idle_rss_ready_kb": self.idle_ready_kb,
            "idle_rss_settled_kb": self.idle_settled_kb,
            "seeded": self.seeded.as_ref().map(|s| json!({
                "complaints": s.complaints, "seed_seconds": s.seed_seconds, "db_bytes": s.db_bytes,
                "in_duplicate_window_share": s.in_window_share, "ready_seconds": s.ready_seconds,
                "rss_ready_kb": s.rss_ready_kb, "rss_after_load_kb": s.rss_after_load_kb,
                "peak_rss_kb": s.peak_rss_kb, "load": row_json(&s.load),
            })),
        })
    }
}

fn row_json(r: &Row) -> serde_json::Value {
    json!({
        "case": r.case, "requests": r.requests, "seconds": r.seconds, "rps": r.rps,
        "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "p999_ms": r.p999_ms,
        "ceiling_rps": r.ceiling_rps, "ratio_to_ceiling": r.rps / r.ceiling_rps, "errors": r.errors, "first_error": r.first_error,
        "server_cpu_us_per_request": r.server_cpu_us, "loadgen_cpu_us_per_request": r.loadgen_cpu_us,
        "server_peak_rss_kb": r.peak_rss_kb, "taken_in_rps": r.taken_in_rps,
        "open_loop_half_max": r.open.as_ref().map(|o| json!({
            "rate": o.rate, "achieved_rps": o.achieved_rps, "p50_ms": o.p50_ms,
            "p99_ms": o.p99_ms, "p999_ms": o.p999_ms, "errors": o.errors,
            "p99_ms_of_every_run": o.p99_runs_ms,
        })),
        "stored": r.stored.as_ref().map(|s| json!({
            "accepted": s.accepted, "messages": s.messages, "created": s.created, "linked": s.linked,
            "rereports_sent": s.rereports_sent, "delivered": s.delivered, "replies": s.replies, "dead": s.dead,
        })),
    })
}

//! The measured cases: the ceiling, and the gateway's intake (until the
//! commit) or end to end (until the stand-in destination took every
//! complaint and the Graph API stand-in every reply), each in a fresh
//! server process on a fresh database.

use crate::bodies::{self, Kind};
use crate::db::{self, Backend};
use crate::gateway_config::{self, Options};
use crate::load::{self, Outcome};
use crate::procs::{self, Server};
use crate::report::{OpenLoop, Row, StoredFigures};
use crate::standin::Standin;
use crate::Params;
use std::time::{Duration, Instant};

/// CPU seconds of the server and of this process around `f`.
pub struct Cpu {
    server: f64,
    own: f64,
}

pub fn cpu(server: &Server) -> Cpu {
    Cpu {
        server: server.cpu_seconds(),
        own: procs::cpu_seconds(std::process::id()),
    }
}

pub fn row(case: String, out: &Outcome, before: Cpu, after: Cpu, server: &Server) -> Row {
    let n = out.requests.max(1) as f64;
    Row {
        case,
        requests: out.requests,
        seconds: out.seconds,
        rps: out.rps(),
        p50_ms: out.pct(0.5),
        p99_ms: out.pct(0.99),
        p999_ms: out.pct(0.999),
        errors: out.errors,
        first_error: out.first_error.clone(),
        server_cpu_us: (after.server - before.server) * 1e6 / n,
        loadgen_cpu_us: (after.own - before.own) * 1e6 / n,
        peak_rss_kb: server.peak_kb(),
        ceiling_rps: 0.0,
        open: None,
        stored: None,
        taken_in_rps: None,
    }
}

/// The bare handler with the bodies of `kind`.
pub async fn ceiling(p: &Params, kind: Kind) -> Row {
    let server = Server::ceiling().await;
    let url = format!("{}{}", server.base, kind.path());
    let warm = bodies::batch(&p.root, kind, p.warmup, 1, &p.app_secret);
    load::closed(&url, &warm, 4).await;
    let batch = bodies::batch(&p.root, kind, p.requests, 2, &p.app_secret);
    let before = cpu(&server);
    let out = load::closed(&url, &batch, p.concurrency).await;
    let after = cpu(&server);
    let mut r = row(
        format!("ceiling, {} body", kind.label()),
        &out,
        before,
        after,
        &server,
    );
    r.ceiling_rps = r.rps;
    r
}

/// The open-loop runs of a case, as the run with the median p99.
fn open_loop(runs: &[Outcome], rate: f64) -> OpenLoop {
    let mut by_p99: Vec<&Outcome> = runs.iter().collect();
    by_p99.sort_by(|a, b| a.pct(0.99).total_cmp(&b.pct(0.99)));
    let out = by_p99[by_p99.len() / 2];
    OpenLoop {
        rate,
        achieved_rps: out.rps(),
        p50_ms: out.pct(0.5),
        p99_ms: out.pct(0.99),
        p999_ms: out.pct(0.999),
        errors: runs.iter().map(|o| o.errors).sum(),
        p99_runs_ms: by_p99.iter().map(|o| o.pct(0.99)).collect(),
    }
}

/// Intake (`end_to_end` false: dispatch off, answered after the commit,
/// then the same again open loop at half the rate reached) or end to end.
pub async fn gateway(p: &Params, backend: &Backend, kind: Kind, end_to_end: bool) -> Row {
    let dir = tempfile::tempdir().expect("temporary directory");
    let tag = format!(
        "{}{}",
        if kind == Kind::WebForm { "web" } else { "wa" },
        if end_to_end { "_e2e" } else { "" }
    );
    let db_url = backend.fresh(dir.path(), &tag).await;
    let standin = Standin::start().await;
    let port = procs::free_port();
    let config = gateway_config::write(
        &p.root,
        dir.path(),
        &Options {
            db_url: &db_url,
            port,
            dispatch: end_to_end,
            whatsapp: Some((&p.app_secret, &standin.base)),
            standin: end_to_end.then_some(standin.base.as_str()),
        },
    );
    let server = Server::gateway(&config, dir.path(), port).await;
    let conn = sea_orm::Database::connect(db_url.as_str())
        .await
        .expect("bench database");
    // On SQLite the intake journal is a file of its own beside the
    // database's; the gateway has made it by the time it is ready.
    let journal = match backend {
        Backend::Sqlite => sea_orm::Database::connect(format!(
            "sqlite://{}?mode=ro",
            dir.path().join("bench.db-intake").display()
        ))
        .await
        .expect("the intake journal's file"),
        Backend::Postgres { .. } => conn.clone(),
    };
    let url = format!("{}{}", server.base, kind.path());

    let warm = bodies::batch(&p.root, kind, p.warmup, 11, &p.app_secret);
    load::closed(&url, &warm, 4).await;
    taken_in(&journal).await;
    if end_to_end {
        drain(&conn, &journal).await;
    }
    let stored_before = db::stored(&conn).await;
    let (delivered_before, replies_before) = (standin.deliveries(), standin.replies());

    let batch = bodies::batch(&p.root, kind, p.requests, 12, &p.app_secret);
    let before = cpu(&server);
    let mut out = load::closed(&url, &batch, p.concurrency).await;
    let started = Instant::now() - Duration::from_secs_f64(out.seconds);
    // A WhatsApp message or a web form submission is answered once it is
    // in the intake journal; its CPU counts until the pipeline has taken
    // it in.
    taken_in(&journal).await;
    let taken_in_rps = out.requests as f64 / started.elapsed().as_secs_f64();
    if end_to_end {
        drain(&conn, &journal).await;
        out.seconds = started.elapsed().as_secs_f64();
    }
    let after = cpu(&server);
    let stage = if end_to_end { "end to end" } else { "intake" };
    let mut r = row(
        format!("{stage}, {}, {}", kind.label(), backend.label()),
        &out,
        before,
        after,
        &server,
    );
    if !end_to_end {
        r.taken_in_rps = Some(taken_in_rps);
    }
    let mut accepted = out.accepted();
    let mut rereports = batch.rereports;

    if !end_to_end {
        let rate = std::env::var("SATUPINTU_BENCH_OPEN_RATE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or((r.rps / 2.0).max(1.0));
        // The tail varies far more from run to run than the rest: the
        // run with the median p99 is reported, every run's p99 beside it.
        let mut runs = Vec::new();
        for k in 0..p.open_runs as u64 {
            let half = bodies::batch(&p.root, kind, p.requests, 13 + 100 * k, &p.app_secret);
            let slow = load::open(&url, &half, rate).await;
            taken_in(&journal).await;
            accepted += slow.accepted();
            rereports += half.rereports;
            r.errors += slow.errors;
            r.first_error = r.first_error.take().or(slow.first_error.clone());
            runs.push(slow);
        }
        r.open = Some(open_loop(&runs, rate));
        r.peak_rss_kb = server.peak_kb();
    }
    let s = db::stored(&conn).await - stored_before;
    r.stored = Some(StoredFigures {
        accepted,
        messages: s.messages,
        created: s.complaints - s.linked,
        linked: s.linked,
        rereports_sent: rereports,
        delivered: end_to_end.then(|| standin.deliveries() - delivered_before),
        replies: end_to_end.then(|| standin.replies() - replies_before),
        dead: if end_to_end { db::dead(&conn).await } else { 0 },
    });
    server.stop();
    journal.close().await.ok();
    conn.close().await.ok();
    backend.drop(&db_url).await;
    r
}

/// Waits until the intake journal is empty (ten minutes at most).
async fn taken_in(conn: &sea_orm::DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while db::journaled(conn).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Waits until every message is taken in and the outbox holds nothing to
/// deliver (ten minutes at most).
async fn drain(conn: &sea_orm::DatabaseConnection, journal: &sea_orm::DatabaseConnection) {
    taken_in(journal).await;
    let deadline = Instant::now() + Duration::from_secs(600);
    while db::undelivered(conn).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Resident memory of a gateway on a fresh SQLite database with the city's
/// configuration as shipped (web form, routing, dispatch, SLA clocks):
/// after readiness and after `settle` more.
pub async fn idle(p: &Params) -> (u64, u64) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_url = Backend::Sqlite.fresh(dir.path(), "idle").await;
    let port = procs::free_port();
    let config = gateway_config::write(
        &p.root,
        dir.path(),
        &Options {
            db_url: &db_url,
            port,
            dispatch: true,
            whatsapp: None,
            standin: None,
        },
    );
    let server = Server::gateway(&config, dir.path(), port).await;
    let ready = server.rss_kb();
    tokio::time::sleep(p.settle).await;
    let settled = server.rss_kb();
    server.stop();
    (ready, settled)
}

//! Intake benchmark: web-form submissions per second and latency
//! percentiles, from the request until the commit, on SQLite and on
//! PostgreSQL, next to the ceiling of a bare axum handler on this machine,
//! and end to end until delivery into an agency queue.
//!
//!   cargo bench --bench intake
//!
//! Under `cargo test` it makes a short smoke run instead.
//!
//! Environment: SATUPINTU_BENCH_REQUESTS (default 3000),
//! SATUPINTU_BENCH_CONCURRENCY (default 32), SATUPINTU_TEST_DATABASE_URL
//! (PostgreSQL admin URL; its case is skipped with a notice when
//! unreachable). Results are printed and written to
//! target/bench/intake-<unix time>.json so runs can be compared.

use satupintu::config::{AgencyConfig, Config, DestinationConfig};
use satupintu::startup::Application;
use sea_orm::{ConnectionTrait, Database};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

struct Run {
    name: String,
    requests: usize,
    seconds: f64,
    latencies_us: Vec<u64>,
    errors: usize,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

fn body(i: usize) -> serde_json::Value {
    let text = format!(
        "Laporan nomor {i}: jalan di depan rumah kami di Kelurahan Air Tawar Barat rusak parah sejak \
         musim hujan bulan lalu. Lubangnya dalam dan lebar, sudah ada beberapa pengendara motor yang \
         terjatuh terutama pada malam hari karena lampu jalan juga mati. Air hujan menggenang dan \
         saluran drainase di sisi jalan tersumbat sampah sehingga air meluap ke rumah warga. Kami \
         mohon Dinas PUPR segera memperbaiki jalan dan membersihkan saluran, serta memasang rambu \
         peringatan sementara agar tidak ada korban lagi. Terima kasih atas perhatian Bapak/Ibu. {}",
        "Mohon ditindaklanjuti. ".repeat(8)
    );
    serde_json::json!({
        "text": text,
        "title": format!("Jalan rusak {i}"),
        "name": format!("Warga {i}"),
        "phone": format!("0812{:08}", i),
        "address": "Jl. Prof. Hamka, Air Tawar Barat",
        "lat": -0.897, "lon": 100.350,
    })
}

async fn load(name: &str, url: String, requests: usize, concurrency: usize) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let t = Instant::now();
                match client.post(&url).json(&body(i)).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed().as_micros() as u64);
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies_us = Vec::with_capacity(requests);
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.await.unwrap();
        latencies_us.extend(lat);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies_us.sort_unstable();
    Run {
        name: name.into(),
        requests,
        seconds,
        latencies_us,
        errors,
    }
}

async fn ceiling() -> (SocketAddr, CancellationToken) {
    let app = axum::Router::new().route(
        "/api/v1/complaints",
        axum::routing::post(|body: axum::body::Bytes| async move {
            (axum::http::StatusCode::CREATED, format!("{}", body.len()))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let s = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(s.cancelled_owned())
            .await
            .unwrap();
    });
    (addr, stop)
}

fn config(db_url: &str, dir: &std::path::Path, dispatch: bool) -> Config {
    let mut c = Config::default();
    c.server.listen = "127.0.0.1:0".parse().unwrap();
    c.server.shutdown_grace_secs = 5;
    c.database.url = db_url.into();
    c.database.max_connections = 16;
    c.attachments.dir = dir.join("attachments");
    // The default destination only: routing rules are measured by their own bench.
    c.routing.rules_file = dir.join("no-rules.toml");
    c.dispatch.enabled = dispatch;
    // Every request carries nearly the same text from another citizen, which
    // duplicate detection would link instead of delivering; it has its own bench.
    c.dedup.enabled = false;
    c.dispatch.poll_interval_ms = 100;
    c.agencies.insert(
        "pupr".into(),
        AgencyConfig {
            name: "Dinas PUPR".into(),
            token: None,
            token_sha256: None,
        },
    );
    c.destinations.insert(
        "pupr".into(),
        DestinationConfig::AgencyQueue {
            agency: "pupr".into(),
        },
    );
    c.dispatch.default_destination = "pupr".into();
    c
}

async fn postgres_database() -> Option<(String, String)> {
    let admin = std::env::var("SATUPINTU_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let conn = match Database::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("PostgreSQL not reachable at {admin} ({e}); skipping its cases");
            return None;
        }
    };
    let name = format!("satupintu_bench_{}", std::process::id());
    conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
        .await
        .ok()?;
    conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .ok()?;
    let (base, _) = admin.rsplit_once('/')?;
    Some((format!("{base}/{name}"), admin))
}

async fn drop_postgres(admin: &str, url: &str) {
    let name = url.rsplit('/').next().unwrap();
    if let Ok(conn) = Database::connect(admin).await {
        let _ = conn
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

/// Intake only (dispatch off), then end to end: the same load with the
/// dispatcher on, timed until every complaint sits in the agency queue.
async fn gateway_runs(label: &str, db_url: &str, requests: usize, concurrency: usize) -> Vec<Run> {
    let mut runs = Vec::new();
    for dispatch in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let app = Application::build(config(db_url, dir.path(), dispatch))
            .await
            .expect("gateway starts");
        let store = app.store();
        let url = format!("http://{}/api/v1/complaints", app.local_addr());
        let stop = CancellationToken::new();
        let handle = tokio::spawn(app.run(stop.clone()));
        let _warm = load("warm-up", url.clone(), 50.min(requests), 4).await;
        if !dispatch {
            runs.push(load(&format!("intake, {label}"), url, requests, concurrency).await);
        } else {
            let started = Instant::now();
            let mut run = load(&format!("end to end, {label}"), url, requests, concurrency).await;
            let want = requests + 50.min(requests);
            loop {
                let n = satupintu::store::outbox::depth(store.db()).await.unwrap();
                let delivered = n
                    .iter()
                    .find(|(s, _)| s == "delivered")
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                if delivered as usize >= want || started.elapsed() > Duration::from_secs(600) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            run.seconds = started.elapsed().as_secs_f64();
            runs.push(run);
        }
        stop.cancel();
        handle.await.unwrap().unwrap();
        if db_url.starts_with("postgres") {
            // Fresh tables for the next run.
            let conn = Database::connect(db_url).await.unwrap();
            for t in [
                "agency_queue_items",
                "delivery_attempts",
                "outbox",
                "attachments",
                "complaint_events",
                "inbound_messages",
                "complaints",
                "citizen_addresses",
                "citizens",
            ] {
                conn.execute_unprepared(&format!("TRUNCATE {t} CASCADE"))
                    .await
                    .unwrap();
            }
        }
    }
    runs
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; under `cargo test` this is a smoke run
    // that only proves the benchmark still works.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let requests = if smoke {
        40
    } else {
        env("SATUPINTU_BENCH_REQUESTS", 3000)
    };
    let concurrency = if smoke {
        4
    } else {
        env("SATUPINTU_BENCH_CONCURRENCY", 32)
    };
    println!("satupintu intake benchmark: {requests} requests, {concurrency} concurrent clients, {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));

    let mut runs = Vec::new();
    let (addr, stop) = ceiling().await;
    let _ = load(
        "warm-up",
        format!("http://{addr}/api/v1/complaints"),
        200,
        4,
    )
    .await;
    runs.push(
        load(
            "ceiling: bare axum handler",
            format!("http://{addr}/api/v1/complaints"),
            requests,
            concurrency,
        )
        .await,
    );
    stop.cancel();

    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    runs.extend(gateway_runs("SQLite", &sqlite, requests, concurrency).await);
    if let Some((pg, admin)) = postgres_database().await {
        runs.extend(gateway_runs("PostgreSQL", &pg, requests, concurrency).await);
        drop_postgres(&admin, &pg).await;
    }

    let ceiling_rps = runs[0].rps();
    println!(
        "\n{:<34} {:>10} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "case", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "ceiling", "errors"
    );
    let mut json_runs = Vec::new();
    for r in &runs {
        println!(
            "{:<34} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>7.1}% {:>7}",
            r.name,
            r.rps(),
            r.pct(0.5),
            r.pct(0.99),
            r.pct(0.999),
            100.0 * r.rps() / ceiling_rps,
            r.errors
        );
        json_runs.push(serde_json::json!({
            "case": r.name, "requests": r.requests, "seconds": r.seconds, "rps": r.rps(),
            "p50_ms": r.pct(0.5), "p99_ms": r.pct(0.99), "p999_ms": r.pct(0.999),
            "ratio_to_ceiling": r.rps() / ceiling_rps, "errors": r.errors,
        }));
    }
    println!("(end-to-end rows: requests / time until the last complaint was delivered; latency is the intake answer)");
    println!(
        "peak resident memory of this process (server and load generator): {} MB",
        rss_kb() / 1024
    );
    if smoke {
        assert!(
            runs.iter().all(|r| r.errors == 0),
            "benchmark smoke run had errors"
        );
        return;
    }
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = out_dir.join(format!("intake-{stamp}.json"));
    let report = serde_json::json!({"requests": requests, "concurrency": concurrency, "peak_rss_kb": rss_kb(), "runs": json_runs});
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("written to {}", path.display());
}

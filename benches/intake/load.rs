//! The load generator: keep-alive HTTP/1.1 clients posting prepared bodies.
//! Closed loop (`closed`): a fixed number of clients, each sending its next
//! request when the last is answered, to find the maximum throughput.
//! Open loop (`open`): requests start on a fixed schedule whatever the
//! answers, and latency counts from the scheduled start, so a stalled
//! server cannot hide its queue (no coordinated omission).

use crate::bodies::{Batch, Prepared};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one load run saw from the client side.
#[derive(Default)]
pub struct Outcome {
    pub requests: usize,
    pub seconds: f64,
    /// Sorted latencies of answered requests, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Answers outside 2xx and transport errors.
    pub errors: usize,
    /// The first error seen, to tell what went wrong.
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }

    pub fn accepted(&self) -> usize {
        self.latencies_us.len()
    }

    /// Percentile `p` (0..1) in milliseconds.
    pub fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

pub fn client(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// Sends one request; `Err` carries what went wrong.
async fn send(client: &reqwest::Client, url: &str, r: &Prepared) -> Result<(), String> {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .body(r.body.clone());
    if let Some(sig) = &r.signature {
        req = req.header("x-hub-signature-256", sig);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| e.to_string())?;
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

fn collect(
    parts: Vec<(Vec<u64>, usize, Option<String>)>,
    requests: usize,
    started: Instant,
) -> Outcome {
    let seconds = started.elapsed().as_secs_f64();
    let mut out = Outcome {
        requests,
        seconds,
        ..Default::default()
    };
    for (lat, errors, first) in parts {
        out.latencies_us.extend(lat);
        out.errors += errors;
        out.first_error = out.first_error.or(first);
    }
    out.latencies_us.sort_unstable();
    out
}

/// Every request of `batch` through `concurrency` clients, as fast as answered.
pub async fn closed(url: &str, batch: &Batch, concurrency: usize) -> Outcome {
    let client = client(concurrency);
    let requests = Arc::new(batch.requests.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, next, requests) = (
                client.clone(),
                url.to_string(),
                next.clone(),
                requests.clone(),
            );
            tokio::spawn(async move {
                let (mut lat, mut errors, mut first) = (Vec::new(), 0, None);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = requests.get(i) else { break };
                    let t = Instant::now();
                    match send(&client, &url, r).await {
                        Ok(()) => lat.push(t.elapsed().as_micros() as u64),
                        Err(e) => {
                            errors += 1;
                            first = first.or(Some(e));
                        }
                    }
                }
                (lat, errors, first)
            })
        })
        .collect();
    let mut parts = Vec::new();
    for w in workers {
        parts.push(w.await.expect("load worker"));
    }
    collect(parts, batch.requests.len(), started)
}

/// Every request of `batch` started at `rate` per second on schedule.
pub async fn open(url: &str, batch: &Batch, rate: f64) -> Outcome {
    let client = client(256);
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let started = Instant::now();
    let tasks: Vec<_> = batch
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let scheduled = started + interval * i as u32;
            let (client, url, r) = (client.clone(), url.to_string(), r.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(scheduled.into()).await;
                let result = send(&client, &url, &r).await;
                result.map(|()| scheduled.elapsed().as_micros() as u64)
            })
        })
        .collect();
    let (mut lat, mut errors, mut first) = (Vec::new(), 0, None);
    let mut timeline = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.expect("open-loop request") {
            Ok(us) => {
                lat.push(us);
                timeline.push((interval * i as u32, us));
            }
            Err(e) => {
                errors += 1;
                first = first.or(Some(e));
            }
        }
    }
    write_timeline(&timeline);
    collect(vec![(lat, errors, first)], batch.requests.len(), started)
}

/// With SATUPINTU_BENCH_TIMELINE set to a file, writes each answered
/// open-loop request's scheduled start and latency there (milliseconds,
/// tab-separated), to tell where in a run the slow requests fall.
fn write_timeline(timeline: &[(Duration, u64)]) {
    let Ok(path) = std::env::var("SATUPINTU_BENCH_TIMELINE") else {
        return;
    };
    let lines: String = timeline
        .iter()
        .map(|(at, us)| format!("{:.3}\t{:.3}\n", at.as_secs_f64() * 1e3, *us as f64 / 1e3))
        .collect();
    if let Err(e) = std::fs::write(&path, lines) {
        eprintln!("cannot write the timeline to {path}: {e}");
    }
}

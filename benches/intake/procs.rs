//! Servers under test run as their own processes, so their CPU time and
//! memory are theirs alone: the ceiling is this bench binary re-executed
//! with `--serve-ceiling PORT`, the gateway is the `satupintu` binary cargo
//! built next to the bench, started with a generated configuration.
//! CPU time is utime+stime from /proc/<pid>/stat (clock ticks of 10 ms, the
//! kernel's USER_HZ), memory VmRSS and VmHWM (peak) from /proc/<pid>/status.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USER_HZ: f64 = 100.0;

/// CPU seconds (user + system) a process has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which may hold spaces: state is 3rd,
    // utime the 14th and stime the 15th of the whole line.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / USER_HZ
}

/// A `Vm*` line of /proc/<pid>/status, in KiB.
pub fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server process; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub log: Option<std::path::PathBuf>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid())
    }

    pub fn rss_kb(&self) -> u64 {
        status_kb(self.pid(), "VmRSS")
    }

    pub fn peak_kb(&self) -> u64 {
        status_kb(self.pid(), "VmHWM")
    }

    /// The bench binary itself, serving the bare handler.
    pub async fn ceiling() -> Server {
        let port = free_port();
        let child = Command::new(std::env::current_exe().expect("own path"))
            .args(["--serve-ceiling", &port.to_string()])
            .stdin(Stdio::null())
            .spawn()
            .expect("ceiling server starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: None,
        };
        server.wait_ready("/readyz").await;
        server
    }

    /// `satupintu serve` with `config`, its working directory and log in `dir`.
    pub async fn gateway(config: &Path, dir: &Path, port: u16) -> Server {
        let log = dir.join("gateway.log");
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_satupintu"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env_remove("SATUPINTU_LISTEN")
            .env_remove("SATUPINTU_CONFIG")
            .env_remove("RUST_LOG")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("satupintu starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log: Some(log),
        };
        server.wait_ready("/readyz").await;
        server
    }

    async fn wait_ready(&self, path: &str) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(r) = client.get(format!("{}{path}", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            let log = self
                .log
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok());
            if Instant::now() > deadline || !Path::new(&format!("/proc/{}", self.pid())).exists() {
                panic!(
                    "server did not become ready; its log:\n{}",
                    log.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops gracefully, then waits at most ten seconds before killing.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// The ceiling: a bare axum handler that reads the whole body and answers
/// 200, on the paths the gateway serves, with the gateway's runtime shape.
pub fn serve_ceiling(port: u16) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let read = |body: axum::body::Bytes| async move {
            (axum::http::StatusCode::OK, format!("{}", body.len()))
        };
        let app = axum::Router::new()
            .route("/api/v1/complaints", axum::routing::post(read))
            .route("/webhooks/whatsapp", axum::routing::post(read))
            .route("/readyz", axum::routing::get(|| async { "ready\n" }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("ceiling port");
        axum::serve(listener, app).await.expect("ceiling serves");
    });
}

//! A stand-in for SP4N-LAPOR! that speaks the historical XML `addstream`
//! profile and a JSON profile, records every request, deduplicates by
//! `Idempotency-Key` as a careful API would, and can be told to fail,
//! reject or hang.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "lapor-test-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// Answer 503 to the next N requests, then accept.
    FailTimes(u32),
    /// Answer 503 to every request.
    FailAlways,
    /// Record the request, then never answer while in this mode.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub profile: &'static str,
    pub idempotency_key: Option<String>,
    pub body: String,
}

struct Inner {
    mode: Mode,
    received: Vec<Received>,
    /// Idempotency key -> (tracking id, transaction id).
    reports: HashMap<String, (String, String)>,
    /// Tracking id -> (stage, answer) served by the status endpoint.
    stages: HashMap<String, (String, Option<String>)>,
    status_reads: usize,
}

#[derive(Clone)]
pub struct LaporStandin {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl LaporStandin {
    pub async fn start(mode: Mode) -> LaporStandin {
        let inner = Arc::new(Mutex::new(Inner {
            mode,
            received: vec![],
            reports: HashMap::new(),
            stages: HashMap::new(),
            status_reads: 0,
        }));
        let standin = LaporStandin {
            addr: "127.0.0.1:0".parse().unwrap(),
            inner,
        };
        let app = Router::new()
            .route("/api/stream/addstream", post(addstream))
            .route("/api/v1/laporan", post(laporan_json))
            .route("/api/v1/laporan/{trackingid}", axum::routing::get(status))
            .with_state(standin.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        LaporStandin { addr, ..standin }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Sets the stage LAPOR reports for a tracking id.
    pub fn set_stage(&self, tracking_id: &str, stage: &str, answer: Option<&str>) {
        self.inner.lock().unwrap().stages.insert(
            tracking_id.into(),
            (stage.into(), answer.map(str::to_string)),
        );
    }

    pub fn status_reads(&self) -> usize {
        self.inner.lock().unwrap().status_reads
    }

    /// Distinct reports created (retries with the same key create none).
    pub fn reports_created(&self) -> usize {
        self.inner.lock().unwrap().reports.len()
    }

    /// Records the request and decides: Some(response) to answer now,
    /// None to create (or find) the report.
    async fn admit(&self, received: Received) -> Option<Response> {
        {
            let mut inner = self.inner.lock().unwrap();
            inner.received.push(received);
            match inner.mode {
                Mode::Accept | Mode::Hang => {}
                Mode::FailTimes(0) => inner.mode = Mode::Accept,
                Mode::FailTimes(n) => {
                    inner.mode = if n == 1 {
                        Mode::Accept
                    } else {
                        Mode::FailTimes(n - 1)
                    };
                    return Some((StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response());
                }
                Mode::FailAlways => {
                    return Some((StatusCode::SERVICE_UNAVAILABLE, "down").into_response());
                }
            }
        }
        while self.inner.lock().unwrap().mode == Mode::Hang {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    fn report_for(&self, key: Option<&str>) -> (String, String) {
        let mut inner = self.inner.lock().unwrap();
        let n = inner.reports.len() + 1;
        let key = key
            .map(str::to_string)
            .unwrap_or_else(|| format!("no-key-{}", inner.received.len()));
        inner
            .reports
            .entry(key)
            .or_insert_with(|| (format!("{}", 9_000_000 + n), format!("TRX-{n:06}")))
            .clone()
    }
}

fn key_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn addstream(State(s): State<LaporStandin>, headers: HeaderMap, body: Bytes) -> Response {
    let body = String::from_utf8_lossy(&body).to_string();
    let key = key_of(&headers);
    if let Some(early) = s
        .admit(Received {
            profile: "xml",
            idempotency_key: key.clone(),
            body: body.clone(),
        })
        .await
    {
        return early;
    }
    if !body.contains(&format!("<lapor token=\"{TOKEN}\">")) {
        return (
            StatusCode::UNAUTHORIZED,
            "<response><error>token tidak valid</error></response>",
        )
            .into_response();
    }
    if !body.contains("<isi>") {
        return (
            StatusCode::BAD_REQUEST,
            "<response><error>isi kosong</error></response>",
        )
            .into_response();
    }
    let (tracking, transaction) = s.report_for(key.as_deref());
    (
        StatusCode::OK,
        [("content-type", "application/xml")],
        format!("<response><status>sukses</status><trackingid>{tracking}</trackingid><transaksiid>{transaction}</transaksiid></response>"),
    )
        .into_response()
}

async fn laporan_json(State(s): State<LaporStandin>, headers: HeaderMap, body: Bytes) -> Response {
    let body = String::from_utf8_lossy(&body).to_string();
    let key = key_of(&headers);
    if let Some(early) = s
        .admit(Received {
            profile: "json",
            idempotency_key: key.clone(),
            body: body.clone(),
        })
        .await
    {
        return early;
    }
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {TOKEN}") {
        return (StatusCode::UNAUTHORIZED, r#"{"error":"token tidak valid"}"#).into_response();
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, r#"{"error":"json tidak valid"}"#).into_response();
    };
    if json
        .get("isi")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .is_empty()
    {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"error":"isi kosong"}"#,
        )
            .into_response();
    }
    let (tracking, transaction) = s.report_for(key.as_deref());
    axum::Json(
        serde_json::json!({"status": "sukses", "trackingid": tracking, "transaksiid": transaction}),
    )
    .into_response()
}

async fn status(
    State(s): State<LaporStandin>,
    axum::extract::Path(tracking): axum::extract::Path<String>,
    headers: HeaderMap,
    query: axum::extract::RawQuery,
) -> Response {
    let mut inner = s.inner.lock().unwrap();
    inner.status_reads += 1;
    if matches!(inner.mode, Mode::FailAlways) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down").into_response();
    }
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    let query_token = query
        .0
        .unwrap_or_default()
        .contains(&format!("token={TOKEN}"));
    if !bearer && !query_token {
        return (StatusCode::UNAUTHORIZED, r#"{"error":"token tidak valid"}"#).into_response();
    }
    let known = inner.reports.values().any(|(t, _)| t == &tracking);
    if !known {
        return (
            StatusCode::NOT_FOUND,
            r#"{"error":"laporan tidak ditemukan"}"#,
        )
            .into_response();
    }
    let (stage, answer) = inner
        .stages
        .get(&tracking)
        .cloned()
        .unwrap_or_else(|| ("Belum Terverifikasi".into(), None));
    axum::Json(serde_json::json!({"trackingid": tracking, "status": stage, "tanggapan": answer}))
        .into_response()
}

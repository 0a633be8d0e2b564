//! A minimal Graph API for the client's tests: records sends, answers
//! with what the test sets, serves media metadata and files.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const VERSION: &str = "v23.0";
pub const TOKEN: &str = "graph-token-for-tests";

#[derive(Debug, Clone)]
pub struct Sent {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

pub struct File {
    pub bytes: Vec<u8>,
    /// Send a Content-Length, or stream without one.
    pub declare_length: bool,
}

#[derive(Default)]
struct Inner {
    sent: Vec<Sent>,
    /// Status, body and Retry-After of the answer to sends.
    answer: Option<(u16, String, Option<u64>)>,
    metadata: HashMap<String, (u16, Value)>,
    files: HashMap<String, File>,
    downloads: Vec<Option<String>>,
}

#[derive(Clone)]
pub struct GraphServer {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl GraphServer {
    pub async fn start() -> GraphServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{version}/{phone}/messages", post(send))
            .route("/{version}/{media}", get(metadata))
            .route("/files/{name}", get(file))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        GraphServer { base, inner }
    }

    pub fn answer_sends(&self, status: u16, body: &str, retry_after: Option<u64>) {
        self.inner.lock().unwrap().answer = Some((status, body.to_string(), retry_after));
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    pub fn media(&self, id: &str, status: u16, metadata: Value) {
        self.inner
            .lock()
            .unwrap()
            .metadata
            .insert(id.to_string(), (status, metadata));
    }

    pub fn file(&self, name: &str, bytes: Vec<u8>, declare_length: bool) -> String {
        self.inner.lock().unwrap().files.insert(
            name.to_string(),
            File {
                bytes,
                declare_length,
            },
        );
        format!("{}/files/{name}", self.base)
    }

    pub fn downloads(&self) -> Vec<Option<String>> {
        self.inner.lock().unwrap().downloads.clone()
    }
}

fn auth(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn send(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((version, phone)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.sent.push(Sent {
        path: format!("/{version}/{phone}/messages"),
        authorization: auth(&headers),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let n = inner.sent.len();
    match inner.answer.clone() {
        Some((status, body, retry_after)) => {
            let mut r = (StatusCode::from_u16(status).unwrap(), body).into_response();
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert("retry-after", s.to_string().parse().unwrap());
            }
            r
        }
        None => axum::Json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "x", "wa_id": "x"}],
            "messages": [{"id": format!("wamid.SENT{n}")}],
        }))
        .into_response(),
    }
}

async fn metadata(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((_version, media)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if auth(&headers).as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return (StatusCode::UNAUTHORIZED, r#"{"error":{"code":190}}"#).into_response();
    }
    match inner.lock().unwrap().metadata.get(&media) {
        Some((status, body)) => (
            StatusCode::from_u16(*status).unwrap(),
            axum::Json(body.clone()),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, r#"{"error":{"code":100}}"#).into_response(),
    }
}

async fn file(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.downloads.push(auth(&headers));
    let Some(f) = inner.files.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if f.declare_length {
        f.bytes.clone().into_response()
    } else {
        let chunks: Vec<Result<Bytes, std::io::Error>> = f
            .bytes
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Body::from_stream(futures_util::stream::iter(chunks)).into_response()
    }
}

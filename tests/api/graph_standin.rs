//! A stand-in for Meta's Graph API: records every message sent (which
//! number, to whom, what), answers with a wamid, serves media metadata and
//! bytes behind the bearer token, and can be told to fail.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const VERSION: &str = "v23.0";
pub const ACCESS_TOKEN: &str = "EAAG-graph-access-token-for-tests";

#[derive(Debug, Clone)]
pub struct Sent {
    pub phone_number_id: String,
    pub body: Value,
    /// The wamid the stand-in answered with.
    pub wamid: String,
}

impl Sent {
    pub fn to(&self) -> &str {
        self.body["to"].as_str().unwrap_or("")
    }

    /// The business-scoped user id sent to, when it went to one.
    pub fn recipient(&self) -> &str {
        self.body["recipient"].as_str().unwrap_or("")
    }

    pub fn text(&self) -> &str {
        self.body["text"]["body"].as_str().unwrap_or("")
    }
}

struct Media {
    mime: String,
    bytes: Vec<u8>,
    /// `file_size` in the metadata, as Meta declares it.
    declare_size: bool,
}

#[derive(Default)]
struct Inner {
    sent: Vec<Sent>,
    media: HashMap<String, Media>,
    /// Answer 503 to the next N media metadata requests.
    media_failures: u32,
    media_requests: u32,
    downloads: u32,
    unauthorized: u32,
}

#[derive(Clone)]
pub struct GraphStandin {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {ACCESS_TOKEN}"))
}

impl GraphStandin {
    pub async fn start() -> GraphStandin {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{version}/{phone}/messages", post(send))
            .route("/{version}/{media}", get(metadata))
            .route("/media-files/{media}", get(download))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        GraphStandin { addr, inner }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add_media(&self, id: &str, mime: &str, bytes: Vec<u8>, declare_size: bool) {
        self.inner.lock().unwrap().media.insert(
            id.to_string(),
            Media {
                mime: mime.to_string(),
                bytes,
                declare_size,
            },
        );
    }

    pub fn fail_media_times(&self, n: u32) {
        self.inner.lock().unwrap().media_failures = n;
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// (metadata requests, file downloads, requests without our token)
    pub fn media_counts(&self) -> (u32, u32, u32) {
        let i = self.inner.lock().unwrap();
        (i.media_requests, i.downloads, i.unauthorized)
    }
}

async fn send(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((_version, phone)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap();
    if !authorized(&headers) {
        inner.unauthorized += 1;
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": 190, "message": "Invalid OAuth access token"}})),
        )
            .into_response();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let wamid = format!("wamid.OUT{}", inner.sent.len() + 1);
    inner.sent.push(Sent {
        phone_number_id: phone,
        body: body.clone(),
        wamid: wamid.clone(),
    });
    // A send to a number names the number; one to a user id, the user id.
    let contact = match body.get("to") {
        Some(to) => json!({"input": to, "wa_id": to}),
        None => json!({"input": body["recipient"], "user_id": body["recipient"]}),
    };
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [contact],
        "messages": [{"id": wamid}],
    }))
    .into_response()
}

async fn metadata(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((_version, media)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let mut inner = inner.lock().unwrap();
    inner.media_requests += 1;
    if !authorized(&headers) {
        inner.unauthorized += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if inner.media_failures > 0 {
        inner.media_failures -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
    }
    let Some(m) = inner.media.get(&media) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"code": 100, "message": "Unsupported get request"}})),
        )
            .into_response();
    };
    let mut meta = json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}/media-files/{media}"),
        "mime_type": m.mime,
        "sha256": "not-checked",
        "id": media,
    });
    if m.declare_size {
        meta["file_size"] = json!(m.bytes.len());
    }
    axum::Json(meta).into_response()
}

async fn download(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(media): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.downloads += 1;
    if !authorized(&headers) {
        inner.unauthorized += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match inner.media.get(&media) {
        Some(m) => m.bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

//! A stand-in for the HTTP APIs SMS replies go to (Twilio's Messages
//! resource, a mapped gateway's send URL): records every request and
//! answers with a configured status and JSON body.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Request {
    /// A field of a form-encoded body.
    pub fn form(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| {
                percent_encoding::percent_decode_str(&v.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
    }
}

struct Inner {
    status: u16,
    answer: serde_json::Value,
    received: Vec<Request>,
    /// Path -> (content type, bytes), served instead of the answer.
    files: std::collections::HashMap<String, (&'static str, Vec<u8>)>,
}

#[derive(Clone)]
pub struct Standin {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

async fn record(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let mut inner = inner.lock().unwrap();
    inner.received.push(Request {
        method: method.to_string(),
        uri: uri.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if let Some((mime, bytes)) = inner.files.get(uri.path()) {
        return (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, *mime)],
            bytes.clone(),
        )
            .into_response();
    }
    let n = inner.received.len();
    let mut answer = inner.answer.clone();
    // A fresh id per request, as providers give.
    if let Some(sid) = answer.get_mut("sid") {
        *sid = serde_json::json!(format!("SM{n:032}"));
    }
    (
        StatusCode::from_u16(inner.status).unwrap(),
        axum::Json(answer),
    )
        .into_response()
}

impl Standin {
    pub async fn start(status: u16, answer: serde_json::Value) -> Standin {
        let inner = Arc::new(Mutex::new(Inner {
            status,
            answer,
            received: vec![],
            files: Default::default(),
        }));
        let app = Router::new().fallback(record).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Standin { base, inner }
    }

    /// Serves `bytes` at `path` (a media file).
    pub fn serve_file(&self, path: &str, mime: &'static str, bytes: Vec<u8>) {
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), (mime, bytes));
    }

    pub fn received(&self) -> Vec<Request> {
        self.inner.lock().unwrap().received.clone()
    }
}

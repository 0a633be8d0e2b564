//! A stand-in Telegram Bot API: getUpdates (serving queued updates from
//! the offset asked, recording every offset), getFile and file downloads
//! (a file can be told to hang), and sendMessage (recording each message;
//! it can answer 429 with `retry_after` or 403 "blocked by the user").

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "7000111222:AAHtestTokenNeverLogged_x9";
pub const BOT: &str = "LaporPadangBot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendMode {
    Accept,
    /// Answer 429 with this `retry_after` to the next `times` messages.
    TooManyRequests {
        times: u32,
        retry_after: u32,
    },
    /// Answer 403 "bot was blocked by the user".
    Blocked,
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    pub text: String,
    pub reply_to: Option<i64>,
    pub at: Instant,
    /// The status the stand-in answered with.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    /// The `offset` of every getUpdates call, in order.
    offsets: Vec<Option<i64>>,
    files: HashMap<String, Vec<u8>>,
    hanging: HashSet<String>,
    file_requests: Vec<String>,
    sent: Vec<Sent>,
    send_mode: Option<SendMode>,
    next_message_id: i64,
    /// getFile leaves `file_size` out, as Telegram may.
    hide_file_size: bool,
}

#[derive(Clone)]
pub struct TelegramStandin {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

fn ok(result: Value) -> Response {
    Json(json!({"ok": true, "result": result})).into_response()
}

fn fail(status: StatusCode, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": status.as_u16(), "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (status, Json(body)).into_response()
}

impl TelegramStandin {
    pub async fn start() -> TelegramStandin {
        let inner = Arc::new(Mutex::new(Inner {
            next_message_id: 5000,
            ..Default::default()
        }));
        let placeholder = TelegramStandin {
            addr: "127.0.0.1:0".parse().unwrap(),
            inner,
        };
        let app = Router::new()
            .route("/{bot}/{method}", post(method))
            .route("/file/{bot}/{*path}", get(download))
            .with_state(placeholder.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TelegramStandin {
            addr,
            ..placeholder
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn push_update(&self, update: Value) {
        self.inner.lock().unwrap().updates.push(update);
    }

    pub fn add_file(&self, file_id: &str, bytes: &[u8]) {
        let mut inner = self.inner.lock().unwrap();
        inner.files.insert(file_id.to_string(), bytes.to_vec());
    }

    /// Downloads of `file_id` never finish while it is set.
    pub fn set_hanging(&self, file_id: &str, hanging: bool) {
        let mut inner = self.inner.lock().unwrap();
        if hanging {
            inner.hanging.insert(file_id.to_string());
        } else {
            inner.hanging.remove(file_id);
        }
    }

    pub fn hide_file_sizes(&self) {
        self.inner.lock().unwrap().hide_file_size = true;
    }

    pub fn set_send_mode(&self, mode: SendMode) {
        self.inner.lock().unwrap().send_mode = Some(mode);
    }

    pub fn offsets(&self) -> Vec<Option<i64>> {
        self.inner.lock().unwrap().offsets.clone()
    }

    pub fn file_requests(&self) -> Vec<String> {
        self.inner.lock().unwrap().file_requests.clone()
    }

    /// Messages the stand-in accepted (status 200).
    pub fn sent(&self) -> Vec<Sent> {
        let inner = self.inner.lock().unwrap();
        inner
            .sent
            .iter()
            .filter(|s| s.status == 200)
            .cloned()
            .collect()
    }

    /// Every sendMessage call, refused ones included.
    pub fn send_calls(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    pub fn sent_to(&self, chat_id: i64) -> Vec<String> {
        self.sent()
            .into_iter()
            .filter(|s| s.chat_id == chat_id)
            .map(|s| s.text)
            .collect()
    }

    async fn get_updates(&self, params: &Value) -> Response {
        let offset = params.get("offset").and_then(Value::as_i64);
        let timeout = params.get("timeout").and_then(Value::as_u64).unwrap_or(0);
        let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
        self.inner.lock().unwrap().offsets.push(offset);
        // Long polling, shortened: answer as soon as there is something.
        let deadline = Instant::now() + Duration::from_secs(timeout.min(2));
        loop {
            {
                let mut inner = self.inner.lock().unwrap();
                if let Some(offset) = offset {
                    // Like Telegram: an offset confirms every earlier update.
                    inner
                        .updates
                        .retain(|u| u["update_id"].as_i64().unwrap() >= offset);
                }
                if !inner.updates.is_empty() || Instant::now() >= deadline {
                    let batch: Vec<Value> = inner.updates.iter().take(limit).cloned().collect();
                    return ok(Value::Array(batch));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn get_file(&self, params: &Value) -> Response {
        let id = params["file_id"].as_str().unwrap_or_default().to_string();
        let mut inner = self.inner.lock().unwrap();
        inner.file_requests.push(id.clone());
        match inner.files.get(&id) {
            Some(bytes) => {
                let mut file = json!({
                    "file_id": id,
                    "file_unique_id": format!("u-{id}"),
                    "file_path": format!("photos/{id}.jpg"),
                });
                if !inner.hide_file_size {
                    file["file_size"] = json!(bytes.len());
                }
                ok(file)
            }
            None => fail(
                StatusCode::BAD_REQUEST,
                "Bad Request: invalid file_id",
                None,
            ),
        }
    }

    fn send_message(&self, params: &Value) -> Response {
        let chat_id = params["chat_id"].as_i64().unwrap_or_default();
        let text = params["text"].as_str().unwrap_or_default().to_string();
        let reply_to = params
            .pointer("/reply_parameters/message_id")
            .and_then(Value::as_i64);
        let mut inner = self.inner.lock().unwrap();
        let (status, response) = match inner.send_mode.unwrap_or(SendMode::Accept) {
            SendMode::Accept => (200, None),
            SendMode::TooManyRequests { times, retry_after } => {
                inner.send_mode = (times > 1).then_some(SendMode::TooManyRequests {
                    times: times - 1,
                    retry_after,
                });
                let response = fail(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("Too Many Requests: retry after {retry_after}"),
                    Some(json!({"retry_after": retry_after})),
                );
                (429, Some(response))
            }
            SendMode::Blocked => (
                403,
                Some(fail(
                    StatusCode::FORBIDDEN,
                    "Forbidden: bot was blocked by the user",
                    None,
                )),
            ),
        };
        inner.sent.push(Sent {
            chat_id,
            text: text.clone(),
            reply_to,
            at: Instant::now(),
            status,
        });
        if let Some(response) = response {
            return response;
        }
        inner.next_message_id += 1;
        ok(json!({
            "message_id": inner.next_message_id,
            "from": {"id": 7000111222i64, "is_bot": true, "first_name": "Lapor Padang", "username": BOT},
            "chat": {"id": chat_id, "type": "private", "first_name": "Warga"},
            "date": chrono::Utc::now().timestamp(),
            "text": text,
        }))
    }
}

async fn method(
    State(s): State<TelegramStandin>,
    Path((bot, method)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return fail(StatusCode::UNAUTHORIZED, "Unauthorized", None);
    }
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Bot API method names are case-insensitive.
    match method.to_lowercase().as_str() {
        "getupdates" => s.get_updates(&params).await,
        "getfile" => s.get_file(&params),
        "sendmessage" => s.send_message(&params),
        _ => fail(StatusCode::NOT_FOUND, "Not Found: method not found", None),
    }
}

async fn download(
    State(s): State<TelegramStandin>,
    Path((bot, path)): Path<(String, String)>,
) -> Response {
    if bot != format!("bot{TOKEN}") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = path
        .trim_start_matches("photos/")
        .trim_end_matches(".jpg")
        .to_string();
    loop {
        let (hanging, bytes) = {
            let inner = s.inner.lock().unwrap();
            (inner.hanging.contains(&id), inner.files.get(&id).cloned())
        };
        if !hanging {
            return match bytes {
                Some(b) => b.into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A real update from the adapter's test data.
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/adapters/testdata/telegram/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub const WEBHOOK_SECRET: &str = "webhook-secret-Zq81-never-logged";

/// Points `config` at the stand-in: the bot `BOT` in `mode`, with its
/// token and webhook secret in files under `dir`.
pub fn configure(
    config: &mut satupintu::config::Config,
    dir: &std::path::Path,
    standin: &TelegramStandin,
    mode: satupintu::channels::telegram::TelegramMode,
) {
    use satupintu::channels::telegram::TelegramConfig;
    let mut telegram = TelegramConfig {
        account: BOT.into(),
        token: crate::helpers::secret_file(dir, "telegram.token", TOKEN),
        mode,
        api_url: standin.base_url(),
        webhook_secret: Some(crate::helpers::secret_file(
            dir,
            "telegram.secret",
            WEBHOOK_SECRET,
        )),
        poll_timeout_secs: 1,
        request_timeout_secs: 30,
        ..Default::default()
    };
    // Tests send several answers to one chat in a row.
    telegram.rates.per_chat_per_second = 50;
    config.channels.telegram = Some(telegram);
}

/// Posts an update to the webhook with `secret` as the secret token.
pub async fn post_update(
    app: &crate::helpers::TestApp,
    update: &Value,
    secret: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/webhooks/telegram")).json(update);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    request.send().await.unwrap()
}

/// A private text message from `user` as an update.
pub fn text_update(update_id: i64, message_id: i64, user: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": user, "is_bot": false, "first_name": "Warga"},
            "chat": {"id": user, "first_name": "Warga", "type": "private"},
            "date": 1763900000,
            "text": text,
        }
    })
}

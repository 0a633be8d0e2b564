//! Stand-ins the gateway delivers to in end-to-end runs, served from the
//! bench process: a destination that takes every complaint webhook, and
//! Meta's Graph API taking the replies to WhatsApp citizens. Both count
//! what they received and answer at once.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::Router;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
pub struct Counts {
    pub deliveries: AtomicUsize,
    pub replies: AtomicUsize,
}

pub struct Standin {
    pub base: String,
    pub counts: Arc<Counts>,
    task: tokio::task::JoinHandle<()>,
}

async fn deliver(State(c): State<Arc<Counts>>, Path(_name): Path<String>) -> &'static str {
    c.deliveries.fetch_add(1, Ordering::Relaxed);
    "ok"
}

async fn reply(
    State(c): State<Arc<Counts>>,
    Path((_version, _phone)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> axum::Json<serde_json::Value> {
    let n = c.replies.fetch_add(1, Ordering::Relaxed);
    let to = serde_json::from_slice::<serde_json::Value>(&body)
        .map(|v| v["to"].clone())
        .unwrap_or_default();
    axum::Json(serde_json::json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": format!("wamid.BENCH{n}")}],
    }))
}

impl Standin {
    pub async fn start() -> Standin {
        let counts = Arc::new(Counts::default());
        let app = Router::new()
            .route("/deliver/{name}", post(deliver))
            .route("/{version}/{phone}/messages", post(reply))
            .with_state(counts.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("stand-in port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("stand-in serves");
        });
        Standin { base, counts, task }
    }

    pub fn deliveries(&self) -> usize {
        self.counts.deliveries.load(Ordering::Relaxed)
    }

    pub fn replies(&self) -> usize {
        self.counts.replies.load(Ordering::Relaxed)
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

//! HTTP: the public API, the public pages, the agency queue API and the
//! operations endpoints, on one axum router.

pub mod api_error;
pub mod complaints;
pub mod ops;
pub mod pages;
pub mod public_view;
pub mod queues;
pub mod status;

use crate::config::Config;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::store::Store;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What the handlers share; every request clones it, so it is one
/// reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler works with.
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Store,
    pub intake: Intake,
    pub metrics: Metrics,
    pub agency_tokens: Arc<queues::AgencyTokens>,
    pub notifier: Arc<crate::notify::Notifier>,
    pub sla: Arc<crate::sla::Sla>,
    pub routing: Arc<crate::routing::Routing>,
    pub dispatch_wakeup: Arc<tokio::sync::Notify>,
    /// LAPOR! status handling by destination name (callbacks).
    pub lapor: Arc<std::collections::BTreeMap<String, Arc<crate::status::lapor_poll::LaporPoller>>>,
}

/// The whole HTTP surface: the gateway's own routes plus the channels'
/// webhook routes (`channel_routes`), under the same limits, timeouts,
/// tracing and metrics.
pub fn router(state: AppState, channel_routes: Router) -> Router {
    let body_limit = state.config.webform.limits.max_body_bytes;
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs);
    Router::new()
        .route("/", get(pages::index))
        .route("/cek", get(pages::check))
        .route("/pengaduan/{code}", get(pages::status))
        .route(
            "/api/v1/complaints",
            axum::routing::post(complaints::submit)
                .layer(DefaultBodyLimit::max(body_limit.saturating_add(64 * 1024))),
        )
        .route("/api/v1/complaints/{code}", get(complaints::show))
        .route("/api/v1/queues/{agency}", get(queues::list))
        .route(
            "/api/v1/queues/{agency}/{code}/status",
            axum::routing::post(status::agency_update),
        )
        .route(
            "/webhooks/lapor/{destination}",
            axum::routing::post(status::lapor_callback),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state.clone())
        .merge(channel_routes)
        .route_layer(middleware::from_fn_with_state(state, observe))
        .fallback(not_found)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The path only: a query can hold a secret (the WhatsApp
            // handshake's verify token).
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
}

async fn not_found() -> Response {
    use axum::response::IntoResponse;
    api_error::ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Alamat tidak ditemukan.",
        "No such address.",
    )
    .into_response()
}

/// Records request latency by matched route (never the raw path, which
/// holds tracking codes).
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

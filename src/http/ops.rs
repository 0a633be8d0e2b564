//! Operations endpoints: liveness, readiness and Prometheus metrics.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_string()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n".to_string(),
            )
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match crate::store::outbox::depth(state.store.db()).await {
        Ok(depths) => {
            for s in [
                crate::store::outbox::PENDING,
                crate::store::outbox::LEASED,
                crate::store::outbox::DELIVERED,
                crate::store::outbox::DEAD,
            ] {
                let n = depths
                    .iter()
                    .find(|(state, _)| state == s)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                state.metrics.set_outbox_depth(s, n);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read outbox depth"),
    }
    match state.intake.journal_counts().await {
        Ok((waiting, failing)) => state.metrics.set_journal_entries(waiting, failing),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the intake journal"),
    }
    match crate::sla::report::running_counts(state.store.db(), chrono::Utc::now()).await {
        Ok(counts) => state.metrics.set_sla_clocks(&counts),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read SLA clocks"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

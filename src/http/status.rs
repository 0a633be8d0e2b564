//! Status in over HTTP: an agency marks a complaint in its queue
//! (received, in progress, resolved with an answer, or not theirs), and
//! LAPOR! calls back with a report's stage.

use super::api_error::ApiError;
use super::queues::authorize;
use super::AppState;
use crate::complaint::Status;
use crate::status::{apply, Change};
use crate::store::complaints::{add_event, by_tracking_code, NewEvent};
use crate::store::entity::{agency_queue_item, complaint};
use crate::store::outbox;
use adapters::TrackingCode;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use subtle::ConstantTimeEq;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum AgencyStatus {
    Received,
    InProgress,
    Resolved,
    NotOurs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyUpdate {
    status: AgencyStatus,
    /// The answer (for `resolved`) or the reason (for `not_ours`).
    note: Option<String>,
}

fn bad(code: &'static str, id: &str, en: &str) -> Response {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, id, en).into_response()
}

pub async fn agency_update(
    State(state): State<AppState>,
    Path((agency, code)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&state.agency_tokens, &agency, &headers) {
        return r;
    }
    let update: AgencyUpdate = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(agency, error = %e, "agency status update refused");
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_body",
                format!(
                    "Isi tidak sah: {e}. Contoh: {{\"status\": \"resolved\", \"note\": \"...\"}}"
                ),
                format!(
                    "Invalid body: {e}. Example: {{\"status\": \"resolved\", \"note\": \"...\"}}"
                ),
            )
            .into_response();
        }
    };
    let note = update
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.is_none()
        && matches!(
            update.status,
            AgencyStatus::Resolved | AgencyStatus::NotOurs
        )
    {
        return bad(
            "note_required",
            "Jawaban/alasan (note) wajib diisi untuk status ini.",
            "An answer or reason (note) is required for this status.",
        );
    }
    let not_found = || ApiError::not_found_complaint().into_response();
    let Ok(code) = TrackingCode::parse(&code) else {
        return not_found();
    };
    let result = async {
        let txn = state.store.begin_write().await?;
        let Some(c) = by_tracking_code(&*txn, code.as_str()).await? else {
            return Ok(None);
        };
        let Some(item) = agency_queue_item::Entity::find()
            .filter(agency_queue_item::Column::Agency.eq(agency.as_str()))
            .filter(agency_queue_item::Column::ComplaintId.eq(c.id))
            .filter(agency_queue_item::Column::ReturnedAt.is_null())
            .one(&*txn)
            .await?
        else {
            return Ok(None);
        };
        let now = Utc::now();
        let actor = format!("agency:{agency}");
        let changed = match update.status {
            AgencyStatus::NotOurs => {
                return_to_routing(&state, &*txn, &c, item, &actor, note.clone(), now).await?;
                true
            }
            other => {
                let to = match other {
                    AgencyStatus::Received => Status::Assigned,
                    AgencyStatus::InProgress => Status::InProgress,
                    _ => Status::Resolved,
                };
                let change = Change {
                    to,
                    actor: &actor,
                    note,
                    kind: "status",
                    except_citizen: None,
                    notify: true,
                };
                apply(&*txn, &state.notifier, &state.sla, &c, change, now).await?
            }
        };
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(Some(changed))
    }
    .await;
    match result {
        Ok(Some(changed)) => {
            state.dispatch_wakeup.notify_one();
            Json(serde_json::json!({ "changed": changed })).into_response()
        }
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = %e, agency, "agency status update failed");
            ApiError::unavailable().into_response()
        }
    }
}

/// "Not ours": the item leaves the agency's queue and the complaint goes
/// to the default destination with the agency's note; no complaint is
/// dropped between agencies.
async fn return_to_routing<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    db: &C,
    c: &complaint::Model,
    item: agency_queue_item::Model,
    actor: &str,
    note: Option<String>,
    now: chrono::DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut item: agency_queue_item::ActiveModel = item.into();
    item.returned_at = sea_orm::Set(Some(now));
    item.update(db).await?;
    let dispatch = &state.config.dispatch;
    let destination = dispatch
        .return_destination
        .clone()
        .unwrap_or_else(|| dispatch.default_destination.clone());
    outbox::new_row(Some(c.id), &destination, now)
        .insert(db)
        .await?;
    add_event(
        db,
        NewEvent {
            complaint_id: c.id,
            actor,
            kind: "returned",
            from_status: None,
            to_status: None,
            note,
            data: Some(serde_json::json!({ "rerouted_to": destination })),
            at: now,
        },
    )
    .await
}

pub async fn lapor_callback(
    State(state): State<AppState>,
    Path(destination): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Token tidak sah.",
            "Invalid token.",
        )
        .into_response()
    };
    let Some(poller) = state.lapor.get(&destination).cloned() else {
        return unauthorized();
    };
    let Some(expected) = &poller.callback_token else {
        return unauthorized();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(presented.as_bytes().ct_eq(expected.expose().as_bytes())) {
        tracing::warn!(destination, "LAPOR callback with a wrong token");
        return unauthorized();
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            "Bukan JSON.",
            "Not JSON.",
        )
        .into_response();
    };
    let settings = poller.config.clone().unwrap_or_default();
    let text = |pointer: &str| match json.pointer(pointer) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (Some(tracking), Some(stage)) = (text("/trackingid"), text(&settings.stage_pointer)) else {
        return bad(
            "missing_field",
            "trackingid dan status wajib ada.",
            "trackingid and status are required.",
        );
    };
    let answer = text(&settings.answer_pointer);
    let found = complaint::Entity::find()
        .filter(complaint::Column::LaporTrackingId.eq(tracking.as_str()))
        .one(state.store.db())
        .await;
    match found {
        Ok(Some(c)) => match poller.apply_stage(&c, &stage, answer).await {
            Ok(changed) => {
                state.dispatch_wakeup.notify_one();
                Json(serde_json::json!({ "changed": changed })).into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "LAPOR callback could not be applied");
                ApiError::unavailable().into_response()
            }
        },
        Ok(None) => ApiError::not_found_complaint().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LAPOR callback lookup failed");
            ApiError::unavailable().into_response()
        }
    }
}

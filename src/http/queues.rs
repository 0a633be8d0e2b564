//! Agency queues: each agency reads its own queue with its own bearer
//! token, and never another agency's. Anonymous reporters stay anonymous.

use super::api_error::ApiError;
use super::AppState;
use crate::dispatch::destination::Reporter;
use crate::store::entity::{agency_queue_item, citizen, citizen_address, complaint};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// sha256 of each agency's token, by agency id.
pub type AgencyTokens = BTreeMap<String, [u8; 32]>;

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Items after this queue position (for paging).
    pub after: Option<i64>,
    /// At most this many items (1-200, default 50).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize)]
struct QueueItem {
    position: i64,
    queued_at: chrono::DateTime<chrono::Utc>,
    tracking_code: String,
    title: Option<String>,
    body: String,
    category: Option<String>,
    status: String,
    created_at: chrono::DateTime<chrono::Utc>,
    lat: Option<f64>,
    lon: Option<f64>,
    address: Option<String>,
    kecamatan_code: Option<String>,
    kelurahan_code: Option<String>,
    priority: Option<String>,
    sla_class: Option<String>,
    anonim: bool,
    rahasia: bool,
    lapor_tracking_id: Option<String>,
    reporter: Option<Reporter>,
    /// Citizens who reported this problem (linked duplicates included).
    reporters: u64,
}

fn unauthorized(id: &str, en: &str) -> Response {
    let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", id, en).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        "Bearer".parse().expect("valid header"),
    );
    r
}

/// Checks the bearer token against `agency`'s; a token of another agency
/// is 403, a missing or unknown one 401.
pub fn authorize(tokens: &AgencyTokens, agency: &str, headers: &HeaderMap) -> Result<(), Response> {
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        return Err(unauthorized(
            "Token akses diperlukan.",
            "An access token is required.",
        ));
    };
    let presented = token_hash(presented);
    let matches = |agency_id: &str| {
        tokens
            .get(agency_id)
            .is_some_and(|want| bool::from(want.ct_eq(&presented)))
    };
    if matches(agency) {
        return Ok(());
    }
    if tokens.keys().any(|other| matches(other)) {
        tracing::warn!(agency, "queue read refused: token of another agency");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Token ini tidak berhak membaca antrean instansi tersebut.",
            "This token may not read that agency's queue.",
        )
        .into_response());
    }
    tracing::warn!(agency, "queue read refused: invalid token");
    Err(unauthorized(
        "Token akses tidak sah.",
        "The access token is not valid.",
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    page: Result<Query<Page>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    if !state.config.agencies.contains_key(&agency) {
        // Same answer as a wrong token would get, so ids cannot be probed.
        if let Err(r) = authorize(&state.agency_tokens, &agency, &headers) {
            return r;
        }
    }
    if let Err(r) = authorize(&state.agency_tokens, &agency, &headers) {
        return r;
    }
    let Ok(Query(page)) = page else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "Parameter yang dikenal: after, limit (angka).",
            "Known parameters: after, limit (numbers).",
        )
        .into_response();
    };
    let limit = page.limit.unwrap_or(50).clamp(1, 200);
    match load(&state, &agency, page.after.unwrap_or(0), limit).await {
        Ok(items) => Json(serde_json::json!({ "agency": agency, "items": items })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, agency, "queue read failed");
            ApiError::unavailable().into_response()
        }
    }
}

async fn load(
    state: &AppState,
    agency: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<QueueItem>, sea_orm::DbErr> {
    let db = state.store.db();
    let rows = agency_queue_item::Entity::find()
        .filter(agency_queue_item::Column::Agency.eq(agency))
        .filter(agency_queue_item::Column::Id.gt(after))
        .filter(agency_queue_item::Column::ReturnedAt.is_null())
        .order_by_asc(agency_queue_item::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut complaints: BTreeMap<i64, complaint::Model> = complaint::Entity::find()
        .filter(complaint::Column::Id.is_in(rows.iter().map(|r| r.complaint_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for item in rows {
        let Some(c) = complaints.remove(&item.complaint_id) else {
            continue;
        };
        let reporter = match (c.anonim, c.citizen_id) {
            (false, Some(citizen_id)) => {
                let person = citizen::Entity::find_by_id(citizen_id).one(db).await?;
                let addresses = citizen_address::Entity::find()
                    .filter(citizen_address::Column::CitizenId.eq(citizen_id))
                    .all(db)
                    .await?;
                Some(Reporter {
                    name: person.and_then(|p| p.display_name),
                    phone: addresses
                        .iter()
                        .find(|a| a.kind == "phone")
                        .map(|a| a.address.clone()),
                    email: addresses
                        .iter()
                        .find(|a| a.kind == "email")
                        .map(|a| a.address.clone()),
                })
            }
            _ => None,
        };
        items.push(QueueItem {
            position: item.id,
            queued_at: item.created_at,
            tracking_code: c.tracking_code,
            title: c.title,
            body: c.body,
            category: c.category,
            status: c.status,
            created_at: c.created_at,
            lat: c.lat,
            lon: c.lon,
            address: c.address_text,
            kecamatan_code: c.kecamatan_code,
            kelurahan_code: c.kelurahan_code,
            priority: c.priority,
            sla_class: c.sla_class,
            anonim: c.anonim,
            rahasia: c.rahasia,
            lapor_tracking_id: c.lapor_tracking_id,
            reporter,
            reporters: crate::store::complaints::reporter_count(db, c.id).await?,
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_per_agency() {
        let mut tokens = AgencyTokens::new();
        tokens.insert("pupr".into(), token_hash("t-pupr"));
        tokens.insert("dlh".into(), token_hash("t-dlh"));
        let bearer = |t: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                format!("Bearer {t}").parse().unwrap(),
            );
            h
        };
        assert!(authorize(&tokens, "pupr", &bearer("t-pupr")).is_ok());
        assert_eq!(
            authorize(&tokens, "pupr", &bearer("t-dlh"))
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            authorize(&tokens, "pupr", &bearer("nope"))
                .unwrap_err()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            authorize(&tokens, "pupr", &HeaderMap::new())
                .unwrap_err()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            authorize(&tokens, "unknown", &bearer("t-pupr"))
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
    }
}

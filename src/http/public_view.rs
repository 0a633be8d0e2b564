//! What anyone holding a tracking code may see of a complaint: status and
//! timeline, never personal data, only the status of a confidential one.

use super::AppState;
use crate::complaint::Status;
use crate::store::complaints;
use adapters::TrackingCode;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct PublicEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub status: Option<Status>,
    pub label: Option<Label>,
}

#[derive(Debug, Serialize)]
pub struct Label {
    pub id: &'static str,
    pub en: &'static str,
}

/// What anyone holding the tracking code may see.
#[derive(Debug, Serialize)]
pub struct PublicComplaint {
    pub tracking_code: String,
    pub status: Status,
    pub status_label: Label,
    /// Confidential (`rahasia`) complaints show nothing beyond their status.
    pub rahasia: bool,
    /// Received and still being taken in: the complaint is not made yet,
    /// and nothing beyond its status is shown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub processing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lapor_tracking_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<PublicEvent>,
}

impl Label {
    fn of(status: Status) -> Label {
        Label {
            id: status.label_id(),
            en: status.label_en(),
        }
    }
}

impl PublicComplaint {
    /// Only the status: of a confidential complaint, or of a submission
    /// still being taken in.
    fn status_only(tracking_code: String, status: Status, rahasia: bool) -> PublicComplaint {
        PublicComplaint {
            tracking_code,
            status,
            status_label: Label::of(status),
            rahasia,
            processing: !rahasia,
            title: None,
            category: None,
            created_at: None,
            updated_at: None,
            lapor_tracking_id: None,
            timeline: vec![],
        }
    }
}

/// A code whose sender was answered while its submission waits in the
/// intake journal: received, being processed.
async fn processing(
    state: &AppState,
    code: &TrackingCode,
) -> Result<Option<PublicComplaint>, sea_orm::DbErr> {
    Ok(state
        .intake
        .waiting(code)
        .await?
        .map(|_| PublicComplaint::status_only(code.to_string(), Status::Received, false)))
}

/// Loads the public view of a complaint; `Ok(None)` when the code is
/// mistyped or unknown.
pub async fn load(state: &AppState, code: &str) -> Result<Option<PublicComplaint>, sea_orm::DbErr> {
    let Ok(code) = TrackingCode::parse(code) else {
        return Ok(None);
    };
    let db = state.store.db();
    let c = match complaints::by_tracking_code(db, code.as_str()).await? {
        Some(c) => c,
        None => {
            if let Some(waiting) = processing(state, &code).await? {
                return Ok(Some(waiting));
            }
            // Its entry may have been taken in between the two lookups: an
            // entry is deleted only once its complaint is committed, so
            // the complaint is found now if either existed.
            match complaints::by_tracking_code(db, code.as_str()).await? {
                Some(c) => c,
                None => return Ok(None),
            }
        }
    };
    let status: Status = c.status.parse().unwrap_or(Status::Received);
    if c.rahasia {
        return Ok(Some(PublicComplaint::status_only(
            c.tracking_code,
            status,
            true,
        )));
    }
    let timeline = complaints::timeline(db, c.id)
        .await?
        .into_iter()
        .filter(|e| matches!(e.kind.as_str(), "received" | "status" | "delivered"))
        .map(|e| {
            let st = e
                .to_status
                .as_deref()
                .and_then(|s| s.parse::<Status>().ok());
            let label = match (e.kind.as_str(), st) {
                (_, Some(s)) => Some(Label::of(s)),
                ("delivered", None) => Some(Label {
                    id: "Diteruskan ke instansi tujuan",
                    en: "Passed on to its destination",
                }),
                _ => None,
            };
            PublicEvent {
                at: e.at,
                kind: e.kind,
                status: st,
                label,
            }
        })
        .collect();
    Ok(Some(PublicComplaint {
        tracking_code: c.tracking_code,
        status,
        status_label: Label::of(status),
        rahasia: false,
        processing: false,
        title: c.title,
        category: c.category,
        created_at: Some(c.created_at),
        updated_at: Some(c.updated_at),
        lapor_tracking_id: c.lapor_tracking_id,
        timeline,
    }))
}

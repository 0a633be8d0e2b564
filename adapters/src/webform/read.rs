//! Reading a web form request body, within limits, into named values and
//! photo attachments, whatever its content type.

use super::{Limits, WebFormError};
use crate::{Attachment, MediaRef};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{LengthLimitError, Limited};
use sha2::{Digest, Sha256};

/// One submitted value, typed as far as the body format tells.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Null,
    /// A JSON value of a type no field takes (array, object).
    Other(&'static str),
}

pub struct Received {
    pub fields: Vec<(String, Value)>,
    pub attachments: Vec<Attachment>,
}

/// The multipart field name that carries photos.
pub const PHOTO_FIELD: &str = "photo";

pub async fn read_request(req: Request, limits: &Limits) -> Result<Received, WebFormError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let declared_len = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_len.is_some_and(|len| len > limits.max_body_bytes) {
        return Err(WebFormError::too_large(limits.max_body_bytes));
    }
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    match essence.as_str() {
        "application/json" => {
            let body = read_bytes(req, limits.max_body_bytes).await?;
            Ok(Received {
                fields: json_fields(&body)?,
                attachments: vec![],
            })
        }
        "application/x-www-form-urlencoded" => {
            let body = read_bytes(req, limits.max_body_bytes).await?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| WebFormError::malformed("form", &e.to_string()))?;
            let fields = pairs
                .into_iter()
                .map(|(k, v)| (k, Value::Text(v)))
                .collect();
            Ok(Received {
                fields,
                attachments: vec![],
            })
        }
        "multipart/form-data" => read_multipart(req, limits).await,
        "" => Err(WebFormError::unsupported_media_type("(none)")),
        other => Err(WebFormError::unsupported_media_type(other)),
    }
}

async fn read_bytes(req: Request, limit: usize) -> Result<bytes::Bytes, WebFormError> {
    match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if is_length_limit(&e) => Err(WebFormError::too_large(limit)),
        Err(e) => Err(WebFormError::malformed("body", &e.to_string())),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

pub(super) fn json_fields(body: &[u8]) -> Result<Vec<(String, Value)>, WebFormError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| WebFormError::malformed("JSON", &e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(WebFormError::malformed(
            "JSON",
            "expected an object of fields",
        ));
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => Value::Text(s),
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(f) => Value::Number(f),
                    None => Value::Other("number"),
                },
                serde_json::Value::Bool(b) => Value::Bool(b),
                serde_json::Value::Null => Value::Null,
                serde_json::Value::Array(_) => Value::Other("array"),
                serde_json::Value::Object(_) => Value::Other("object"),
            };
            (k, value)
        })
        .collect())
}

async fn read_multipart(req: Request, limits: &Limits) -> Result<Received, WebFormError> {
    let limit = limits.max_body_bytes;
    let req = req.map(|body| Body::new(Limited::new(body, limit)));
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|e| WebFormError::malformed("multipart", &e.body_text()))?;
    let mut fields = Vec::new();
    let mut attachments = Vec::new();
    loop {
        let next = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(&e, limit))?;
        let Some(mut field) = next else { break };
        let name = field.name().unwrap_or("").to_string();
        if name != PHOTO_FIELD {
            if field.file_name().is_some() {
                return Err(WebFormError::wrong_type(&name, "teks", "text, not a file"));
            }
            let text = field.text().await.map_err(|e| multipart_error(&e, limit))?;
            fields.push((name, Value::Text(text)));
            continue;
        }
        let filename = field.file_name().map(str::to_string);
        if filename.as_deref().unwrap_or("").is_empty() && field.content_type().is_none() {
            // A browser sends an empty file part when no photo was chosen.
            while field
                .chunk()
                .await
                .map_err(|e| multipart_error(&e, limit))?
                .is_some()
            {}
            continue;
        }
        if attachments.len() == limits.max_attachments {
            return Err(WebFormError::too_many_attachments(limits.max_attachments));
        }
        let mut data = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| multipart_error(&e, limit))?
        {
            if data.len() + chunk.len() > limits.max_attachment_bytes {
                return Err(WebFormError::attachment_too_large(
                    PHOTO_FIELD,
                    limits.max_attachment_bytes,
                ));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            continue;
        }
        let sniffed = infer::get(&data)
            .map(|t| t.mime_type())
            .unwrap_or("application/octet-stream");
        if !limits.allowed_types.iter().any(|t| t == sniffed) {
            return Err(WebFormError::attachment_type(PHOTO_FIELD, sniffed));
        }
        let sha256 = hex::encode(Sha256::digest(&data));
        attachments.push(Attachment {
            size: data.len() as u64,
            media: MediaRef::Inline(data.into()),
            mime: sniffed.to_string(),
            filename: filename.filter(|f| !f.is_empty()),
            sha256: Some(sha256),
        });
    }
    Ok(Received {
        fields,
        attachments,
    })
}

fn multipart_error(e: &axum::extract::multipart::MultipartError, limit: usize) -> WebFormError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        WebFormError::too_large(limit)
    } else {
        WebFormError::malformed("multipart", &e.body_text())
    }
}

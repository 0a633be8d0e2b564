//! A mapped gateway's payload, JSON or form fields, read through one
//! lookup: JSON pointers or top-level keys, form field names.

use crate::sms::fields::Fields;
use serde_json::Value;

/// A payload read as JSON or form fields, looked up the same way.
pub(super) enum Payload {
    Json(Value),
    Form(Fields),
}

impl Payload {
    pub(super) fn get(&self, key: &str) -> Option<Value> {
        match self {
            Payload::Json(v) => {
                let found = if key.starts_with('/') {
                    v.pointer(key)
                } else {
                    v.get(key)
                };
                found.filter(|v| !v.is_null()).cloned()
            }
            Payload::Form(f) => f
                .bytes(key)
                .map(|b| Value::String(String::from_utf8_lossy(b).into_owned())),
        }
    }

    /// A field as text: strings as they are, numbers and booleans written out.
    pub(super) fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

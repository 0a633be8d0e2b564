//! The web form's fields and their rules. Every value is checked here, so
//! what leaves this module is a valid complaint submission.

use super::read::Value;
use super::{Limits, WebFormError};
use crate::message::belongs_in_text;
use crate::{
    Address, Attachment, Channel, EmailAddress, ExternalId, Flags, InboundMessage, Location,
    PhoneE164, RawPayload,
};
use chrono::Utc;
use serde_json::json;

/// Every field the form takes, in the order the public API documents them.
pub const FIELDS: [&str; 11] = [
    "text", "title", "category", "name", "phone", "email", "lat", "lon", "address", "anonim",
    "rahasia",
];

const MAX_SHORT: usize = 200;
const MAX_ADDRESS: usize = 500;

#[derive(Debug, Default)]
pub struct Submission {
    text: String,
    title: Option<String>,
    category: Option<String>,
    name: Option<String>,
    phone: Option<PhoneE164>,
    email: Option<EmailAddress>,
    lat: Option<f64>,
    lon: Option<f64>,
    address: Option<String>,
    flags: Flags,
    /// The values as received, for the raw payload.
    raw: serde_json::Map<String, serde_json::Value>,
}

fn text_value(field: &str, value: Value) -> Result<Option<String>, WebFormError> {
    match value {
        Value::Text(s) => {
            let trimmed = s.trim();
            Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
        }
        Value::Null => Ok(None),
        _ => Err(WebFormError::wrong_type(field, "teks", "text")),
    }
}

fn bounded(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, WebFormError> {
    match value {
        Some(s) if s.chars().count() > max => Err(WebFormError::invalid(
            field,
            format!("Kolom `{field}` paling panjang {max} karakter."),
            format!("Field `{field}` is at most {max} characters long."),
        )),
        Some(s) if !s.chars().all(belongs_in_text) => Err(WebFormError::invalid(
            field,
            format!("Kolom `{field}` memuat karakter kendali."),
            format!("Field `{field}` holds control characters."),
        )),
        other => Ok(other),
    }
}

fn number_value(
    field: &str,
    value: Value,
    min: f64,
    max: f64,
) -> Result<Option<f64>, WebFormError> {
    let n = match value {
        Value::Number(n) => n,
        Value::Text(s) if s.trim().is_empty() => return Ok(None),
        Value::Text(s) => s
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .map_err(|_| WebFormError::wrong_type(field, "angka", "a number"))?,
        Value::Null => return Ok(None),
        _ => return Err(WebFormError::wrong_type(field, "angka", "a number")),
    };
    if !n.is_finite() || n < min || n > max {
        return Err(WebFormError::invalid(
            field,
            format!("Kolom `{field}` harus di antara {min} dan {max}."),
            format!("Field `{field}` must be between {min} and {max}."),
        ));
    }
    Ok(Some(n))
}

fn bool_value(field: &str, value: Value) -> Result<bool, WebFormError> {
    let wrong = || WebFormError::wrong_type(field, "ya/tidak", "true or false");
    match value {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(false),
        Value::Number(n) if n == 0.0 => Ok(false),
        Value::Number(n) if n == 1.0 => Ok(true),
        Value::Text(s) => match s.trim().to_lowercase().as_str() {
            "" | "0" | "false" | "off" | "no" | "tidak" => Ok(false),
            "1" | "true" | "on" | "yes" | "ya" => Ok(true),
            _ => Err(wrong()),
        },
        _ => Err(wrong()),
    }
}

fn raw_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Text(s) => json!(s),
        Value::Number(n) => json!(n),
        Value::Bool(b) => json!(b),
        Value::Null | Value::Other(_) => serde_json::Value::Null,
    }
}

impl Submission {
    pub fn from_pairs(pairs: Vec<(String, Value)>, limits: &Limits) -> Result<Self, WebFormError> {
        let mut s = Submission::default();
        let mut text = None;
        for (name, value) in pairs {
            s.raw.insert(name.clone(), raw_json(&value));
            match name.as_str() {
                "text" => {
                    text = bounded("text", text_value("text", value)?, limits.max_text_chars)?
                }
                "title" => s.title = bounded("title", text_value("title", value)?, MAX_SHORT)?,
                "category" => {
                    s.category = bounded("category", text_value("category", value)?, MAX_SHORT)?
                }
                "name" => s.name = bounded("name", text_value("name", value)?, MAX_SHORT)?,
                "phone" => {
                    s.phone = match text_value("phone", value)? {
                        None => None,
                        Some(p) => Some(PhoneE164::parse(&p).map_err(|_| {
                            WebFormError::invalid(
                                "phone",
                                "Nomor telepon tidak sah; tulis misalnya 0812-3456-7890.",
                                "The phone number is not valid; write it like 0812-3456-7890.",
                            )
                        })?),
                    }
                }
                "email" => {
                    s.email = match text_value("email", value)? {
                        None => None,
                        Some(e) => Some(EmailAddress::parse(&e).map_err(|_| {
                            WebFormError::invalid(
                                "email",
                                "Alamat e-mail tidak sah.",
                                "The e-mail address is not valid.",
                            )
                        })?),
                    }
                }
                "lat" => s.lat = number_value("lat", value, -90.0, 90.0)?,
                "lon" => s.lon = number_value("lon", value, -180.0, 180.0)?,
                "address" => {
                    s.address = bounded("address", text_value("address", value)?, MAX_ADDRESS)?
                }
                "anonim" => s.flags.anonim = bool_value("anonim", value)?,
                "rahasia" => s.flags.rahasia = bool_value("rahasia", value)?,
                other => return Err(WebFormError::unknown_field(other)),
            }
        }
        s.text = text.ok_or_else(|| {
            let mut e = WebFormError::required("text");
            e.message_id = "Isi pengaduan wajib diisi.".into();
            e.message_en = "The complaint text is required.".into();
            e
        })?;
        if s.lat.is_some() != s.lon.is_some() {
            let missing = if s.lat.is_some() { "lon" } else { "lat" };
            return Err(WebFormError::invalid(
                missing,
                "Lokasi butuh lintang (lat) dan bujur (lon) sekaligus.",
                "A location needs both latitude (lat) and longitude (lon).",
            ));
        }
        Ok(s)
    }

    pub fn into_inbound(
        self,
        channel: Channel,
        channel_account: &str,
        external_id: ExternalId,
        attachments: Vec<Attachment>,
    ) -> InboundMessage {
        let mut addresses: Vec<Address> = Vec::new();
        if let Some(p) = self.phone {
            addresses.push(Address::Phone(p));
        }
        if let Some(e) = self.email {
            addresses.push(Address::Email(e));
        }
        let mut addresses = addresses.into_iter();
        let sender = addresses.next();
        let location = (self.lat.is_some() || self.address.is_some()).then(|| Location {
            lat: self.lat,
            lon: self.lon,
            address: self.address.clone(),
        });
        let mut raw = self.raw;
        raw.insert(
            "attachments".into(),
            attachments
                .iter()
                .map(|a| json!({"filename": a.filename, "mime": a.mime, "size": a.size, "sha256": a.sha256}))
                .collect(),
        );
        InboundMessage {
            channel,
            channel_account: channel_account.to_string(),
            external_id,
            sender,
            other_addresses: addresses.collect(),
            display_name: self.name,
            title: self.title,
            text: self.text,
            category: self.category,
            attachments,
            location,
            reply_to: None,
            flags: self.flags,
            received_at: Utc::now(),
            raw: RawPayload {
                content_type: "application/json".into(),
                body: serde_json::Value::Object(raw).to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, Value)]) -> Vec<(String, Value)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    struct Case {
        label: &'static str,
        input: Vec<(String, Value)>,
        field: Option<&'static str>,
        code: Option<&'static str>,
    }

    #[test]
    fn table_of_submissions() {
        let cases = vec![
            Case {
                label: "text only",
                input: pairs(&[("text", t("Jalan rusak"))]),
                field: None,
                code: None,
            },
            Case {
                label: "empty text",
                input: pairs(&[("text", t("   "))]),
                field: Some("text"),
                code: Some("required"),
            },
            Case {
                label: "no text",
                input: pairs(&[("title", t("x"))]),
                field: Some("text"),
                code: Some("required"),
            },
            Case {
                label: "text as number",
                input: pairs(&[("text", Value::Number(3.0))]),
                field: Some("text"),
                code: Some("wrong_type"),
            },
            Case {
                label: "lat 200",
                input: pairs(&[
                    ("text", t("a")),
                    ("lat", Value::Number(200.0)),
                    ("lon", Value::Number(100.0)),
                ]),
                field: Some("lat"),
                code: Some("invalid_field"),
            },
            Case {
                label: "lat as word",
                input: pairs(&[("text", t("a")), ("lat", t("utara")), ("lon", t("100"))]),
                field: Some("lat"),
                code: Some("wrong_type"),
            },
            Case {
                label: "lat without lon",
                input: pairs(&[("text", t("a")), ("lat", t("-0.9"))]),
                field: Some("lon"),
                code: Some("invalid_field"),
            },
            Case {
                label: "comma decimal",
                input: pairs(&[("text", t("a")), ("lat", t("-0,95")), ("lon", t("100,35"))]),
                field: None,
                code: None,
            },
            Case {
                label: "unknown field",
                input: pairs(&[("text", t("a")), ("nik", t("137101"))]),
                field: Some("nik"),
                code: Some("unknown_field"),
            },
            Case {
                label: "object value",
                input: pairs(&[("text", t("a")), ("name", Value::Other("object"))]),
                field: Some("name"),
                code: Some("wrong_type"),
            },
            Case {
                label: "bad phone",
                input: pairs(&[("text", t("a")), ("phone", t("12ab"))]),
                field: Some("phone"),
                code: Some("invalid_field"),
            },
            Case {
                label: "bad email",
                input: pairs(&[("text", t("a")), ("email", t("budi@"))]),
                field: Some("email"),
                code: Some("invalid_field"),
            },
            Case {
                label: "bad flag",
                input: pairs(&[("text", t("a")), ("anonim", t("mungkin"))]),
                field: Some("anonim"),
                code: Some("wrong_type"),
            },
            Case {
                label: "flag ya",
                input: pairs(&[("text", t("a")), ("rahasia", t("ya"))]),
                field: None,
                code: None,
            },
            Case {
                label: "long title",
                input: pairs(&[("text", t("a")), ("title", t(&"x".repeat(201)))]),
                field: Some("title"),
                code: Some("invalid_field"),
            },
            Case {
                label: "control char",
                input: pairs(&[("text", t("a\u{0}b"))]),
                field: Some("text"),
                code: Some("invalid_field"),
            },
        ];
        for case in cases {
            let got = Submission::from_pairs(case.input, &Limits::default());
            match (got, case.code) {
                (Ok(_), None) => {}
                (Err(e), Some(code)) => {
                    assert_eq!(e.code, code, "{}", case.label);
                    assert_eq!(e.field.as_deref(), case.field, "{}", case.label);
                    assert!(!e.message_id.is_empty() && !e.message_en.is_empty());
                }
                (got, _) => panic!("{}: unexpected {got:?}", case.label),
            }
        }
    }

    #[test]
    fn text_longer_than_limit_is_refused() {
        let limits = Limits {
            max_text_chars: 10,
            ..Limits::default()
        };
        let e =
            Submission::from_pairs(pairs(&[("text", t("sebelas huruf"))]), &limits).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("text"));
    }

    #[test]
    fn a_full_submission_becomes_one_message() {
        let input = pairs(&[
            ("text", t("  Lampu jalan mati di Jl. Sudirman ")),
            ("title", t("Lampu mati")),
            ("name", t("Siti")),
            ("phone", t("0812-3456-7890")),
            ("email", t("siti@Contoh.ID")),
            ("lat", Value::Number(-0.95)),
            ("lon", Value::Number(100.35)),
            ("anonim", Value::Bool(true)),
        ]);
        let s = Submission::from_pairs(input, &Limits::default()).unwrap();
        let msg = s.into_inbound(
            Channel::Webform,
            "web",
            ExternalId::parse("k1").unwrap(),
            vec![],
        );
        assert_eq!(msg.text, "Lampu jalan mati di Jl. Sudirman");
        assert_eq!(
            msg.sender,
            Some(Address::Phone(PhoneE164::parse("081234567890").unwrap()))
        );
        assert_eq!(
            msg.other_addresses,
            vec![Address::Email(
                EmailAddress::parse("siti@contoh.id").unwrap()
            )]
        );
        assert!(msg.flags.anonim && !msg.flags.rahasia);
        assert_eq!(msg.location.unwrap().lat, Some(-0.95));
        let raw: serde_json::Value = serde_json::from_str(&msg.raw.body).unwrap();
        assert_eq!(raw["phone"], "0812-3456-7890");
    }
}

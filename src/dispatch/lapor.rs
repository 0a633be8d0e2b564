//! SP4N-LAPOR! client. Its integration API is documented only to
//! registered agencies, so the endpoint, token and field names are
//! configuration. Two profiles: the historical XML `addstream` API and a
//! JSON API with a field map. Every request carries the idempotency key.

use super::destination::{ComplaintPayload, DeliveryError, Destination, Job, Receipt, Reporter};
use crate::config::{LaporConfig, LaporProfile, Secret};
use quick_xml::events::Event;
use std::collections::BTreeMap;
use std::time::Duration;

/// Our complaint fields a JSON field map may name.
pub const FIELDS: [&str; 14] = [
    "title",
    "body",
    "category",
    "name",
    "phone",
    "email",
    "anonim",
    "rahasia",
    "tracking_code",
    "lat",
    "lon",
    "address",
    "channel",
    "created_at",
];

/// LAPOR's names for our fields in the JSON profile, unless configured.
fn default_field_map() -> BTreeMap<String, String> {
    [
        ("title", "judul"),
        ("body", "isi"),
        ("category", "kategori"),
        ("name", "nama"),
        ("phone", "telpon"),
        ("email", "email"),
        ("anonim", "anonim"),
        ("rahasia", "rahasia"),
        ("tracking_code", "referensi"),
        ("lat", "lat"),
        ("lon", "lon"),
        ("address", "lokasi"),
        ("channel", "sumber"),
        ("created_at", "tanggal"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

pub struct Lapor {
    http: reqwest::Client,
    url: reqwest::Url,
    base: reqwest::Url,
    profile: LaporProfile,
    token: Secret,
    field_map: BTreeMap<String, String>,
    tracking_pointer: String,
    transaction_pointer: String,
}

impl Lapor {
    pub fn new(config: &LaporConfig, token: Secret) -> Result<Self, String> {
        let path = config
            .submit_path
            .clone()
            .unwrap_or_else(|| match config.profile {
                LaporProfile::Xml => "/api/stream/addstream".into(),
                LaporProfile::Json => "/api/v1/laporan".into(),
            });
        let base = reqwest::Url::parse(&config.base_url).map_err(|e| format!("LAPOR URL: {e}"))?;
        let url = base.join(&path).map_err(|e| format!("LAPOR URL: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .user_agent(concat!("satupintu/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("LAPOR client: {e}"))?;
        let mut field_map = default_field_map();
        field_map.extend(config.field_map.clone());
        Ok(Lapor {
            http,
            url,
            base,
            profile: config.profile,
            token,
            field_map,
            tracking_pointer: config.tracking_id_pointer.clone(),
            transaction_pointer: config.transaction_id_pointer.clone(),
        })
    }

    fn json_body(&self, c: &ComplaintPayload, r: &Reporter) -> serde_json::Value {
        let loc = c.location.as_ref();
        let ours: [(&str, serde_json::Value); 14] = [
            ("title", c.title.clone().into()),
            ("body", c.body.clone().into()),
            ("category", c.category.clone().into()),
            ("name", r.name.clone().into()),
            ("phone", r.phone.clone().into()),
            ("email", r.email.clone().into()),
            ("anonim", u8::from(c.anonim).into()),
            ("rahasia", u8::from(c.rahasia).into()),
            ("tracking_code", c.tracking_code.clone().into()),
            ("lat", loc.and_then(|l| l.lat).into()),
            ("lon", loc.and_then(|l| l.lon).into()),
            ("address", loc.and_then(|l| l.address.clone()).into()),
            ("channel", c.channel.clone().into()),
            ("created_at", c.created_at.to_rfc3339().into()),
        ];
        let mut body = serde_json::Map::new();
        for (field, value) in ours {
            if let Some(theirs) = self.field_map.get(field).filter(|t| !t.is_empty()) {
                body.insert(theirs.clone(), value);
            }
        }
        serde_json::Value::Object(body)
    }

    fn xml_body(&self, c: &ComplaintPayload, r: &Reporter) -> String {
        let name = r.name.as_deref().unwrap_or("");
        let (first, last) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
        let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
        let mut isi = String::new();
        if let Some(title) = &c.title {
            isi.push_str(title);
            isi.push_str("\n\n");
        }
        isi.push_str(&c.body);
        if let Some(address) = c.location.as_ref().and_then(|l| l.address.as_deref()) {
            isi.push_str("\n\nLokasi: ");
            isi.push_str(address);
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lapor token=\"{token}\">\
             <pelapor><email>{email}</email><telpon>{phone}</telpon>\
             <namadepan>{first}</namadepan><namabelakang>{last}</namabelakang></pelapor>\
             <laporan rahasia=\"{rahasia}\" anonim=\"{anonim}\"><isi>{isi}</isi></laporan></lapor>",
            token = esc(self.token.expose()),
            email = esc(r.email.as_deref().unwrap_or("")),
            phone = esc(r.phone.as_deref().unwrap_or("")),
            first = esc(first),
            last = esc(last.trim()),
            rahasia = u8::from(c.rahasia),
            anonim = u8::from(c.anonim),
            isi = esc(&isi),
        )
    }
}

/// A report's stage as LAPOR! tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaporStage {
    /// The stage name, lower-cased and trimmed.
    pub stage: String,
    /// The agency's answer (tindak lanjut), when there is one.
    pub answer: Option<String>,
}

impl Lapor {
    /// Asks LAPOR! for the stage of one report (`status` settings name the
    /// path and the JSON pointers).
    pub async fn fetch_stage(
        &self,
        status: &crate::config::LaporStatusConfig,
        tracking_id: &str,
    ) -> Result<LaporStage, DeliveryError> {
        let path = status
            .path
            .replace("{trackingid}", &urlencoding_segment(tracking_id));
        let url = self
            .base
            .join(&path)
            .map_err(|e| DeliveryError::permanent(format!("status URL: {e}")))?;
        let mut request = self.http.get(url);
        if self.profile == LaporProfile::Json {
            request = request.bearer_auth(self.token.expose());
        } else {
            request = request.query(&[("token", self.token.expose())]);
        }
        let response = request.send().await.map_err(DeliveryError::from_reqwest)?;
        let code = response.status().as_u16();
        let body = response.text().await.map_err(DeliveryError::from_reqwest)?;
        if !(200..300).contains(&code) {
            return Err(DeliveryError::from_status(code, &body));
        }
        let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| {
            DeliveryError::retryable(format!("LAPOR status answer is not JSON: {e}"))
        })?;
        let stage = json_id(&json, &status.stage_pointer)
            .ok_or_else(|| DeliveryError::retryable("LAPOR status answer has no stage"))?;
        Ok(LaporStage {
            stage: stage.trim().to_lowercase(),
            answer: json_id(&json, &status.answer_pointer).filter(|a| !a.trim().is_empty()),
        })
    }
}

/// Escapes a value for use as one URL path segment.
fn urlencoding_segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads `trackingid` and `transaksiid` from an XML answer.
fn xml_ids(body: &str) -> (Option<String>, Option<String>) {
    let mut reader = quick_xml::Reader::from_str(body);
    let (mut tracking, mut transaction) = (None, None);
    let mut current: Option<Vec<u8>> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => current = Some(e.name().as_ref().to_ascii_lowercase()),
            Ok(Event::Text(t)) => {
                let text = t
                    .unescape()
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default();
                match current.as_deref() {
                    Some(b"trackingid") if !text.is_empty() => tracking = Some(text),
                    Some(b"transaksiid") if !text.is_empty() => transaction = Some(text),
                    _ => {}
                }
            }
            Ok(Event::End(_)) => current = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    (tracking, transaction)
}

fn json_id(value: &serde_json::Value, pointer: &str) -> Option<String> {
    if pointer.is_empty() {
        return None;
    }
    match value.pointer(pointer)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[async_trait::async_trait]
impl Destination for Lapor {
    fn kind(&self) -> &'static str {
        "lapor"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let (_, complaint) = job.complaint()?;
        let reporter = &job.reporter_for_lapor;
        let request = self
            .http
            .post(self.url.clone())
            .header("Idempotency-Key", &job.idempotency_key);
        let request = match self.profile {
            LaporProfile::Xml => request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/xml; charset=utf-8",
                )
                .body(self.xml_body(complaint, reporter)),
            LaporProfile::Json => request
                .bearer_auth(self.token.expose())
                .json(&self.json_body(complaint, reporter)),
        };
        let response = request.send().await.map_err(DeliveryError::from_reqwest)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(DeliveryError::from_reqwest)?;
        if !(200..300).contains(&status) {
            return Err(DeliveryError::from_status(status, &body));
        }
        let (tracking, transaction) = match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(json) => (
                json_id(&json, &self.tracking_pointer),
                json_id(&json, &self.transaction_pointer),
            ),
            Err(_) => xml_ids(&body),
        };
        let Some(tracking) = tracking else {
            let mut e = DeliveryError::retryable(format!(
                "LAPOR answered HTTP {status} without a tracking id: {}",
                body.chars().take(200).collect::<String>()
            ));
            e.http_status = Some(status);
            return Err(e);
        };
        Ok(Receipt {
            external_ref: Some(tracking.clone()),
            lapor_tracking_id: Some(tracking),
            lapor_transaction_id: transaction,
            http_status: Some(status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_answers_are_read() {
        let (t, x) = xml_ids(
            "<response><trackingid>1234567</trackingid><transaksiid>T-9</transaksiid></response>",
        );
        assert_eq!(t.as_deref(), Some("1234567"));
        assert_eq!(x.as_deref(), Some("T-9"));
        assert_eq!(xml_ids("not xml <"), (None, None));
    }

    #[test]
    fn json_pointers_read_strings_and_numbers() {
        let v = serde_json::json!({"data": {"id": 42, "ref": "A1"}});
        assert_eq!(json_id(&v, "/data/id").as_deref(), Some("42"));
        assert_eq!(json_id(&v, "/data/ref").as_deref(), Some("A1"));
        assert_eq!(json_id(&v, "/missing"), None);
        assert_eq!(json_id(&v, ""), None);
    }
}

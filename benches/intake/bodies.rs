//! Request bodies prepared before the clock starts: web-form JSON and
//! WhatsApp Cloud API webhooks signed with the bench gateway's app secret,
//! each from another citizen with its own message id.

use crate::texts::{Report, Texts};
use base64::Engine;
use std::path::Path;

/// The phone number id of the city's WhatsApp line in the bench gateway.
pub const WA_ACCOUNT: &str = "106540352242922";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    WebForm,
    WhatsApp,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::WebForm => "web form",
            Kind::WhatsApp => "WhatsApp",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Kind::WebForm => "/api/v1/complaints",
            Kind::WhatsApp => "/webhooks/whatsapp",
        }
    }
}

/// One request: its body and, for WhatsApp, its `X-Hub-Signature-256`.
#[derive(Clone)]
pub struct Prepared {
    pub body: axum::body::Bytes,
    pub signature: Option<String>,
}

pub struct Batch {
    pub requests: Vec<Prepared>,
    /// How many re-report an earlier problem at the same place.
    pub rereports: usize,
}

impl Batch {
    pub fn mean_body_bytes(&self) -> usize {
        self.requests.iter().map(|r| r.body.len()).sum::<usize>() / self.requests.len().max(1)
    }
}

fn web_form(r: &Report) -> serde_json::Value {
    let mut v = serde_json::json!({
        "text": r.text,
        "title": r.title,
        "name": r.name,
        "phone": format!("+{}", r.phone),
        "address": r.address,
    });
    if let Some((lat, lon)) = r.pin {
        v["lat"] = lat.into();
        v["lon"] = lon.into();
    }
    v
}

fn wamid(sender: &str, n: usize) -> String {
    let raw = format!("{sender}\u{15}\u{2}\0\u{12}\u{18}\u{14}3EB0{n:016X}C4A1");
    format!(
        "wamid.{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn whatsapp(r: &Report, n: usize, now: i64) -> serde_json::Value {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "6281100012345", "phone_number_id": WA_ACCOUNT},
                    "contacts": [{"profile": {"name": r.name}, "wa_id": r.phone}],
                    "messages": [{
                        "from": r.phone,
                        "id": wamid(&r.phone, n),
                        "timestamp": now.to_string(),
                        "type": "text",
                        "text": {"body": r.text},
                    }],
                },
                "field": "messages",
            }],
        }],
    })
}

/// `count` requests of `kind`; `seed` keeps citizens of separate batches
/// (warm-up, measured run, open-loop run) apart.
pub fn batch(root: &Path, kind: Kind, count: usize, seed: u64, app_secret: &str) -> Batch {
    let mut texts = Texts::new(root, seed);
    let now = chrono::Utc::now().timestamp();
    let mut rereports = 0;
    let requests = (0..count)
        .map(|i| {
            let r = texts.next(kind == Kind::WebForm && i % 2 == 0);
            rereports += r.rereport as usize;
            match kind {
                Kind::WebForm => Prepared {
                    body: serde_json::to_vec(&web_form(&r)).unwrap().into(),
                    signature: None,
                },
                Kind::WhatsApp => {
                    let body =
                        serde_json::to_vec(&whatsapp(&r, seed as usize * 10_000_000 + i, now))
                            .unwrap();
                    let signature = adapters::whatsapp::sign(app_secret.as_bytes(), &body);
                    Prepared {
                        body: body.into(),
                        signature: Some(signature),
                    }
                }
            }
        })
        .collect();
    Batch {
        requests,
        rereports,
    }
}

//! E-mail destination: the complaint sent to an agency's address as plain
//! text and HTML, with its attachments (linked instead when too large),
//! through the e-mail channel's SMTP server. The idempotency key travels
//! in a header and makes the Message-ID, so a retried send is recognisable.

use super::destination::{ComplaintPayload, DeliveryError, Destination, Job, Receipt};
use crate::intake::attachments::AttachmentStore;
use crate::store::entity::attachment;
use crate::store::Store;
use adapters::email::{complaint_message_id, MailFile, OutgoingMail, SmtpSender};
use adapters::{EmailAddress, ReplyErrorKind};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// `kind = "email"`: an agency that takes complaints by mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailDestinationConfig {
    /// The agency's address(es).
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// Subject; `{tracking_code}`, `{title}` and `{category}` are filled in.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Attachments are attached while their total stays under this many
    /// bytes; the rest are listed with a link to the complaint.
    #[serde(default = "default_attach_limit")]
    pub max_attachment_bytes: u64,
}

fn default_subject() -> String {
    "Pengaduan {tracking_code}: {title}".into()
}

fn default_attach_limit() -> u64 {
    10 * 1024 * 1024
}

impl EmailDestinationConfig {
    pub fn validate(&self, name: &str) -> Result<(), String> {
        if self.to.is_empty() {
            return Err(format!("destinations.{name}.to: give at least one address"));
        }
        for (key, list) in [("to", &self.to), ("cc", &self.cc)] {
            for a in list {
                if EmailAddress::parse(a).is_err() {
                    return Err(format!(
                        "destinations.{name}.{key}: `{a}` is not an e-mail address"
                    ));
                }
            }
        }
        Ok(())
    }
}

pub struct EmailDestination {
    sender: SmtpSender,
    config: EmailDestinationConfig,
    store: Store,
    files: AttachmentStore,
    public_url: String,
}

impl EmailDestination {
    pub fn new(
        sender: SmtpSender,
        config: EmailDestinationConfig,
        store: Store,
        files: AttachmentStore,
        public_url: String,
    ) -> Self {
        EmailDestination {
            sender,
            config,
            store,
            files,
            public_url,
        }
    }

    fn status_url(&self, code: &str) -> String {
        format!("{}/pengaduan/{code}", self.public_url.trim_end_matches('/'))
    }
}

/// The complaint as lines of "label: value", shared by text and HTML.
fn fields(c: &ComplaintPayload) -> Vec<(&'static str, String)> {
    let mut rows = vec![("Kode pelacakan", c.tracking_code.clone())];
    if let Some(t) = &c.title {
        rows.push(("Judul", t.clone()));
    }
    if let Some(cat) = &c.category {
        rows.push(("Kategori", cat.clone()));
    }
    rows.push(("Kanal", format!("{} ({})", c.channel, c.channel_account)));
    rows.push((
        "Diterima",
        c.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    ));
    if let Some(l) = &c.location {
        let mut place = l.address.clone().unwrap_or_default();
        if let (Some(lat), Some(lon)) = (l.lat, l.lon) {
            place = format!("{place} ({lat:.6}, {lon:.6})").trim().to_string();
        }
        rows.push(("Lokasi", place));
    }
    match &c.reporter {
        Some(r) => {
            let who = [r.name.clone(), r.phone.clone(), r.email.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            rows.push(("Pelapor", if who.is_empty() { "-".into() } else { who }));
        }
        None => rows.push(("Pelapor", "anonim (identitas dirahasiakan)".into())),
    }
    if c.rahasia {
        rows.push(("Sifat", "RAHASIA: jangan dipublikasikan".into()));
    }
    rows
}

fn render_subject(template: &str, c: &ComplaintPayload) -> String {
    template
        .replace("{tracking_code}", &c.tracking_code)
        .replace("{title}", c.title.as_deref().unwrap_or("(tanpa judul)"))
        .replace("{category}", c.category.as_deref().unwrap_or("-"))
        .replace(['\r', '\n'], " ")
}

#[async_trait::async_trait]
impl Destination for EmailDestination {
    fn kind(&self) -> &'static str {
        "email"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let (complaint_id, c) = job.complaint()?;
        let rows = attachment::Entity::find()
            .filter(attachment::Column::ComplaintId.eq(complaint_id))
            .order_by_asc(attachment::Column::Id)
            .all(self.store.db())
            .await
            .map_err(|e| DeliveryError::retryable(format!("database: {e}")))?;
        let url = self.status_url(&c.tracking_code);
        let mut files = Vec::new();
        let mut linked = Vec::new();
        let mut total = 0u64;
        for a in rows {
            let name = a
                .filename
                .clone()
                .unwrap_or_else(|| format!("lampiran-{}", &a.sha256[..a.sha256.len().min(8)]));
            let fits = total + a.size as u64 <= self.config.max_attachment_bytes;
            let bytes = match (fits, a.storage_path.is_empty()) {
                (true, false) => self.files.read(&a.storage_path).await.ok(),
                _ => None,
            };
            match bytes {
                Some(bytes) => {
                    total += bytes.len() as u64;
                    files.push(MailFile {
                        filename: name,
                        mime: a.mime,
                        bytes,
                    });
                }
                None => linked.push(format!(
                    "{name} ({} KB, sha256 {}) - lihat {url}",
                    a.size / 1024,
                    a.sha256
                )),
            }
        }

        let mut text = String::from("Pengaduan baru diteruskan oleh satupintu.\n\n");
        let mut html = String::from("<p>Pengaduan baru diteruskan oleh satupintu.</p><table>");
        for (label, value) in fields(c) {
            text.push_str(&format!("{label}: {value}\n"));
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                label,
                html_escape::encode_text(&value)
            ));
        }
        html.push_str("</table>");
        text.push_str(&format!("\n{}\n", c.body));
        html.push_str(&format!(
            "<p style=\"white-space:pre-wrap\">{}</p>",
            html_escape::encode_text(&c.body)
        ));
        if !linked.is_empty() {
            text.push_str("\nLampiran tidak dilampirkan (terlalu besar):\n");
            html.push_str("<p>Lampiran tidak dilampirkan (terlalu besar):</p><ul>");
            for l in &linked {
                text.push_str(&format!("- {l}\n"));
                html.push_str(&format!("<li>{}</li>", html_escape::encode_text(l)));
            }
            html.push_str("</ul>");
        }
        text.push_str(&format!("\nStatus: {url}\n"));
        html.push_str(&format!(
            "<p>Status: <a href=\"{0}\">{0}</a></p>",
            html_escape::encode_double_quoted_attribute(&url)
        ));

        let message_id = complaint_message_id(&job.idempotency_key, self.sender.domain());
        let mail = OutgoingMail {
            to: self.config.to.clone(),
            cc: self.config.cc.clone(),
            subject: render_subject(&self.config.subject, c),
            text,
            html: Some(html),
            message_id: message_id.clone(),
            auto_submitted: Some("auto-generated"),
            idempotency_key: Some(job.idempotency_key.clone()),
            attachments: files,
            ..Default::default()
        };
        match self.sender.send_mail(&mail).await {
            Ok(()) => Ok(Receipt {
                external_ref: Some(message_id),
                ..Default::default()
            }),
            Err(e) if e.kind == ReplyErrorKind::Retryable => {
                Err(DeliveryError::retryable(e.message))
            }
            Err(e) => Err(DeliveryError::permanent(e.message)),
        }
    }
}

//! Outgoing mail: the headers that thread a reply under the citizen's
//! message, mark it as automatic, and give it a Message-ID we recognise
//! when they answer; and the MIME structure (text, HTML, attachments).

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// The header that carries the outbox idempotency key to an agency.
pub const IDEMPOTENCY_HEADER: &str = "X-Satupintu-Idempotency-Key";

/// A file attached to an outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFile {
    pub filename: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// One mail to send; ids are written without angle brackets.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMail {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `Auto-Submitted` value (RFC 3834): `auto-replied` for answers to a
    /// citizen, `auto-generated` for complaints sent to an agency.
    pub auto_submitted: Option<&'static str>,
    pub idempotency_key: Option<String>,
    pub attachments: Vec<MailFile>,
}

/// Message-ID of a reply to a citizen: stable across retries of the same
/// outbox row, so a re-sent copy is the same message to their client.
pub fn reply_message_id(idempotency_key: &str, domain: &str) -> String {
    format!("reply.{idempotency_key}@{domain}")
}

/// Message-ID of a complaint sent to an agency, from its idempotency key.
pub fn complaint_message_id(idempotency_key: &str, domain: &str) -> String {
    format!("complaint.{idempotency_key}@{domain}")
}

fn strip_reply_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "aw:", "balas:", "bls:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => return s,
        }
    }
}

/// `Re: <their subject> [<code>]`: the citizen's subject, our tag (the
/// bracketed part of `ours`) added unless already there. Without their
/// subject, ours as it is.
pub fn reply_subject(theirs: Option<&str>, ours: Option<&str>) -> String {
    let tag = ours.and_then(|o| {
        let start = o.find('[')?;
        let end = start + o[start..].find(']')?;
        Some(&o[start..=end])
    });
    let theirs = theirs.map(strip_reply_prefixes).filter(|t| !t.is_empty());
    match (theirs, tag) {
        (Some(t), Some(tag)) if !t.contains(tag) => format!("Re: {t} {tag}"),
        (Some(t), _) => format!("Re: {t}"),
        (None, _) => ours
            .filter(|o| !o.trim().is_empty())
            .unwrap_or("Pengaduan")
            .to_string(),
    }
}

fn bracketed(id: &str) -> String {
    format!(
        "<{}>",
        id.trim().trim_start_matches('<').trim_end_matches('>')
    )
}

fn mailbox(address: &str) -> Result<Mailbox, String> {
    address
        .parse::<Mailbox>()
        .map_err(|e| format!("address `{address}`: {e}"))
}

impl OutgoingMail {
    /// The message as lettre sends it, from `from`.
    pub fn build(&self, from: &Mailbox) -> Result<Message, String> {
        let mut b = Message::builder()
            .from(from.clone())
            .subject(self.subject.clone())
            .message_id(Some(bracketed(&self.message_id)))
            .date_now();
        for to in &self.to {
            b = b.to(mailbox(to)?);
        }
        for cc in &self.cc {
            b = b.cc(mailbox(cc)?);
        }
        if let Some(id) = &self.in_reply_to {
            b = b.in_reply_to(bracketed(id));
        }
        if !self.references.is_empty() {
            let refs: Vec<String> = self.references.iter().map(|r| bracketed(r)).collect();
            b = b.references(refs.join(" "));
        }
        if let Some(value) = self.auto_submitted {
            b = b.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                value.to_string(),
            ));
        }
        if let Some(key) = &self.idempotency_key {
            b = b.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(IDEMPOTENCY_HEADER),
                key.clone(),
            ));
        }
        let text = SinglePart::plain(self.text.clone());
        let body = match &self.html {
            Some(html) => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html.clone())),
            None if self.attachments.is_empty() => {
                return b.singlepart(text).map_err(|e| e.to_string());
            }
            None => MultiPart::mixed().singlepart(text),
        };
        let body = if self.attachments.is_empty() {
            body
        } else {
            let mut mixed = match &self.html {
                Some(_) => MultiPart::mixed().multipart(body),
                None => body,
            };
            for file in &self.attachments {
                let ct = ContentType::parse(&file.mime).unwrap_or_else(|_| {
                    ContentType::parse("application/octet-stream").expect("valid")
                });
                mixed = mixed.singlepart(
                    Attachment::new(file.filename.clone()).body(file.bytes.clone(), ct),
                );
            }
            mixed
        };
        b.multipart(body).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_subjects_keep_the_thread_and_add_the_code_once() {
        let cases = [
            (
                Some("Pengaduan: jalan rusak"),
                Some("Pengaduan diterima [ABCDE23456]"),
                "Re: Pengaduan: jalan rusak [ABCDE23456]",
            ),
            (
                Some("Re: RE: Jalan rusak [ABCDE23456]"),
                Some("[ABCDE23456]"),
                "Re: Jalan rusak [ABCDE23456]",
            ),
            (
                Some("  "),
                Some("Pengaduan diterima [X]"),
                "Pengaduan diterima [X]",
            ),
            (None, None, "Pengaduan"),
            (Some("Air mati"), None, "Re: Air mati"),
        ];
        for (theirs, ours, want) in cases {
            assert_eq!(reply_subject(theirs, ours), want, "{theirs:?} {ours:?}");
        }
    }

    #[test]
    fn a_reply_carries_threading_and_auto_submitted_headers() {
        let mail = OutgoingMail {
            to: vec!["budi@example.com".into()],
            subject: "Re: Jalan rusak [ABCDE23456]".into(),
            text: "Kode pelacakan: ABCDE23456".into(),
            message_id: reply_message_id("k1", "padang.go.id"),
            in_reply_to: Some("CAF3x9k1@mail.gmail.com".into()),
            references: vec!["a@x".into(), "CAF3x9k1@mail.gmail.com".into()],
            auto_submitted: Some("auto-replied"),
            ..Default::default()
        };
        let from: Mailbox = "Pengaduan <pengaduan@padang.go.id>".parse().unwrap();
        let raw = String::from_utf8(mail.build(&from).unwrap().formatted()).unwrap();
        for want in [
            "Message-ID: <reply.k1@padang.go.id>",
            "In-Reply-To: <CAF3x9k1@mail.gmail.com>",
            "References: <a@x> <CAF3x9k1@mail.gmail.com>",
            "Auto-Submitted: auto-replied",
            "To: budi@example.com",
        ] {
            assert!(raw.contains(want), "missing {want:?} in\n{raw}");
        }
    }
}

//! What citizens read: acknowledgments and status updates, in Bahasa
//! Indonesia first, English when configured. Short enough for one SMS
//! where it matters (the acknowledgment fits in 160 characters without the link).

use crate::complaint::Status;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MessageLanguage {
    /// Bahasa Indonesia only.
    #[default]
    Id,
    /// English only.
    En,
    /// Indonesian, then English.
    Both,
}

fn pick(lang: MessageLanguage, id: String, en: String) -> String {
    match lang {
        MessageLanguage::Id => id,
        MessageLanguage::En => en,
        MessageLanguage::Both => format!("{id}\n\n{en}"),
    }
}

pub fn acknowledgment(lang: MessageLanguage, city: &str, code: &str, status_url: &str) -> String {
    pick(
        lang,
        format!(
            "Pengaduan Anda sudah diterima {city}. Kode pelacakan: {code}. \
             Kirim \"CEK {code}\" untuk melihat statusnya, atau buka {status_url}"
        ),
        format!(
            "{city} has received your complaint. Tracking code: {code}. \
             Send \"CEK {code}\" to see its status, or open {status_url}"
        ),
    )
}

pub fn acknowledgment_subject(lang: MessageLanguage, code: &str) -> String {
    match lang {
        MessageLanguage::En => format!("Complaint received [{code}]"),
        _ => format!("Pengaduan diterima [{code}]"),
    }
}

pub fn status_update(
    lang: MessageLanguage,
    code: &str,
    status: Status,
    note: Option<&str>,
) -> String {
    let note_id = note
        .map(|n| format!("\nKeterangan: {n}"))
        .unwrap_or_default();
    let note_en = note.map(|n| format!("\nNote: {n}")).unwrap_or_default();
    pick(
        lang,
        format!("Status pengaduan {code}: {}.{note_id}", status.label_id()),
        format!(
            "Status of complaint {code}: {}.{note_en}",
            status.label_en()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgment_names_the_code_in_the_chosen_language() {
        let id = acknowledgment(
            MessageLanguage::Id,
            "Kota Padang",
            "ABCDE23456",
            "https://x/p/ABCDE23456",
        );
        assert!(id.contains("Kode pelacakan: ABCDE23456") && id.contains("CEK ABCDE23456"));
        assert!(!id.contains("received"));
        let both = acknowledgment(MessageLanguage::Both, "Kota Padang", "ABCDE23456", "u");
        assert!(both.contains("diterima") && both.contains("received"));
        let update = status_update(
            MessageLanguage::Id,
            "ABCDE23456",
            Status::Resolved,
            Some("Jalan sudah ditambal"),
        );
        assert!(
            update.contains("Selesai ditindaklanjuti") && update.contains("Jalan sudah ditambal")
        );
    }
}

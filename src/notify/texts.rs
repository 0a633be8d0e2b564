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

/// Asked with a resolution: the reporter confirms or reopens.
pub fn resolved_question(lang: MessageLanguage) -> String {
    pick(
        lang,
        "Apakah masalahnya sudah beres? Balas SELESAI jika sudah, atau BELUM jika belum.".into(),
        "Is the problem solved? Reply SELESAI if it is, or BELUM if it is not.".into(),
    )
}

/// The answer to a reporter's SELESAI / BELUM.
pub fn confirmation(lang: MessageLanguage, code: &str, reopened: bool) -> String {
    match reopened {
        true => pick(
            lang,
            format!("Pengaduan {code} dibuka kembali dan diteruskan lagi ke instansi. Terima kasih atas kabarnya."),
            format!("Complaint {code} is reopened and sent back to the agency. Thank you for telling us."),
        ),
        false => pick(
            lang,
            format!("Terima kasih. Pengaduan {code} ditutup sebagai selesai."),
            format!("Thank you. Complaint {code} is closed as solved."),
        ),
    }
}

/// The answer to an empty message: how to complain and how to check.
pub fn help(lang: MessageLanguage, city: &str) -> String {
    pick(
        lang,
        format!(
            "Ini layanan pengaduan {city}. Tulis keluhan Anda dalam satu pesan \
             (apa, di mana, sejak kapan); foto dan lokasi boleh menyusul. \
             Untuk cek status kirim: CEK <kode>"
        ),
        format!(
            "This is the {city} complaint service. Describe the problem in one message \
             (what, where, since when); a photo and location may follow. \
             To check a status send: CEK <code>"
        ),
    )
}

/// The answer to `CEK <code>` for a complaint the sender may see.
pub fn cek_status(lang: MessageLanguage, code: &str, status: Status, status_url: &str) -> String {
    pick(
        lang,
        format!(
            "Status pengaduan {code}: {}. Rincian: {status_url}",
            status.label_id()
        ),
        format!(
            "Status of complaint {code}: {}. Details: {status_url}",
            status.label_en()
        ),
    )
}

/// The answer to `CEK` with a code that is mistyped, unknown, or not the
/// sender's to see (the same words, so nothing leaks).
pub fn cek_unknown(lang: MessageLanguage, code: &str) -> String {
    pick(
        lang,
        format!(
            "Kode \"{code}\" tidak ditemukan. Periksa kembali kode pelacakan Anda \
             (10 huruf/angka, tanpa O, I atau L)."
        ),
        format!(
            "Code \"{code}\" was not found. Please check your tracking code \
             (10 letters and digits, without O, I or L)."
        ),
    )
}

/// Confirms a photo, location or other follow-up joined a complaint.
pub fn joined(lang: MessageLanguage, code: &str) -> String {
    pick(
        lang,
        format!("Terima kasih, tambahan Anda sudah dilampirkan pada pengaduan {code}."),
        format!("Thank you, your addition was attached to complaint {code}."),
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

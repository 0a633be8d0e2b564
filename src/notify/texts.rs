//! What citizens read: acknowledgments and status updates, in Bahasa
//! Indonesia first, English when configured. Short enough for one SMS
//! where it matters (on SMS the acknowledgment has a one-SMS form, without the link).

use crate::complaint::Status;
use adapters::sms::segments;
use adapters::Channel;
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

/// The acknowledgment as `channel` carries it: on SMS a short form that
/// fits one SMS (160 GSM-7 characters, or 70 when the city's name needs
/// UCS-2), dropping the city's name when it would not fit.
pub fn acknowledgment_for(
    channel: Channel,
    lang: MessageLanguage,
    city: &str,
    code: &str,
    status_url: &str,
) -> String {
    if channel != Channel::Sms {
        return acknowledgment(lang, city, code, status_url);
    }
    let with_city = sms_acknowledgment(lang, Some(city), code);
    if segments::fits_one(&with_city) {
        with_city
    } else {
        sms_acknowledgment(lang, None, code)
    }
}

fn sms_acknowledgment(lang: MessageLanguage, city: Option<&str>, code: &str) -> String {
    let city = city.map(|c| format!("{c}: ")).unwrap_or_default();
    match lang {
        MessageLanguage::Id => {
            format!("{city}Pengaduan Anda diterima. Kode: {code}. Cek status: kirim CEK {code}")
        }
        MessageLanguage::En => {
            format!("{city}Your complaint was received. Code: {code}. Status: send CEK {code}")
        }
        MessageLanguage::Both => format!(
            "{city}Pengaduan diterima/Complaint received. Kode/Code: {code}. Kirim/Send: CEK {code}"
        ),
    }
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

/// Tells a citizen who sent the same complaint again that it is already
/// recorded, with its tracking code.
pub fn repeat(lang: MessageLanguage, code: &str) -> String {
    pick(
        lang,
        format!("Pengaduan ini sudah kami terima dengan kode {code}; laporan ulang Anda dicatat. Ketik CEK {code} untuk melihat statusnya."),
        format!("We already have this complaint as {code}; your repeat was recorded. Send CEK {code} for its status."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configured city's name, and the longest Indonesian ones.
    fn city_names() -> Vec<String> {
        let config: toml::Value = toml::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/config/satupintu.toml"
            ))
            .expect("the default configuration"),
        )
        .expect("valid TOML");
        let configured = config["city"]["name"]
            .as_str()
            .expect("city.name")
            .to_string();
        vec![
            configured,
            "Kabupaten Kepulauan Siau Tagulandang Biaro".into(),
            "Kabupaten Penukal Abab Lematang Ilir".into(),
            "Kota Administrasi Jakarta Selatan".into(),
            "Kabupaten Pangkajene dan Kepulauan".into(),
            "Kota Bukittinggi “Kota Wisata”".into(),
            "x".repeat(300),
        ]
    }

    #[test]
    fn the_sms_acknowledgment_fits_one_sms_for_any_city_and_code() {
        let codes = ["ZZZZZZZZZZ", "2222222222", "ABCDE23456"];
        for lang in [
            MessageLanguage::Id,
            MessageLanguage::En,
            MessageLanguage::Both,
        ] {
            for city in city_names() {
                for code in codes {
                    let text = acknowledgment_for(Channel::Sms, lang, &city, code, "https://x/p");
                    let count = segments::count(&text);
                    assert_eq!(count.segments, 1, "{lang:?} {city}: {text}");
                    if count.encoding == segments::Encoding::Gsm7 {
                        assert!(count.units <= 160);
                    }
                    assert!(text.contains(&format!("CEK {code}")), "{text}");
                }
            }
        }
        let padang = acknowledgment_for(
            Channel::Sms,
            MessageLanguage::Id,
            "Kota Padang",
            "ABCDE23456",
            "u",
        );
        assert!(padang.starts_with("Kota Padang: "));
        let other = acknowledgment_for(
            Channel::Whatsapp,
            MessageLanguage::Id,
            "Kota Padang",
            "ABCDE23456",
            "u",
        );
        assert!(other.contains("Kode pelacakan"));
    }

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

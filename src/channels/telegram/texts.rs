//! What the bot says that no other channel says: the welcome, the command
//! list, the guided `/lapor` steps and the notice to groups. Bahasa
//! Indonesia first; English when the gateway is configured for it.

use crate::notify::MessageLanguage;

fn pick(lang: MessageLanguage, id: String, en: String) -> String {
    match lang {
        MessageLanguage::Id => id,
        MessageLanguage::En => en,
        MessageLanguage::Both => format!("{id}\n\n{en}"),
    }
}

#[derive(Debug, Clone)]
pub struct Texts {
    pub lang: MessageLanguage,
    pub city: String,
}

impl Texts {
    pub fn welcome(&self) -> String {
        let city = &self.city;
        pick(
            self.lang,
            format!(
                "Selamat datang di layanan pengaduan {city}. Bot ini menerima keluhan \
                 Anda tentang layanan dan fasilitas publik, lalu meneruskannya ke \
                 instansi yang berwenang.\n\n\
                 Tulis keluhan Anda dalam satu pesan (apa, di mana, sejak kapan); foto \
                 dan lokasi boleh menyusul. Atau ketik /lapor untuk dipandu langkah \
                 demi langkah. Anda akan menerima kode pelacakan; cek statusnya dengan \
                 /cek KODE. Bantuan: /bantuan"
            ),
            format!(
                "Welcome to the {city} complaint service. This bot takes your complaints \
                 about public services and facilities and forwards them to the agency \
                 in charge.\n\n\
                 Describe the problem in one message (what, where, since when); a photo \
                 and location may follow. Or type /lapor to be guided step by step. You \
                 will receive a tracking code; check its status with /cek CODE. \
                 Help: /bantuan"
            ),
        )
    }

    pub fn help(&self) -> String {
        pick(
            self.lang,
            format!(
                "Layanan pengaduan {}:\n\
                 /lapor - buat pengaduan dengan panduan\n\
                 /cek KODE - lihat status pengaduan Anda\n\
                 /batal - batalkan pengaduan yang sedang dibuat\n\
                 /bantuan - pesan ini\n\
                 Anda juga bisa langsung menulis keluhan Anda, lalu mengirim foto \
                 atau lokasi.",
                self.city
            ),
            format!(
                "{} complaint service:\n\
                 /lapor - file a complaint, guided\n\
                 /cek CODE - see the status of your complaint\n\
                 /batal - cancel the complaint being written\n\
                 /bantuan - this message\n\
                 You may also simply write your complaint, then send a photo or \
                 location.",
                self.city
            ),
        )
    }

    pub fn ask_text(&self) -> String {
        pick(
            self.lang,
            "Silakan tulis keluhan Anda: apa masalahnya, di mana, dan sejak kapan. \
             Ketik /batal untuk membatalkan."
                .into(),
            "Please describe the problem: what it is, where, and since when. \
             Type /batal to cancel."
                .into(),
        )
    }

    pub fn ask_location(&self) -> String {
        pick(
            self.lang,
            "Terima kasih. Kirim lokasinya (📎 > Lokasi) atau tulis alamatnya. \
             Ketik /lewati bila tidak ada."
                .into(),
            "Thank you. Send the location (📎 > Location) or type the address. \
             Type /lewati to skip."
                .into(),
        )
    }

    pub fn ask_photo(&self) -> String {
        pick(
            self.lang,
            "Kirim satu foto pendukung, atau ketik /lewati untuk mengirim pengaduan \
             tanpa foto."
                .into(),
            "Send one supporting photo, or type /lewati to submit the complaint \
             without one."
                .into(),
        )
    }

    pub fn cancelled(&self) -> String {
        pick(
            self.lang,
            "Pengaduan yang sedang dibuat sudah dibatalkan. Ketik /lapor untuk mulai lagi.".into(),
            "The complaint being written was cancelled. Type /lapor to start again.".into(),
        )
    }

    pub fn nothing_to_cancel(&self) -> String {
        pick(
            self.lang,
            "Tidak ada pengaduan yang sedang dibuat. Ketik /lapor untuk mulai.".into(),
            "No complaint is being written. Type /lapor to start.".into(),
        )
    }

    pub fn group_notice(&self) -> String {
        pick(
            self.lang,
            format!(
                "Mohon maaf, pengaduan {} tidak diterima lewat grup. Silakan kirim \
                 pesan pribadi kepada bot ini agar laporan Anda tercatat dan \
                 statusnya bisa dikabarkan kepada Anda.",
                self.city
            ),
            format!(
                "Sorry, {} complaints are not taken in groups. Please send this bot a \
                 private message, so your report is recorded and you can be told \
                 its status.",
                self.city
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcome_names_the_city_and_the_commands() {
        let t = Texts {
            lang: MessageLanguage::Id,
            city: "Kota Padang".into(),
        };
        let w = t.welcome();
        assert!(w.contains("Kota Padang") && w.contains("/lapor") && w.contains("/cek"));
        assert!(!w.contains("Welcome"));
        let both = Texts {
            lang: MessageLanguage::Both,
            ..t
        };
        assert!(both.help().contains("/bantuan") && both.help().contains("guided"));
    }
}

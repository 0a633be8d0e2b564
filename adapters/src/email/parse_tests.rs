//! Table tests: every message in `testdata/email/` parsed, with everything
//! expected of it. Adding a mail client's quirk is adding a row.

use super::parse::{parse, stored_bytes, thread_of, ParseOptions, Parsed};
use super::{Automatic, Limits};
use crate::{Address, InboundMessage, MediaRef};
use chrono::Utc;

struct Case {
    file: &'static str,
    /// `None`: a parse error is expected.
    kind: Option<Kind>,
    external_id: &'static str,
    sender: Option<&'static str>,
    name: Option<&'static str>,
    title: Option<&'static str>,
    /// The whole text, exactly.
    text: &'static str,
    /// (filename, mime, size)
    attachments: &'static [(&'static str, &'static str, u64)],
    reply_to: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Complaint,
    Auto(Automatic),
}

const NO_FILES: &[(&str, &str, u64)] = &[];

fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "01-plain-utf8-qp.eml",
            kind: Some(Kind::Complaint),
            external_id: "CAF3x9k1@mail.gmail.com",
            sender: Some("budi.santoso@gmail.com"),
            name: Some("Budi Santoso"),
            title: Some("Pengaduan: jalan rusak di Kelurahan Pasie Nan Tigo"),
            text: "Yth. Bapak/Ibu,\n\nJalan di RT 02 RW 04 Kelurahan Pasie Nan Tigo rusak parah sepanjang \u{b1}200 meter.\nMohon segera ditindaklanjuti.\n\nHormat saya,\nBudi Santoso\n0812-6634-1122",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "02-alternative-html-encoded-subject.eml",
            kind: Some(Kind::Complaint),
            external_id: "1763777700.44321@yahoo.co.id",
            sender: Some("siti.n@yahoo.co.id"),
            name: Some("Siti Nurhaliza"),
            title: Some("Keluhan pelayanan RSUD \u{2013} antrean BPJS sangat lama"),
            text: "Antrean pasien BPJS di RSUD dr. Rasidin sangat lama, dari jam 06.00 sampai 13.00.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "03-latin1.eml",
            kind: Some(Kind::Complaint),
            external_id: "abc123@example.co.id",
            sender: Some("warga@example.co.id"),
            name: None,
            title: Some("Sampah liar"),
            text: "Pembuangan sampah liar di belakang pasar. Tolong diperiksa. Caf\u{e9} milik warga terganggu baunya.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "04-windows-1252.eml",
            kind: Some(Kind::Complaint),
            external_id: "win1252-1@kantor.co.id",
            sender: Some("andi@kantor.co.id"),
            name: Some("Andi"),
            title: Some("Air PDAM mati"),
            text: "Sudah 2 minggu \u{201c}air PDAM\u{201d} tidak mengalir \u{2013} mohon bantuan.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "05-mixed-attachments.eml",
            kind: Some(Kind::Complaint),
            external_id: "CAG7photo@mail.gmail.com",
            sender: Some("rahmat.h@gmail.com"),
            name: Some("Rahmat"),
            title: Some("Foto genangan air di Jl. Adinegoro"),
            text: "Berikut saya lampirkan foto genangan dan surat dari RT.",
            attachments: &[
                ("genangan.png", "image/png", 73),
                ("surat_rt.pdf", "application/pdf", 45),
            ],
            reply_to: None,
        },
        Case {
            file: "06-reply-to-ack.eml",
            kind: Some(Kind::Complaint),
            external_id: "CAF3reply2@mail.gmail.com",
            sender: Some("budi.santoso@gmail.com"),
            name: Some("Budi Santoso"),
            title: Some("Re: [K7Q2M9XD] Laporan Anda telah kami terima"),
            text: "Sampai hari ini belum ada perbaikan.",
            attachments: NO_FILES,
            reply_to: Some("ack.K7Q2M9XD@padang.go.id"),
        },
        Case {
            file: "07-out-of-office.eml",
            kind: Some(Kind::Auto(Automatic::AutoReply)),
            external_id: "ooo-1@padang.go.id",
            sender: Some("kadis.pupr@padang.go.id"),
            name: None,
            title: Some("Otomatis: Sedang cuti"),
            text: "Saya sedang cuti sampai 1 Desember 2026.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "08-bounce-dsn.eml",
            kind: Some(Kind::Auto(Automatic::Bounce)),
            external_id: "dsn-1@mx.padang.go.id",
            sender: Some("MAILER-DAEMON@mx.padang.go.id"),
            name: None,
            title: Some("Undelivered Mail Returned to Sender"),
            text: "This is the mail system. Your message could not be delivered.\n\n[Lampiran tidak disimpan: message/delivery-status (jenis message/delivery-status tidak diizinkan / type not allowed)]",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "09-html-only.eml",
            kind: Some(Kind::Complaint),
            external_id: "htmlonly@outlook.com",
            sender: Some("jose.rizal@outlook.com"),
            name: Some("Jos\u{e9} Rizal"),
            title: Some("Lampu merah mati \u{2013} Simpang Kandang"),
            text: "Lampu merah di Simpang Kandang mati total.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "10-empty-no-message-id.eml",
            kind: Some(Kind::Complaint),
            external_id: "sha256:",
            sender: Some("kosong@example.com"),
            name: None,
            title: None,
            text: "",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "extra-precedence-bulk.eml",
            kind: Some(Kind::Auto(Automatic::Bulk)),
            external_id: "bulk-1@example.org",
            sender: Some("buletin@example.org"),
            name: Some("Buletin Kota"),
            title: Some("Info kegiatan pekan ini"),
            text: "Jadwal kegiatan kota pekan ini.",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "extra-outlook-reply.eml",
            kind: Some(Kind::Complaint),
            external_id: "AM0PR01outlook@hotmail.com",
            sender: Some("sari.dewi@hotmail.com"),
            name: Some("Sari Dewi"),
            title: Some("RE: Pengaduan diterima [ABCDE23456]"),
            text: "Ini foto tambahan dari lokasi, mohon dicek \u{2013} terima kasih.",
            attachments: NO_FILES,
            reply_to: Some("reply.0190a1b2@padang.go.id"),
        },
        Case {
            file: "extra-disallowed-attachment.eml",
            kind: Some(Kind::Complaint),
            external_id: "exe-1@example.com",
            sender: Some("warga@example.com"),
            name: Some("Warga"),
            title: Some("Laporan dengan berkas"),
            text: "Saluran air tersumbat di Jl. Veteran.\n\n[Lampiran tidak disimpan: program.exe (jenis application/vnd.microsoft.portable-executable tidak diizinkan / type not allowed)]",
            attachments: NO_FILES,
            reply_to: None,
        },
        Case {
            file: "extra-not-a-message.eml",
            kind: None,
            external_id: "",
            sender: None,
            name: None,
            title: None,
            text: "",
            attachments: NO_FILES,
            reply_to: None,
        },
    ]
}

fn read(file: &str) -> Vec<u8> {
    let path = format!("{}/testdata/email/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(raw: &[u8], limits: &Limits) -> Result<Parsed, super::ParseError> {
    let own = vec!["pengaduan@padang.go.id".to_string()];
    parse(
        raw,
        &ParseOptions {
            account: "pengaduan@padang.go.id",
            own_addresses: &own,
            limits,
            received_at: Utc::now(),
        },
    )
}

#[test]
fn every_fixture_parses_as_expected() {
    let limits = Limits::default();
    for case in cases() {
        let raw = read(case.file);
        let label = case.file;
        let parsed = run(&raw, &limits);
        let (msg, kind): (InboundMessage, Kind) = match (parsed, case.kind) {
            (Err(_), None) => continue,
            (Err(e), Some(_)) => panic!("{label}: unexpected parse error {e}"),
            (Ok(p), None) => panic!("{label}: expected a parse error, got {p:?}"),
            (Ok(Parsed::Message(m)), Some(_)) => (m, Kind::Complaint),
            (Ok(Parsed::Automatic(m, a)), Some(_)) => (m, Kind::Auto(a)),
        };
        assert_eq!(Some(kind), case.kind, "{label}: classification");
        if case.external_id.ends_with(':') {
            assert!(
                msg.external_id.as_str().starts_with(case.external_id),
                "{label}"
            );
            assert_eq!(
                msg.external_id.as_str().len(),
                case.external_id.len() + 64,
                "{label}"
            );
        } else {
            assert_eq!(
                msg.external_id.as_str(),
                case.external_id,
                "{label}: external id"
            );
        }
        let sender = msg.sender.as_ref().map(|a| match a {
            Address::Email(e) => e.to_string(),
            other => panic!("{label}: sender is not an e-mail address: {other:?}"),
        });
        let want_sender = case.sender.map(adapters_email);
        assert_eq!(sender, want_sender, "{label}: sender");
        assert_eq!(
            msg.display_name.as_deref(),
            case.name,
            "{label}: display name"
        );
        assert_eq!(msg.title.as_deref(), case.title, "{label}: title");
        assert_eq!(msg.text, case.text, "{label}: text");
        assert_eq!(msg.reply_to.as_deref(), case.reply_to, "{label}: reply_to");
        let files: Vec<(String, String, u64)> = msg
            .attachments
            .iter()
            .map(|a| {
                (
                    a.filename.clone().unwrap_or_default(),
                    a.mime.clone(),
                    a.size,
                )
            })
            .collect();
        let want: Vec<(String, String, u64)> = case
            .attachments
            .iter()
            .map(|(f, m, s)| (f.to_string(), m.to_string(), *s))
            .collect();
        assert_eq!(files, want, "{label}: attachments");
        for a in &msg.attachments {
            let MediaRef::Inline(bytes) = &a.media else {
                panic!("{label}: attachment bytes are not inline");
            };
            use sha2::Digest;
            assert_eq!(
                a.sha256.as_deref(),
                Some(hex::encode(sha2::Sha256::digest(bytes)).as_str()),
                "{label}: sha256"
            );
        }
        // The raw message is kept byte for byte.
        assert_eq!(
            stored_bytes(&msg.raw.content_type, &msg.raw.body).as_deref(),
            Some(raw.as_slice()),
            "{label}: raw payload"
        );
        assert_eq!(msg.channel_account, "pengaduan@padang.go.id");
    }
}

fn adapters_email(s: &str) -> String {
    crate::EmailAddress::parse(s).unwrap().to_string()
}

#[test]
fn limits_cut_long_text_and_refuse_huge_messages() {
    let raw = read("05-mixed-attachments.eml");
    let small = Limits {
        max_message_bytes: 100,
        ..Limits::default()
    };
    let e = run(&raw, &small).unwrap_err();
    assert_eq!(e.reason(), "too_large");

    let one_file = Limits {
        max_attachments: 1,
        max_text_chars: 10,
        ..Limits::default()
    };
    let Parsed::Message(msg) = run(&raw, &one_file).unwrap() else {
        panic!("a complaint");
    };
    assert_eq!(msg.attachments.len(), 1);
    assert!(msg.text.starts_with("Berikut sa [...]"), "{}", msg.text);
    assert!(
        msg.text.contains("surat_rt.pdf (lebih dari 1 lampiran"),
        "{}",
        msg.text
    );
}

#[test]
fn mail_from_our_own_address_is_never_answered() {
    let raw = b"From: pengaduan@padang.go.id\r\nTo: pengaduan@padang.go.id\r\nSubject: tes\r\nMessage-ID: <own@padang.go.id>\r\n\r\nhalo\r\n";
    assert!(matches!(
        run(raw, &Limits::default()).unwrap(),
        Parsed::Automatic(_, Automatic::OwnAddress)
    ));
}

#[test]
fn an_empty_mail_with_a_command_in_the_subject_uses_the_subject() {
    let raw = b"From: a@example.com\r\nSubject: CEK ABCDE23456\r\nMessage-ID: <c@example.com>\r\n\r\n\r\n";
    let Parsed::Message(msg) = run(raw, &Limits::default()).unwrap() else {
        panic!("a message");
    };
    assert_eq!(msg.text, "CEK ABCDE23456");
}

#[test]
fn threading_headers_are_read_back_from_a_stored_message() {
    let t = thread_of(&read("06-reply-to-ack.eml")).unwrap();
    assert_eq!(t.message_id.as_deref(), Some("CAF3reply2@mail.gmail.com"));
    assert_eq!(
        t.subject.as_deref(),
        Some("Re: [K7Q2M9XD] Laporan Anda telah kami terima")
    );
    assert_eq!(
        t.references,
        vec!["CAF3x9k1@mail.gmail.com", "ack.K7Q2M9XD@padang.go.id"]
    );
    let first = thread_of(&read("01-plain-utf8-qp.eml")).unwrap();
    assert!(first.references.is_empty());
}

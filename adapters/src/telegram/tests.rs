//! Table tests over real Bot API updates (`testdata/telegram/`) and our
//! own cases: one row per update, every expectation in the row.

use super::*;
use crate::{Address, PhoneE164};

const ACCOUNT: &str = "LaporPadangBot";

fn fixture(name: &str) -> String {
    let path = format!("{}/testdata/telegram/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Private,
    Edited,
    Group,
    Skip,
}

struct Case {
    label: &'static str,
    body: String,
    kind: Kind,
    update_id: u32,
    text: &'static str,
    sender: Option<i64>,
    command: Option<Command>,
    /// (file id, kind) of the files to fetch.
    files: Vec<(&'static str, FileKind)>,
    refused: usize,
    location: Option<(f64, f64, Option<&'static str>)>,
    phone: Option<&'static str>,
    reply_to: Option<&'static str>,
    supported: bool,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            label: "",
            body: String::new(),
            kind: Kind::Private,
            update_id: 0,
            text: "",
            sender: Some(5120398877),
            command: None,
            files: vec![],
            refused: 0,
            location: None,
            phone: None,
            reply_to: None,
            supported: true,
        }
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            label: "plain text",
            body: fixture("text.json"),
            update_id: 851203411,
            text: "Selamat siang, mau lapor lampu PJU di Jl. Khatib Sulaiman depan kantor BPS mati semua sejak 3 hari",
            ..Default::default()
        },
        Case {
            label: "/start",
            body: fixture("start.json"),
            update_id: 851203410,
            text: "/start",
            command: Some(Command::Start),
            ..Default::default()
        },
        Case {
            label: "/cek goes to intake as text",
            body: fixture("cek.json"),
            update_id: 851203420,
            text: "/cek K7Q2M9XD",
            ..Default::default()
        },
        Case {
            label: "photo: the largest size within the limit, caption as text",
            body: fixture("photo_caption.json"),
            update_id: 851203412,
            text: "ini fotonya pak, tiangnya juga miring",
            files: vec![("AgACAgUAAxkBAAIEt2cFz1_large", FileKind::Photo)],
            ..Default::default()
        },
        Case {
            label: "location",
            body: fixture("location.json"),
            update_id: 851203413,
            location: Some((-0.897621, 100.350871, None)),
            ..Default::default()
        },
        Case {
            label: "venue: place name and address",
            body: fixture("venue.json"),
            update_id: 851203414,
            sender: Some(6611002233),
            location: Some((
                -0.950114,
                100.362001,
                Some("Pasar Raya Padang, Jl. Pasar Raya, Kp. Jao, Kec. Padang Barat"),
            )),
            ..Default::default()
        },
        Case {
            label: "own contact links the phone",
            body: fixture("contact_self.json"),
            update_id: 851203415,
            phone: Some("+6281266123456"),
            ..Default::default()
        },
        Case {
            label: "someone else's contact is only text",
            body: fixture("contact_other.json"),
            update_id: 851203416,
            text: "Kontak: Pak RT 04, +62 811-6600-777",
            ..Default::default()
        },
        Case {
            label: "document with caption",
            body: fixture("document.json"),
            update_id: 851203417,
            sender: Some(6611002233),
            text: "Surat pengantar dari RT sudah saya lampirkan",
            files: vec![("BQACAgUAAxkBAAIEuWcF0doc", FileKind::Document)],
            ..Default::default()
        },
        Case {
            label: "voice note",
            body: fixture("voice.json"),
            update_id: 851203418,
            sender: Some(6611002233),
            files: vec![("AwACAgUAAxkBAAIEumcF0voice", FileKind::Voice)],
            ..Default::default()
        },
        Case {
            label: "reply to the bot's acknowledgment keeps the thread",
            body: fixture("reply_to_ack.json"),
            update_id: 851203419,
            text: "Pak sampai sekarang lampunya masih mati",
            reply_to: Some("5120398877:1215"),
            ..Default::default()
        },
        Case {
            label: "edited message",
            body: fixture("edited_message.json"),
            kind: Kind::Edited,
            update_id: 851203421,
            text: "Selamat siang, mau lapor lampu PJU di Jl. Khatib Sulaiman depan kantor BPS Sumbar mati semua sejak 3 hari",
            ..Default::default()
        },
        Case {
            label: "group message",
            body: fixture("group_message.json"),
            kind: Kind::Group,
            update_id: 851203422,
            text: "@LaporPadangBot selokan mampet lagi",
            ..Default::default()
        },
        Case {
            label: "sticker is stored, never a complaint",
            body: fixture("sticker.json"),
            update_id: 851203423,
            sender: Some(6611002233),
            supported: false,
            ..Default::default()
        },
        Case {
            label: "empty update",
            body: fixture("empty_update.json"),
            kind: Kind::Skip,
            update_id: 851203424,
            sender: None,
            ..Default::default()
        },
        Case {
            label: "command addressed to the bot by name",
            body: r#"{"update_id":7,"message":{"message_id":5,"from":{"id":5120398877,"is_bot":false,"first_name":"Dedi"},"chat":{"id":5120398877,"first_name":"Dedi","type":"private"},"date":1763798390,"text":"/Lapor@LaporPadangBot"}}"#.into(),
            update_id: 7,
            text: "/Lapor@LaporPadangBot",
            command: Some(Command::Lapor),
            ..Default::default()
        },
        Case {
            label: "unknown command",
            body: r#"{"update_id":8,"message":{"message_id":6,"from":{"id":5120398877,"is_bot":false,"first_name":"Dedi"},"chat":{"id":5120398877,"first_name":"Dedi","type":"private"},"date":1763798390,"text":"/menu"}}"#.into(),
            update_id: 8,
            text: "/menu",
            command: Some(Command::Unknown("menu".into())),
            ..Default::default()
        },
        Case {
            label: "a bot's message is skipped",
            body: r#"{"update_id":9,"message":{"message_id":7,"from":{"id":42,"is_bot":true,"first_name":"Spam"},"chat":{"id":42,"first_name":"Spam","type":"private"},"date":1763798390,"text":"halo"}}"#.into(),
            kind: Kind::Skip,
            update_id: 9,
            sender: None,
            ..Default::default()
        },
        Case {
            label: "callback query is skipped",
            body: r#"{"update_id":10,"callback_query":{"id":"1","from":{"id":5120398877,"is_bot":false,"first_name":"Dedi"},"chat_instance":"x","data":"a"}}"#.into(),
            kind: Kind::Skip,
            update_id: 10,
            sender: None,
            ..Default::default()
        },
        Case {
            label: "photo whose every size is over the limit is refused",
            body: r#"{"update_id":11,"message":{"message_id":8,"from":{"id":5120398877,"is_bot":false,"first_name":"Dedi"},"chat":{"id":5120398877,"first_name":"Dedi","type":"private"},"date":1763798390,"photo":[{"file_id":"big1","file_unique_id":"u1","file_size":6000000,"width":90,"height":67},{"file_id":"big2","file_unique_id":"u2","file_size":9000000,"width":1280,"height":960}]}}"#.into(),
            update_id: 11,
            refused: 1,
            ..Default::default()
        },
        Case {
            label: "video within the limit",
            body: r#"{"update_id":12,"message":{"message_id":9,"from":{"id":5120398877,"is_bot":false,"first_name":"Dedi"},"chat":{"id":5120398877,"first_name":"Dedi","type":"private"},"date":1763798390,"video":{"file_id":"vid","file_unique_id":"uv","width":640,"height":480,"duration":5,"mime_type":"video/mp4","file_size":700000},"caption":"banjir di simpang"}}"#.into(),
            update_id: 12,
            text: "banjir di simpang",
            files: vec![("vid", FileKind::Video)],
            ..Default::default()
        },
    ]
}

#[test]
fn updates_parse_into_events() {
    let limits = Limits {
        max_photo_bytes: 5_000_000,
        max_file_bytes: 10_000_000,
    };
    for case in cases() {
        let label = case.label;
        let event = parse(&case.body, ACCOUNT, &limits).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(event.update_id(), case.update_id, "{label}");
        let (kind, chat) = match event {
            Event::Private(m) => (Kind::Private, Some(m)),
            Event::Edited(m) => (Kind::Edited, Some(m)),
            Event::Group(m) => (Kind::Group, Some(m)),
            Event::Skip { .. } => (Kind::Skip, None),
        };
        assert_eq!(kind, case.kind, "{label}");
        let Some(chat) = chat else { continue };
        let msg = &chat.message;
        assert_eq!(msg.text, case.text, "{label}");
        assert_eq!(
            msg.external_id.as_str(),
            format!("{ACCOUNT}:{}", case.update_id),
            "{label}"
        );
        assert_eq!(msg.channel_account, ACCOUNT, "{label}");
        assert_eq!(msg.sender, case.sender.map(Address::Telegram), "{label}");
        assert_eq!(chat.command, case.command, "{label}");
        let files: Vec<_> = chat
            .files
            .iter()
            .map(|f| (f.file_id.as_str(), f.kind))
            .collect();
        assert_eq!(files, case.files, "{label}");
        assert_eq!(chat.refused_files.len(), case.refused, "{label}");
        let location = msg
            .location
            .as_ref()
            .map(|l| (l.lat.unwrap(), l.lon.unwrap(), l.address.as_deref()));
        assert_eq!(location, case.location, "{label}");
        let phones: Vec<_> = msg.other_addresses.clone();
        let want: Vec<_> = case
            .phone
            .map(|p| Address::Phone(PhoneE164::parse(p).unwrap()))
            .into_iter()
            .collect();
        assert_eq!(phones, want, "{label}");
        assert_eq!(msg.reply_to.as_deref(), case.reply_to, "{label}");
        assert_eq!(chat.supported, case.supported, "{label}");
        assert_eq!(msg.raw.body, case.body, "{label}: the raw update is kept");
        assert!(msg.attachments.is_empty(), "{label}: files come later");
    }
}

#[test]
fn a_batch_is_read_in_order() {
    let batch: serde_json::Value = serde_json::from_str(&fixture("getupdates_batch.json")).unwrap();
    let ids: Vec<u32> = batch["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            parse(&u.to_string(), ACCOUNT, &Limits::default())
                .unwrap()
                .update_id()
        })
        .collect();
    assert_eq!(ids, [851203430, 851203431, 851203432]);
}

#[test]
fn bodies_that_are_not_updates_are_refused() {
    for body in ["", "{", "[]", r#"{"message":{}}"#, r#"{"update_id":"x"}"#] {
        assert!(
            parse(body, ACCOUNT, &Limits::default()).is_err(),
            "{body:?}"
        );
    }
}

#[test]
fn the_secret_token_must_match() {
    use axum::http::HeaderMap;
    let mut headers = HeaderMap::new();
    assert!(check_secret_token(&headers, "s3cret").is_err());
    headers.insert(SECRET_TOKEN_HEADER, "s3cre".parse().unwrap());
    assert!(check_secret_token(&headers, "s3cret").is_err());
    headers.insert(SECRET_TOKEN_HEADER, "s3cret".parse().unwrap());
    assert!(check_secret_token(&headers, "s3cret").is_ok());
    assert!(check_secret_token(&HeaderMap::new(), "").is_err());
}

#[test]
fn provider_errors_are_sorted() {
    use crate::ReplyErrorKind;
    let cases = [
        ("error_429.json", ReplyErrorKind::Retryable, Some(3)),
        ("error_403_blocked.json", ReplyErrorKind::Unreachable, None),
    ];
    for (file, kind, retry_after) in cases {
        let body = fixture(file);
        let response: serde_json::Value = serde_json::from_str(&body).unwrap();
        let error = match response
            .get("parameters")
            .and_then(|p| p.get("retry_after"))
        {
            Some(n) => teloxide::RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(
                n.as_u64().unwrap() as u32,
            )),
            None => teloxide::RequestError::Api(
                serde_json::from_value(response["description"].clone()).unwrap(),
            ),
        };
        let e = client::classify(error);
        assert_eq!(e.kind, kind, "{file}");
        assert_eq!(e.retry_after, retry_after, "{file}");
    }
    let bad = teloxide::RequestError::Api(teloxide::ApiError::MessageTextIsEmpty);
    assert_eq!(client::classify(bad).kind, ReplyErrorKind::Permanent);
}

#[test]
fn message_refs_round_trip() {
    assert_eq!(message_ref(-100123, 7), "-100123:7");
    assert_eq!(parse_message_ref("-100123:7"), Some((-100123, 7)));
    assert_eq!(parse_message_ref("LaporPadangBot:12"), None);
}

//! Media download: one row per case, from Meta's metadata answer and the
//! file served to what the client returns, and whether it downloaded.

use super::graph_server::{GraphServer, TOKEN, VERSION};
use crate::whatsapp::{GraphClient, GraphSettings, MediaError, MediaLimits};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

const LIMIT: u64 = 256 * 1024;

/// Bytes that sniff as a JPEG photo.
pub fn jpeg(len: usize) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.resize(len, 0x42);
    b
}

enum Want {
    Ok(&'static str),
    TooLarge,
    NotAllowed(&'static str),
    Failed { retryable: bool },
}

struct Case {
    label: &'static str,
    status: u16,
    /// Metadata; `{url}` is replaced by the file's URL.
    metadata: serde_json::Value,
    file: Option<(Vec<u8>, bool)>,
    want: Want,
    downloaded: bool,
}

#[rustfmt::skip]
#[tokio::test]
async fn table_of_media_downloads() {
    let meta = |mime: &str, size: Option<u64>| {
        let mut m = json!({"messaging_product": "whatsapp", "url": "{url}", "mime_type": mime, "sha256": "abc", "id": "m"});
        if let Some(s) = size {
            m["file_size"] = json!(s);
        }
        m
    };
    let cases = vec![
        Case { label: "photo with its length", status: 200, metadata: meta("image/jpeg", Some(2048)),
            file: Some((jpeg(2048), true)), want: Want::Ok("image/jpeg"), downloaded: true },
        Case { label: "photo streamed", status: 200, metadata: meta("image/jpeg", None),
            file: Some((jpeg(300 * 1024 - 1), false)), want: Want::TooLarge, downloaded: true },
        Case { label: "small photo streamed", status: 200, metadata: meta("image/jpeg", None),
            file: Some((jpeg(100 * 1024), false)), want: Want::Ok("image/jpeg"), downloaded: true },
        Case { label: "declared 20 MB: refused before downloading", status: 200, metadata: meta("image/jpeg", Some(20 * 1024 * 1024)),
            file: Some((jpeg(10), true)), want: Want::TooLarge, downloaded: false },
        Case { label: "size declared as a string", status: 200, metadata: json!({"url": "{url}", "mime_type": "image/jpeg", "file_size": "999999999"}),
            file: Some((jpeg(10), true)), want: Want::TooLarge, downloaded: false },
        Case { label: "undeclared, Content-Length over the limit", status: 200, metadata: meta("image/jpeg", None),
            file: Some((jpeg(LIMIT as usize + 1), true)), want: Want::TooLarge, downloaded: true },
        Case { label: "declared type not allowed", status: 200, metadata: meta("video/mp4", Some(10)),
            file: Some((jpeg(10), true)), want: Want::NotAllowed("video/mp4"), downloaded: false },
        Case { label: "a program posing as a photo", status: 200, metadata: meta("image/jpeg", Some(64)),
            file: Some(({ let mut b = b"MZ".to_vec(); b.resize(64, 0); b[0x3c] = 0x40; b }, true)),
            want: Want::NotAllowed("application/vnd.microsoft.portable-executable"), downloaded: true },
        Case { label: "voice note with codec parameter", status: 200, metadata: meta("audio/ogg; codecs=opus", Some(64)),
            file: Some(({ let mut b = b"OggS".to_vec(); b.resize(64, 0); b }, true)), want: Want::Ok("audio/ogg"), downloaded: true },
        Case { label: "unknown media id", status: 404, metadata: json!({"error": {"code": 100}}),
            file: None, want: Want::Failed { retryable: false }, downloaded: false },
        Case { label: "Graph API down", status: 503, metadata: json!({}),
            file: None, want: Want::Failed { retryable: true }, downloaded: false },
        Case { label: "metadata without url", status: 200, metadata: json!({"mime_type": "image/jpeg"}),
            file: None, want: Want::Failed { retryable: false }, downloaded: false },
        Case { label: "file gone", status: 200, metadata: json!({"url": "{url}missing", "mime_type": "image/jpeg"}),
            file: Some((jpeg(10), true)), want: Want::Failed { retryable: false }, downloaded: true },
        Case { label: "token never sent to a plain-http foreign host", status: 200,
            metadata: json!({"url": "http://192.0.2.1/file", "mime_type": "image/jpeg"}),
            file: None, want: Want::Failed { retryable: false }, downloaded: false },
    ];
    let limits = MediaLimits {
        max_bytes: LIMIT,
        allowed_types: vec!["image/jpeg".into(), "audio/ogg".into(), "application/pdf".into()],
    };
    let server = GraphServer::start().await;
    let client = GraphClient::new(
        &GraphSettings { base_url: server.base.clone(), version: VERSION.into(), timeout: Duration::from_secs(5) },
        TOKEN,
    )
    .unwrap();
    for (i, case) in cases.into_iter().enumerate() {
        let id = format!("media-{i}");
        let mut metadata = case.metadata.to_string();
        let mut expected_bytes = None;
        if let Some((bytes, declare)) = case.file {
            let url = server.file(&format!("f{i}"), bytes.clone(), declare);
            metadata = metadata.replace("{url}", &url);
            expected_bytes = Some(bytes);
        }
        server.media(&id, case.status, serde_json::from_str(&metadata).unwrap());
        let before = server.downloads().len();
        let got = client.fetch_media(&id, &limits).await;
        let label = case.label;
        match (got, case.want) {
            (Ok(f), Want::Ok(mime)) => {
                let bytes = expected_bytes.unwrap();
                assert_eq!(f.mime, mime, "{label}");
                assert_eq!(f.bytes.as_ref(), bytes.as_slice(), "{label}");
                assert_eq!(f.sha256, hex::encode(Sha256::digest(&bytes)), "{label}");
            }
            (Err(MediaError::TooLarge { limit, .. }), Want::TooLarge) => assert_eq!(limit, LIMIT, "{label}"),
            (Err(MediaError::TypeNotAllowed { mime }), Want::NotAllowed(want)) => assert_eq!(mime, want, "{label}"),
            (Err(MediaError::Failed { retryable, message }), Want::Failed { retryable: want }) => {
                assert_eq!(retryable, want, "{label}: {message}");
                assert!(!message.contains(TOKEN), "{label}");
            }
            (got, _) => panic!("{label}: unexpected {got:?}"),
        }
        let downloads = server.downloads();
        assert_eq!(downloads.len() > before, case.downloaded, "{label}: downloaded?");
        for auth in &downloads[before..] {
            assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()), "{label}");
        }
    }
}

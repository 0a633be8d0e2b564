//! Bad input: every malformed submission is a 4xx with a reason in
//! Indonesian and English, nothing is stored, and the server stays healthy.

use crate::helpers::*;
use crate::on_both_backends;
use reqwest::multipart::{Form, Part};

struct Case {
    label: &'static str,
    request: Box<dyn Fn(&TestApp) -> reqwest::RequestBuilder>,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn json(body: &'static str) -> Box<dyn Fn(&TestApp) -> reqwest::RequestBuilder> {
    Box::new(move |app| {
        app.client
            .post(app.url("/api/v1/complaints"))
            .header("content-type", "application/json")
            .body(body)
    })
}

fn photo(bytes: Vec<u8>, mime: &'static str) -> Box<dyn Fn(&TestApp) -> reqwest::RequestBuilder> {
    Box::new(move |app| {
        let part = Part::bytes(bytes.clone())
            .file_name("foto")
            .mime_str(mime)
            .unwrap();
        app.client
            .post(app.url("/api/v1/complaints"))
            .multipart(Form::new().text("text", "Ada foto").part("photo", part))
    })
}

fn cases() -> Vec<Case> {
    let mut jpeg_too_big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg_too_big.resize(40 * 1024, 0);
    vec![
        Case {
            label: "empty text",
            request: json(r#"{"text": "  "}"#),
            status: 422,
            code: "required",
            field: Some("text"),
        },
        Case {
            label: "no text",
            request: json(r#"{"title": "judul saja"}"#),
            status: 422,
            code: "required",
            field: Some("text"),
        },
        Case {
            label: "invalid JSON",
            request: json(r#"{"text": "tanpa kurung"#),
            status: 400,
            code: "malformed_body",
            field: None,
        },
        Case {
            label: "JSON not an object",
            request: json(r#"["text"]"#),
            status: 400,
            code: "malformed_body",
            field: None,
        },
        Case {
            label: "latitude 200",
            request: json(r#"{"text": "x", "lat": 200, "lon": 100}"#),
            status: 422,
            code: "invalid_field",
            field: Some("lat"),
        },
        Case {
            label: "latitude as text",
            request: json(r#"{"text": "x", "lat": "utara", "lon": 100}"#),
            status: 422,
            code: "wrong_type",
            field: Some("lat"),
        },
        Case {
            label: "text as an object",
            request: json(r#"{"text": {"isi": "x"}}"#),
            status: 422,
            code: "wrong_type",
            field: Some("text"),
        },
        Case {
            label: "unknown field",
            request: json(r#"{"text": "x", "nik": "1371"}"#),
            status: 422,
            code: "unknown_field",
            field: Some("nik"),
        },
        Case {
            label: "bad phone",
            request: json(r#"{"text": "x", "phone": "nomor saya"}"#),
            status: 422,
            code: "invalid_field",
            field: Some("phone"),
        },
        Case {
            label: "body over the limit",
            request: Box::new(|app| {
                let big = format!(r#"{{"text": "{}"}}"#, "a".repeat(80 * 1024));
                app.client
                    .post(app.url("/api/v1/complaints"))
                    .header("content-type", "application/json")
                    .body(big)
            }),
            status: 413,
            code: "body_too_large",
            field: None,
        },
        Case {
            label: "unsupported content type",
            request: Box::new(|app| {
                app.client
                    .post(app.url("/api/v1/complaints"))
                    .header("content-type", "text/plain")
                    .body("jalan rusak")
            }),
            status: 415,
            code: "unsupported_content_type",
            field: None,
        },
        Case {
            label: "PDF as photo",
            request: photo(
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec(),
                "image/jpeg",
            ),
            status: 415,
            code: "attachment_type",
            field: Some("photo"),
        },
        Case {
            label: "executable as photo",
            request: photo(
                b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec(),
                "image/png",
            ),
            status: 415,
            code: "attachment_type",
            field: Some("photo"),
        },
        Case {
            label: "photo over the limit",
            request: photo(jpeg_too_big, "image/jpeg"),
            status: 413,
            code: "attachment_too_large",
            field: Some("photo"),
        },
        Case {
            label: "bad idempotency key",
            request: Box::new(|app| {
                app.client
                    .post(app.url("/api/v1/complaints"))
                    .header("Idempotency-Key", "k".repeat(300))
                    .json(&serde_json::json!({"text": "x"}))
            }),
            status: 400,
            code: "invalid_idempotency_key",
            field: Some("Idempotency-Key"),
        },
    ]
}

async fn every_bad_submission_is_refused_and_nothing_stored(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.webform.limits.max_body_bytes = 64 * 1024;
    config.webform.limits.max_attachment_bytes = 32 * 1024;
    let mut app = TestApp::spawn(config).await;
    // A refused body may be left unread, and the server then closes the
    // connection: a pooled connection could be reused just as it closes.
    app.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for case in cases() {
        let response = match (case.request)(&app).send().await {
            Ok(r) => r,
            Err(e) => panic!("{}: request failed: {e}", case.label),
        };
        assert_eq!(response.status().as_u16(), case.status, "{}", case.label);
        let body: serde_json::Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.label));
        let error = &body["error"];
        assert_eq!(error["code"], case.code, "{}: {body}", case.label);
        assert_eq!(
            error["field"].as_str(),
            case.field,
            "{}: {body}",
            case.label
        );
        assert!(
            !error["message"]["id"].as_str().unwrap_or("").is_empty(),
            "{}: Indonesian reason",
            case.label
        );
        assert!(
            !error["message"]["en"].as_str().unwrap_or("").is_empty(),
            "{}: English reason",
            case.label
        );
    }
    // Nothing journaled either: whatever was would be taken in by now.
    app.taken_in().await;
    assert_eq!(app.count_stored().await, (0, 0, 0), "nothing stored");
    assert!(
        !dir.path().join("attachments").exists()
            || std::fs::read_dir(dir.path().join("attachments"))
                .unwrap()
                .next()
                .is_none()
    );
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // And a good submission still goes through.
    let ok = app
        .post_json(serde_json::json!({"text": "Setelah semua itu, laporan yang benar"}))
        .await;
    assert_eq!(ok.status(), 201);
    let metrics = app.metrics().await;
    assert!(
        metrics
            .contains("satupintu_intake_rejected_total{channel=\"webform\",reason=\"required\"} 2"),
        "{metrics}"
    );
    app.stop().await;
}

on_both_backends!(every_bad_submission_is_refused_and_nothing_stored);

//! Submitting through the web form API by JSON, form and multipart; each
//! complaint reaches LAPOR! exactly once and keeps LAPOR's ids.

use crate::helpers::*;
use crate::lapor_standin::{LaporStandin, Mode};
use crate::on_both_backends;
use satupintu::config::LaporProfile;
use satupintu::store::entity::{attachment, complaint};
use sea_orm::EntityTrait;

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
];

async fn delivered(app: &TestApp, code: &str) -> complaint::Model {
    eventually("the LAPOR tracking id to be stored", 15, || async {
        app.complaints()
            .await
            .into_iter()
            .find(|c| c.tracking_code == code && c.lapor_tracking_id.is_some())
    })
    .await
}

async fn json_form_and_multipart_reach_lapor_once(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), Some(&lapor))).await;

    let r = app
        .post_json(serde_json::json!({
            "text": "Jalan di depan SD 05 Parak Gadang berlubang besar",
            "title": "Jalan berlubang",
            "name": "Siti Rahma",
            "phone": "0812-3456-7890",
            "email": "siti@Contoh.ID",
            "lat": -0.9492, "lon": 100.3781,
            "address": "Jl. Parak Gadang",
        }))
        .await;
    assert_eq!(r.status(), 201);
    let json_code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(adapters::TrackingCode::parse(&json_code).is_ok());

    let r = app
        .client
        .post(app.url("/api/v1/complaints"))
        .form(&[
            ("text", "Sampah menumpuk di pasar raya"),
            ("phone", "+62 813 1111 2222"),
            ("rahasia", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let form_code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();

    let photo = reqwest::multipart::Part::bytes(JPEG.to_vec())
        .file_name("lubang.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("text", "Lampu jalan mati sejak seminggu")
        .text("anonim", "on")
        .text("email", "warga@example.id")
        .part("photo", photo);
    let r = app
        .client
        .post(app.url("/api/v1/complaints"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let multipart_code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();

    let mut lapor_ids = Vec::new();
    for code in [&json_code, &form_code, &multipart_code] {
        let c = delivered(&app, code).await;
        assert_eq!(c.status, "forwarded");
        assert!(c
            .lapor_transaction_id
            .as_deref()
            .unwrap()
            .starts_with("TRX-"));
        lapor_ids.push(c.lapor_tracking_id.unwrap());
    }
    lapor_ids.sort();
    lapor_ids.dedup();
    assert_eq!(lapor_ids.len(), 3, "three distinct LAPOR reports");
    // Let any stray second delivery show up before counting.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(lapor.received().len(), 3, "each complaint sent once");
    assert_eq!(lapor.reports_created(), 3);

    let bodies: Vec<String> = lapor.received().into_iter().map(|r| r.body).collect();
    let json_body = bodies.iter().find(|b| b.contains("SD 05")).unwrap();
    assert!(
        json_body.contains("<telpon>+6281234567890</telpon>"),
        "{json_body}"
    );
    assert!(
        json_body.contains("<email>siti@contoh.id</email>"),
        "{json_body}"
    );
    assert!(json_body.contains("<namadepan>Siti</namadepan><namabelakang>Rahma</namabelakang>"));
    assert!(bodies
        .iter()
        .any(|b| b.contains("Sampah") && b.contains("rahasia=\"1\"")));
    assert!(bodies
        .iter()
        .any(|b| b.contains("Lampu") && b.contains("anonim=\"1\"")));

    // The photo is stored with its hash.
    let files = attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].mime, "image/jpeg");
    assert_eq!(files[0].size, JPEG.len() as i64);
    assert!(dir
        .path()
        .join("attachments")
        .join(&files[0].storage_path)
        .exists());
    app.stop().await;
}

async fn json_profile_uses_the_field_map(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let mut config = test_config(&db, dir.path(), None);
    config.destinations.insert(
        "lapor".into(),
        lapor_destination(dir.path(), &lapor, LaporProfile::Json),
    );
    config.dispatch.default_destination = "lapor".into();
    let app = TestApp::spawn(config).await;
    let r = app
        .post_json(serde_json::json!({"text": "Air PDAM mati tiga hari", "category": "air minum"}))
        .await;
    let code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();
    delivered(&app, &code).await;
    let received = lapor.received();
    assert_eq!(received.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["isi"], "Air PDAM mati tiga hari");
    assert_eq!(body["kategori"], "air minum");
    assert_eq!(body["referensi"], code);
    assert!(received[0].idempotency_key.is_some());
    assert_eq!(received[0].profile, "json");
    app.stop().await;
}

async fn idempotency_key_answers_once(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let send = |body: serde_json::Value| {
        app.client
            .post(app.url("/api/v1/complaints"))
            .header("Idempotency-Key", "form-7f3a")
            .json(&body)
            .send()
    };
    let body = serde_json::json!({"text": "Drainase tersumbat di Jl. Veteran"});
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let second = send(body).await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers().get("idempotent-replayed").unwrap(), "true");
    let second: serde_json::Value = second.json().await.unwrap();
    assert_eq!(first["tracking_code"], second["tracking_code"]);
    app.taken_in().await;
    assert_eq!(app.count_stored().await, (1, 1, 1));

    // The same key with a different complaint is a conflict, not a silent replay.
    let third = send(serde_json::json!({"text": "Lain lagi"}))
        .await
        .unwrap();
    assert_eq!(third.status(), 409);
    app.taken_in().await;
    assert_eq!(app.count_stored().await, (1, 1, 1));
    app.stop().await;
}

async fn public_status_hides_personal_data(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let r = app
        .post_json(serde_json::json!({"text": "Pungli di kantor kelurahan", "title": "Pungli", "name": "Andi Saputra", "phone": "081299998888", "email": "andi@example.id"}))
        .await;
    let code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();
    let view = app
        .client
        .get(app.url(&format!("/api/v1/complaints/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), 200);
    let text = view.text().await.unwrap();
    for secret in [
        "Andi",
        "0812",
        "+62812",
        "andi@example.id",
        "Pungli di kantor",
    ] {
        assert!(!text.contains(secret), "public view leaks {secret}: {text}");
    }
    let view: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["tracking_code"], code);
    assert_eq!(view["title"], "Pungli");
    assert!(view["timeline"].as_array().unwrap().len() >= 1);

    // Lower case and a dash are the same code.
    let sloppy = format!("{}-{}", &code[..5], &code[5..]).to_lowercase();
    let r = app
        .client
        .get(app.url(&format!("/api/v1/complaints/{sloppy}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A confidential complaint shows only that it exists and its status.
    let r = app.post_json(serde_json::json!({"text": "Laporan rahasia", "title": "Judul rahasia", "rahasia": true})).await;
    let secret_code = r.json::<serde_json::Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();
    let view: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/complaints/{secret_code}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["rahasia"], true);
    assert!(
        view.get("title").is_none()
            && view.get("timeline").is_none()
            && view.get("created_at").is_none()
    );

    // A mistyped code (one character changed) and an unknown one are 404.
    let mut typo: Vec<char> = code.chars().collect();
    typo[3] = if typo[3] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    for bad in [typo.as_str(), "ZZZZZZZZZZ", "nope"] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/complaints/{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{bad}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(!e["error"]["message"]["id"].as_str().unwrap().is_empty());
    }
    app.stop().await;
}

on_both_backends!(
    json_form_and_multipart_reach_lapor_once,
    json_profile_uses_the_field_map,
    idempotency_key_answers_once,
    public_status_hides_personal_data,
);

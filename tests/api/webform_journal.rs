//! The web form answers once a submission is journaled, with the tracking
//! code the complaint made of it takes; the code shows as "received,
//! being processed" while the submission waits; a retry with the same
//! Idempotency-Key gets the first answer, whether the first waits or is a
//! complaint already.

use crate::conversation::messages_to;
use crate::helpers::*;
use crate::on_both_backends;
use adapters::{Channel, InboundMessage};
use satupintu::intake::Outcome;
use satupintu::store::entity::{complaint, intake_journal};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

async fn by_code(app: &TestApp, code: &str) -> Option<complaint::Model> {
    complaint::Entity::find()
        .filter(complaint::Column::TrackingCode.eq(code))
        .one(app.store.db())
        .await
        .unwrap()
}

async fn view(app: &TestApp, code: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/complaints/{code}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A web form submission as the adapter makes it, without an
/// Idempotency-Key.
fn submission(id: &str, phone: &str, text: &str) -> InboundMessage {
    let mut msg = sms(&format!("auto:{id}"), phone, text);
    msg.channel = Channel::Webform;
    msg.channel_account = "web".into();
    msg
}

/// A journal entry whose sender was answered with `code`, due at
/// `not_before`.
fn entry(
    msg: &InboundMessage,
    code: &str,
    not_before: Option<chrono::DateTime<chrono::Utc>>,
) -> intake_journal::ActiveModel {
    let mut entry = crate::intake_journal::entry(msg);
    entry.not_before = Set(not_before);
    entry.tracking_code = Set(Some(code.into()));
    entry
}

async fn answered_with_the_code_its_complaint_takes(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let r = app
        .post_json_answered(
            json!({"text": "Lampu jalan mati di Jl. Hamka", "phone": "081211113333"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "received");
    let code = body["tracking_code"].as_str().unwrap().to_string();
    app.taken_in().await;
    let c = by_code(&app, &code)
        .await
        .expect("the complaint has the code");
    assert_eq!(c.channel, "webform");
    assert_eq!(c.body, "Lampu jalan mati di Jl. Hamka");
    let (status, shown) = view(&app, &code).await;
    assert_eq!(status, 200);
    assert!(shown.get("processing").is_none(), "{shown}");

    // With an Idempotency-Key a retry gets the same code, whether the
    // first still waits or is a complaint already.
    let keyed = || {
        app.client
            .post(app.url("/api/v1/complaints"))
            .header("Idempotency-Key", "form-7")
            .json(&json!({"text": "Sampah menumpuk di Pasar Raya"}))
            .send()
    };
    let first: Value = keyed().await.unwrap().json().await.unwrap();
    let code = first["tracking_code"].as_str().unwrap();
    let again = keyed().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["tracking_code"], code);
    app.taken_in().await;
    assert!(by_code(&app, code).await.is_some());
    let again = keyed().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["tracking_code"], code);
    app.taken_in().await;
    assert_eq!(app.complaints().await.len(), 2);
    app.stop().await;
}

on_both_backends!(answered_with_the_code_its_complaint_takes);

async fn a_waiting_code_shows_as_being_processed(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let code = adapters::TrackingCode::from_random([3, 1, 4, 1, 5, 9, 2, 6, 5]).to_string();
    // Held back for a few seconds, as after a failed try.
    let msg = submission(
        "held-1",
        "+6281399990001",
        "Pungli di kantor kelurahan, Andi",
    );
    let due = chrono::Utc::now() + chrono::Duration::seconds(3);
    entry(&msg, &code, Some(due))
        .insert(&journal_db(&app).await)
        .await
        .unwrap();

    let (status, shown) = view(&app, &code).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["tracking_code"], code.as_str());
    assert_eq!(shown["status"], "received");
    assert_eq!(shown["processing"], true);
    let text = shown.to_string();
    assert!(!text.contains("Pungli") && !text.contains("0813"), "{text}");
    let page = |lang: &'static str| {
        let url = app.url(&format!("/pengaduan/{code}{lang}"));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page("").await.contains("sedang diproses"));
    assert!(page("?lang=en").await.contains("being processed"));
    // Another code is still unknown.
    assert_eq!(view(&app, "ABCDEFGHJK").await.0, 404);
    // Asked by SMS, the code is received too.
    let asker = "+6281399990003";
    let answered = app
        .intake
        .accept(sms("cek-held", asker, &format!("CEK {code}")))
        .await
        .unwrap();
    assert_eq!(answered.outcome, Outcome::Answered);
    assert_eq!(answered.complaint_id, None);
    let reply = messages_to(&app, asker).await.pop().unwrap();
    assert_eq!(reply.purpose, "cek");
    assert!(
        reply
            .text
            .contains(&format!("Status pengaduan {code}: Diterima")),
        "{}",
        reply.text
    );

    // Once taken in, the complaint has the code and shows whole.
    eventually("the held submission to be taken in", 20, || async {
        by_code(&app, &code).await
    })
    .await;
    app.taken_in().await;
    let (status, shown) = view(&app, &code).await;
    assert_eq!(status, 200);
    assert!(shown.get("processing").is_none(), "{shown}");
    assert!(!shown["timeline"].as_array().unwrap().is_empty());
    app.stop().await;
}

on_both_backends!(a_waiting_code_shows_as_being_processed);

async fn a_promised_code_taken_meanwhile_gets_another(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let r = app
        .post_json(json!({"text": "Drainase tersumbat di Jl. Ahmad Yani"}))
        .await;
    let taken: Value = r.json().await.unwrap();
    let taken = taken["tracking_code"].as_str().unwrap().to_string();
    // An entry promised the same code (two draws alike).
    let msg = submission("clash-1", "+6281399990002", "Pohon tumbang di Jl. Veteran");
    entry(&msg, &taken, None)
        .insert(&journal_db(&app).await)
        .await
        .unwrap();
    app.taken_in().await;
    let all = app.complaints().await;
    assert_eq!(all.len(), 2);
    let made = all
        .iter()
        .find(|c| c.body == "Pohon tumbang di Jl. Veteran")
        .expect("the submission is kept");
    assert_ne!(made.tracking_code, taken);
    app.stop().await;
}

on_both_backends!(a_promised_code_taken_meanwhile_gets_another);

async fn a_repeated_submission_is_a_complaint_of_its_own(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let report = json!({"text": "Jalan berlubang besar di Jl. Sudirman depan kantor gubernur, sudah seminggu", "phone": "081277778888"});
    let first: Value = app.post_json(report.clone()).await.json().await.unwrap();
    let second: Value = app.post_json(report).await.json().await.unwrap();
    let (first, second) = (
        first["tracking_code"].as_str().unwrap(),
        second["tracking_code"].as_str().unwrap(),
    );
    assert_ne!(first, second);
    let first = by_code(&app, first).await.unwrap();
    let second = by_code(&app, second)
        .await
        .expect("the second code is a complaint");
    assert_eq!(second.duplicate_of, Some(first.id));
    assert_eq!(second.status, "duplicate");
    app.stop().await;
}

on_both_backends!(a_repeated_submission_is_a_complaint_of_its_own);

/// The message the web form makes of a JSON `body` sent with an
/// Idempotency-Key.
async fn keyed_submission(key: &str, body: &Value) -> InboundMessage {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/complaints")
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(axum::body::Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap();
    adapters::webform::parse_request(req, &Default::default(), "web", || unreachable!())
        .await
        .unwrap()
}

async fn a_retry_while_the_first_waits_gets_its_code(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let body = json!({"text": "Pipa PDAM bocor di Jl. Khatib Sulaiman", "phone": "081355556666"});
    let code = adapters::TrackingCode::from_random([2, 7, 1, 8, 2, 8, 1, 8, 2]).to_string();
    // The first delivery, held back in the journal.
    let first = keyed_submission("app-41", &body).await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(3);
    entry(&first, &code, Some(due))
        .insert(&journal_db(&app).await)
        .await
        .unwrap();
    let send = |body: Value| {
        app.client
            .post(app.url("/api/v1/complaints"))
            .header("Idempotency-Key", "app-41")
            .json(&body)
            .send()
    };
    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["tracking_code"], code.as_str());
    assert_eq!(again["status"], "received");
    // The same key with another submission is refused.
    let other = send(json!({"text": "Lain lagi"})).await.unwrap();
    assert_eq!(other.status(), 409);
    // Taken in: one complaint, with the code, and a retry still gets it.
    eventually("the held submission to be taken in", 20, || async {
        by_code(&app, &code).await
    })
    .await;
    app.taken_in().await;
    assert_eq!(app.complaints().await.len(), 1);
    let late = send(body).await.unwrap();
    assert_eq!(late.headers()["idempotent-replayed"], "true");
    assert_eq!(
        late.json::<Value>().await.unwrap()["tracking_code"],
        code.as_str()
    );
    assert_eq!(
        send(json!({"text": "Lain lagi"})).await.unwrap().status(),
        409
    );
    app.taken_in().await;
    assert_eq!(app.complaints().await.len(), 1);
    app.stop().await;
}

on_both_backends!(a_retry_while_the_first_waits_gets_its_code);

//! The Telegram channel against a stand-in Bot API, in polling and webhook
//! mode: a photo with its caption becomes one complaint with the photo
//! stored; a restart in the middle of a batch loses and repeats nothing;
//! the webhook refuses a wrong secret; `/cek` never leaks; a 429 is waited
//! out and a blocked user is marked unreachable.

use crate::helpers::*;
use crate::on_both_backends;
use crate::telegram_standin::*;
use satupintu::channels::telegram::TelegramMode;
use satupintu::store::entity::{
    attachment, citizen_address, complaint, delivery_attempt, inbound_message, outbox,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2,
];
const LARGE: &str = "AgACAgUAAxkBAAIEt2cFz1_large";
const DEDI: i64 = 5120398877;
const SARI: i64 = 6611002233;

async fn spawn(db: &TestDb, dir: &Path, tg: &TelegramStandin, mode: TelegramMode) -> TestApp {
    let mut config = test_config(db, dir, None);
    configure(&mut config, dir, tg, mode);
    TestApp::spawn(config).await
}

/// The fixture photo became exactly this complaint, with the largest
/// size within the limit fetched and stored by its sha256.
async fn assert_photo_complaint(app: &TestApp, dir: &Path, tg: &TelegramStandin) {
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1, "one complaint");
    let c = &complaints[0];
    assert_eq!(c.body, "ini fotonya pak, tiangnya juga miring");
    assert_eq!(
        (c.channel.as_str(), c.channel_account.as_str()),
        ("telegram", BOT)
    );
    let files = attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(files.len(), 1, "one attachment");
    assert_eq!(files[0].complaint_id, Some(c.id));
    assert_eq!(files[0].sha256, hex::encode(Sha256::digest(JPEG)));
    assert_eq!(files[0].mime, "image/jpeg");
    let stored = std::fs::read(dir.join("attachments").join(&files[0].storage_path)).unwrap();
    assert_eq!(stored, JPEG);
    assert_eq!(
        tg.file_requests(),
        [LARGE],
        "only the largest size is fetched"
    );
    let ack = eventually("the acknowledgment on Telegram", 20, || async {
        tg.sent_to(DEDI).pop()
    })
    .await;
    assert!(ack.contains(&c.tracking_code), "{ack}");
}

async fn photo_with_caption_by_polling(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.add_file(LARGE, JPEG);
    tg.push_update(fixture("photo_caption.json"));
    // Updates that are no complaint move the offset all the same.
    tg.push_update(fixture("sticker.json"));
    tg.push_update(fixture("empty_update.json"));
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Polling).await;
    eventually("the photo to become a complaint", 20, || async {
        app.complaints().await.pop()
    })
    .await;
    assert_photo_complaint(&app, dir.path(), &tg).await;
    eventually("the offset past the last update", 20, || async {
        let offset = app.intake.cursor("telegram", BOT, "offset").await.unwrap();
        (offset.as_deref() == Some("851203425")).then_some(())
    })
    .await;
    assert_eq!(app.complaints().await.len(), 1, "a sticker is no complaint");
    app.stop().await;
}

async fn photo_with_caption_by_webhook(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.add_file(LARGE, JPEG);
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Webhook).await;
    let update = fixture("photo_caption.json");

    // A wrong or missing secret token: 401 before anything is read.
    for secret in [Some("wrong"), None, Some("")] {
        let r = post_update(&app, &update, secret).await;
        assert_eq!(r.status(), 401, "{secret:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], "X-Telegram-Bot-Api-Secret-Token");
        assert_eq!(body["error"]["code"], "invalid_secret_token");
    }
    assert_eq!(app.count_stored().await, (0, 0, 0), "nothing stored");

    let r = post_update(&app, &update, Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 200);
    assert_photo_complaint(&app, dir.path(), &tg).await;
    // Telegram delivers it again: update_id is the idempotency key.
    let r = post_update(&app, &update, Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.complaints().await.len(), 1);
    let inbound = inbound_message::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].external_id, format!("{BOT}:851203412"));

    // A body that is not an update: 400 naming it.
    let r = app
        .client
        .post(app.url("/webhooks/telegram"))
        .header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET)
        .body("{\"message\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_an_update");

    // The database gone: 503, so Telegram delivers the update again.
    app.store.clone().close().await.unwrap();
    let r = post_update(&app, &fixture("text.json"), Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
}

fn photo_update(update_id: i64, user: i64, file_id: &str, caption: &str) -> serde_json::Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 10,
            "from": {"id": user, "is_bot": false, "first_name": "Warga"},
            "chat": {"id": user, "first_name": "Warga", "type": "private"},
            "date": 1763900000,
            "photo": [{"file_id": file_id, "file_unique_id": "u", "file_size": JPEG.len(), "width": 800, "height": 600}],
            "caption": caption,
        }
    })
}

async fn restart_mid_batch_loses_and_repeats_nothing(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    let texts = [
        "Sampah di pinggir Banda Bakali belum diangkut, banyak lalat",
        "Antrian di Disdukcapil dari subuh, nomor antrian online tidak berfungsi",
        "Jalan berlubang besar di depan SD 12 Lolong",
        "Lampu jalan mati di sepanjang Jl. Hamka",
    ];
    tg.push_update(text_update(900, 1, 111, texts[0]));
    tg.push_update(text_update(901, 1, 222, texts[1]));
    tg.push_update(photo_update(902, 333, "slow-photo", texts[2]));
    tg.push_update(text_update(903, 1, 444, texts[3]));
    tg.add_file("slow-photo", JPEG);
    tg.set_hanging("slow-photo", true);

    let app = spawn(&db, dir.path(), &tg, TelegramMode::Polling).await;
    eventually(
        "two updates committed and the third one's file asked for",
        20,
        || async {
            (app.complaints().await.len() == 2 && !tg.file_requests().is_empty()).then_some(())
        },
    )
    .await;
    app.stop().await;

    // Stopped in the middle of the batch: the offset names the third update.
    let store = satupintu::store::Store::connect(&db.url, 1).await.unwrap();
    let offset = satupintu::store::cursors::get(store.db(), "telegram", BOT, "offset")
        .await
        .unwrap();
    assert_eq!(offset.as_deref(), Some("902"));
    store.close().await.unwrap();

    tg.set_hanging("slow-photo", false);
    let asked_before = tg.offsets().len();
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Polling).await;
    eventually("the rest of the batch", 20, || async {
        (app.complaints().await.len() == 4).then_some(())
    })
    .await;
    assert_eq!(
        tg.offsets()[asked_before],
        Some(902),
        "the restarted gateway asks from the stored offset"
    );
    let mut bodies: Vec<String> = app.complaints().await.into_iter().map(|c| c.body).collect();
    bodies.sort();
    let mut want: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    want.sort();
    assert_eq!(bodies, want, "every update once");
    let inbound = inbound_message::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(inbound.len(), 4);
    for chat in [111, 222, 333, 444] {
        let ack = eventually("one acknowledgment per citizen", 20, || async {
            tg.sent_to(chat).pop()
        })
        .await;
        assert!(ack.contains("Kode pelacakan"), "{ack}");
    }
    let acks = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(acks.len(), 4, "no acknowledgment written twice");
    app.stop().await;
}

async fn cek_never_tells_about_someone_elses_complaint(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Webhook).await;
    let post = |u: serde_json::Value| {
        let app = &app;
        async move {
            assert_eq!(
                post_update(app, &u, Some(WEBHOOK_SECRET)).await.status(),
                200
            );
        }
    };
    post(fixture("text.json")).await;
    let c = app.complaints().await.pop().unwrap();
    // A confidential complaint: only its reporter may see it.
    complaint::Entity::update_many()
        .col_expr(complaint::Column::Rahasia, true.into())
        .filter(complaint::Column::Id.eq(c.id))
        .exec(app.store.db())
        .await
        .unwrap();
    let code = &c.tracking_code;
    post(text_update(1, 1, SARI, &format!("/cek {code}"))).await;
    post(text_update(2, 2, SARI, "/cek ABCDE2345X")).await;
    post(text_update(3, 1208, DEDI, &format!("/cek {code}"))).await;
    assert_eq!(
        app.complaints().await.len(),
        1,
        "no command became a complaint"
    );

    let sari = eventually("both answers to Sari", 20, || async {
        let sent = tg.sent_to(SARI);
        (sent.len() == 2).then_some(sent)
    })
    .await;
    for answer in &sari {
        assert!(answer.contains("tidak ditemukan"), "{answer}");
        assert!(
            !answer.contains("Status") && !answer.contains("PJU"),
            "{answer}"
        );
    }
    // Someone else's code reads exactly like a mistyped one.
    let shapes: Vec<String> = sari
        .iter()
        .map(|t| {
            t.replace(code.as_str(), "KODE")
                .replace("ABCDE2345X", "KODE")
        })
        .collect();
    assert_eq!(shapes[0], shapes[1]);
    assert_ne!(sari[0], sari[1], "each answer names the code asked about");
    let dedi = eventually("the reporter's answer", 20, || async {
        tg.sent_to(DEDI)
            .into_iter()
            .find(|t| t.contains("Status pengaduan"))
    })
    .await;
    assert!(dedi.contains(code.as_str()), "{dedi}");
    app.stop().await;
}

async fn ack_attempts(app: &TestApp) -> Vec<delivery_attempt::Model> {
    let row = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .one(app.store.db())
        .await
        .unwrap()
        .expect("an acknowledgment row");
    delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::OutboxId.eq(row.id))
        .order_by_asc(delivery_attempt::Column::Attempt)
        .all(app.store.db())
        .await
        .unwrap()
}

async fn too_many_requests_is_waited_out(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.set_send_mode(SendMode::TooManyRequests {
        times: 1,
        retry_after: 2,
    });
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Webhook).await;
    let r = post_update(&app, &fixture("text.json"), Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 200);
    eventually("the acknowledgment after the wait", 30, || async {
        tg.sent_to(DEDI).pop()
    })
    .await;
    let calls = tg.send_calls();
    assert_eq!(calls.len(), 2, "one refused, one accepted");
    assert_eq!((calls[0].status, calls[1].status), (429, 200));
    assert!(
        calls[1].at.duration_since(calls[0].at) >= std::time::Duration::from_millis(1900),
        "retry_after was honoured"
    );
    let attempts = eventually("both attempts recorded", 20, || async {
        let a = ack_attempts(&app).await;
        (a.len() == 2).then_some(a)
    })
    .await;
    assert_eq!(attempts[0].http_status, Some(429));
    assert_eq!(attempts[1].outcome, "delivered");
    app.stop().await;
}

async fn blocked_user_is_unreachable(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.set_send_mode(SendMode::Blocked);
    let app = spawn(&db, dir.path(), &tg, TelegramMode::Webhook).await;
    let r = post_update(&app, &fixture("text.json"), Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 200);
    let address = eventually("the address marked unreachable", 20, || async {
        citizen_address::Entity::find()
            .filter(citizen_address::Column::Kind.eq("telegram"))
            .filter(citizen_address::Column::Address.eq(DEDI.to_string()))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|a| a.unreachable_at.is_some())
    })
    .await;
    assert_eq!(address.unreachable_on.as_deref(), Some("telegram"));
    let row = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "dead", "no retries after a block");
    assert_eq!(tg.send_calls().len(), 1);
    assert_eq!(ack_attempts(&app).await.len(), 1);
    app.stop().await;
}

on_both_backends!(
    photo_with_caption_by_polling,
    photo_with_caption_by_webhook,
    restart_mid_batch_loses_and_repeats_nothing,
    cek_never_tells_about_someone_elses_complaint,
    too_many_requests_is_waited_out,
    blocked_user_is_unreachable,
);

//! The Telegram conversation: the guided `/lapor` complaint (kept across a
//! restart), `/start` answered once however often delivered, groups told
//! once, edits on the timeline, replies threaded both ways, a shared
//! contact linking the phone, and neither secret ever in the logs.

use crate::helpers::*;
use crate::on_both_backends;
use crate::telegram::JPEG;
use crate::telegram_standin::*;
use satupintu::channels::telegram::TelegramMode;
use satupintu::store::entity::{
    attachment, citizen_address, complaint_event, inbound_message, outbox,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::path::Path;

const DEDI: i64 = 5120398877;
const GROUP: i64 = -1001987654321;

async fn spawn_webhook(db: &TestDb, dir: &Path, tg: &TelegramStandin) -> TestApp {
    let mut config = test_config(db, dir, None);
    configure(&mut config, dir, tg, TelegramMode::Webhook);
    TestApp::spawn(config).await
}

async fn post_ok(app: &TestApp, update: serde_json::Value) {
    let r = post_update(app, &update, Some(WEBHOOK_SECRET)).await;
    assert_eq!(r.status(), 200, "{update}");
}

async fn messages(app: &TestApp, recipient: i64, purpose: &str) -> usize {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .filter(outbox::Column::Recipient.eq(recipient.to_string()))
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.payload.as_ref().unwrap()["purpose"] == purpose)
        .count()
}

async fn guided_lapor_survives_a_restart(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.add_file("lapor-photo", JPEG);
    let app = spawn_webhook(&db, dir.path(), &tg).await;
    post_ok(&app, text_update(10, 1, DEDI, "/lapor")).await;
    post_ok(
        &app,
        text_update(11, 2, DEDI, "Got mampet, air meluap ke jalan"),
    )
    .await;
    assert!(
        app.complaints().await.is_empty(),
        "nothing until it is told"
    );
    app.stop().await;

    let app = spawn_webhook(&db, dir.path(), &tg).await;
    let mut location = fixture("location.json");
    location["update_id"] = json!(12);
    location["message"]["message_id"] = json!(3);
    post_ok(&app, location).await;
    assert!(app.complaints().await.is_empty());
    let photo = json!({"update_id": 13, "message": {
        "message_id": 4, "date": 1763900000,
        "from": {"id": DEDI, "is_bot": false, "first_name": "Dedi"},
        "chat": {"id": DEDI, "first_name": "Dedi", "type": "private"},
        "photo": [{"file_id": "lapor-photo", "file_unique_id": "u", "file_size": JPEG.len(), "width": 800, "height": 600}]
    }});
    post_ok(&app, photo.clone()).await;
    // Telegram delivers the last step again: still one complaint.
    post_ok(&app, photo).await;

    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1);
    let c = &complaints[0];
    assert_eq!(c.body, "Got mampet, air meluap ke jalan");
    assert_eq!((c.lat, c.lon), (Some(-0.897621), Some(100.350871)));
    let files = attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].complaint_id, Some(c.id));
    assert!(!files[0].storage_path.is_empty());
    let sent = eventually("three prompts and the acknowledgment", 20, || async {
        let sent = tg.sent_to(DEDI);
        (sent.len() == 4).then_some(sent)
    })
    .await;
    assert!(sent.iter().any(|t| t.contains(&c.tracking_code)));
    assert!(sent.iter().any(|t| t.contains("/lewati")));
    // After the complaint the chat is free again: text is a new complaint.
    post_ok(
        &app,
        text_update(14, 5, DEDI, "Pohon tumbang di Jl. Sudirman"),
    )
    .await;
    assert_eq!(app.complaints().await.len(), 2);
    app.stop().await;
}

async fn commands_and_groups_are_answered_once(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    let app = spawn_webhook(&db, dir.path(), &tg).await;
    post_ok(&app, fixture("start.json")).await;
    post_ok(&app, fixture("start.json")).await;
    post_ok(&app, text_update(20, 1300, DEDI, "/bantuan")).await;
    let group = fixture("group_message.json");
    post_ok(&app, group.clone()).await;
    let mut again = group.clone();
    again["update_id"] = json!(851203499);
    again["message"]["message_id"] = json!(89);
    post_ok(&app, again).await;
    post_ok(&app, fixture("sticker.json")).await;

    assert!(
        app.complaints().await.is_empty(),
        "no complaint from any of it"
    );
    assert_eq!(messages(&app, DEDI, "welcome").await, 1, "one welcome");
    assert_eq!(messages(&app, DEDI, "help").await, 1);
    assert_eq!(
        messages(&app, GROUP, "group").await,
        1,
        "a group is told once"
    );
    let welcome = eventually("the welcome", 20, || async {
        tg.sent_to(DEDI)
            .into_iter()
            .find(|t| t.contains("Selamat datang"))
    })
    .await;
    assert!(welcome.contains("Kota Padang"), "{welcome}");
    let stored = inbound_message::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(stored.len(), 5, "every distinct update stored once");
    app.stop().await;
}

async fn edits_and_replies_follow_the_complaint(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    let app = spawn_webhook(&db, dir.path(), &tg).await;
    post_ok(&app, fixture("text.json")).await;
    let c = app.complaints().await.pop().unwrap();
    // The acknowledgment answers the citizen's message in its thread.
    let ack = eventually("the acknowledgment", 20, || async {
        tg.sent().into_iter().find(|s| s.chat_id == DEDI)
    })
    .await;
    assert_eq!(ack.reply_to, Some(1207));

    post_ok(&app, fixture("edited_message.json")).await;
    let events = complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(c.id))
        .filter(complaint_event::Column::Kind.eq("edited"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].note.as_deref().unwrap().contains("BPS Sumbar"));

    // A reply to our acknowledgment joins the complaint.
    let ack_id = eventually("the acknowledgment's message id", 20, || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("message"))
            .one(app.store.db())
            .await
            .unwrap()
            .and_then(|r| r.external_ref)
    })
    .await;
    let (_, message_id) = ack_id.split_once(':').unwrap();
    let mut reply = fixture("reply_to_ack.json");
    reply["message"]["reply_to_message"]["message_id"] = json!(message_id.parse::<i64>().unwrap());
    post_ok(&app, reply).await;
    let complaints = app.complaints().await;
    assert_eq!(
        complaints.len(),
        1,
        "the reply joined, the edit opened nothing"
    );
    assert!(complaints[0].body.contains("lampunya masih mati"));
    app.stop().await;
}

async fn own_contact_links_the_phone(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    let app = spawn_webhook(&db, dir.path(), &tg).await;
    post_ok(&app, fixture("contact_self.json")).await;
    post_ok(&app, fixture("contact_other.json")).await;
    let addresses = citizen_address::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    let of = |kind: &str, value: &str| {
        addresses
            .iter()
            .find(|a| a.kind == kind && a.address == value)
            .map(|a| a.citizen_id)
    };
    let telegram = of("telegram", &DEDI.to_string()).expect("telegram address");
    assert_eq!(
        of("phone", "+6281266123456"),
        Some(telegram),
        "same citizen"
    );
    assert_eq!(
        of("phone", "+6281166007770"),
        None,
        "someone else's number is not linked"
    );
    assert_eq!(addresses.len(), 2);
    app.stop().await;
}

/// A file over the limit (found out while downloading, Telegram having
/// given no size) or one that cannot be fetched never costs the text.
async fn files_not_fetched_keep_the_text(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.add_file("big-photo", &[0xFF; 64]);
    tg.hide_file_sizes();
    let mut config = test_config(&db, dir.path(), None);
    configure(&mut config, dir.path(), &tg, TelegramMode::Webhook);
    config
        .channels
        .telegram
        .as_mut()
        .unwrap()
        .limits
        .max_photo_bytes = 32;
    let app = TestApp::spawn(config).await;
    let photo = |update_id: i64, user: i64, file_id: &str, caption: &str| {
        json!({"update_id": update_id, "message": {
            "message_id": 1, "date": 1763900000,
            "from": {"id": user, "is_bot": false, "first_name": "Warga"},
            "chat": {"id": user, "first_name": "Warga", "type": "private"},
            "photo": [{"file_id": file_id, "file_unique_id": "u", "width": 800, "height": 600}],
            "caption": caption,
        }})
    };
    post_ok(
        &app,
        photo(30, 111, "big-photo", "Trotoar ambruk di Jl. Permindo"),
    )
    .await;
    post_ok(
        &app,
        photo(31, 222, "gone-photo", "Drainase tersumbat di Ulak Karang"),
    )
    .await;
    let mut bodies: Vec<String> = app.complaints().await.into_iter().map(|c| c.body).collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            "Drainase tersumbat di Ulak Karang",
            "Trotoar ambruk di Jl. Permindo"
        ]
    );
    let files = attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(files.len(), 2, "each missing file is on record");
    assert!(files
        .iter()
        .all(|f| f.storage_path.is_empty() && f.sha256.is_empty()));
    assert_eq!(tg.file_requests().len(), 2);
    app.stop().await;
}

on_both_backends!(
    files_not_fetched_keep_the_text,
    guided_lapor_survives_a_restart,
    commands_and_groups_are_answered_once,
    edits_and_replies_follow_the_complaint,
    own_contact_links_the_phone,
);

/// The real binary, debug logging, a photo fetched and an answer sent
/// (the token is in every Bot API URL) and a wrong secret refused: neither
/// the token nor the webhook secret appears in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.add_file("AgACAgUAAxkBAAIEt2cFz1_large", JPEG);
    let mut config = test_config(&db, dir.path(), None);
    configure(&mut config, dir.path(), &tg, TelegramMode::Webhook);
    config.log.level = "debug".into();
    let path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let gateway = Gateway::start(&path, free_port(), &log).await;
    let client = reqwest::Client::new();
    let url = format!("{}/webhooks/telegram", gateway.base);
    let post = |secret: &'static str| {
        client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(&fixture("photo_caption.json"))
            .send()
    };
    assert_eq!(post("not-the-secret").await.unwrap().status(), 401);
    assert_eq!(post(WEBHOOK_SECRET).await.unwrap().status(), 200);
    eventually("the acknowledgment sent", 30, || async {
        tg.sent_to(DEDI).pop()
    })
    .await;
    gateway.terminate();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("telegram"), "the log has the channel's lines");
    let (_, token_secret_part) = TOKEN.split_once(':').unwrap();
    assert!(!text.contains(token_secret_part), "bot token in the log");
    assert!(!text.contains(WEBHOOK_SECRET), "webhook secret in the log");
    assert!(
        !text.contains("not-the-secret"),
        "offered secret in the log"
    );
}

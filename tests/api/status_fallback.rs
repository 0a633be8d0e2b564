//! A reporter whose own channel cannot deliver is told on the next one:
//! a citizen who blocked the Telegram bot receives the acknowledgment and
//! every status update by SMS instead, and the timeline shows it.

use crate::helpers::*;
use crate::on_both_backends;
use crate::sms_standin::Standin;
use crate::sms_support::{config_with, twilio};
use crate::telegram_standin::{configure, SendMode, TelegramStandin, BOT};
use adapters::{Address, Channel, InboundMessage, PhoneE164};
use satupintu::channels::sms::RateLimits;
use satupintu::channels::telegram::TelegramMode;
use satupintu::notify::FallbackRoute;
use satupintu::store::entity::{citizen_address, complaint_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const CHAT: i64 = 5550001;

struct Setup {
    _dir: tempfile::TempDir,
    _db: TestDb,
    tg: TelegramStandin,
    sms_api: Standin,
    app: TestApp,
}

/// A gateway on Telegram and SMS whose bot the citizen has blocked.
async fn setup(backend: Backend) -> Setup {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let tg = TelegramStandin::start().await;
    tg.set_send_mode(SendMode::Blocked);
    let sms_api = Standin::start(201, json!({"sid": "", "status": "queued"})).await;
    let limits = RateLimits {
        per_minute: 600,
        per_number_per_minute: 600,
    };
    let mut config = config_with(
        &db,
        dir.path(),
        vec![twilio(dir.path(), &sms_api.base, limits)],
    );
    configure(&mut config, dir.path(), &tg, TelegramMode::Webhook);
    config.notify.fallback = vec![FallbackRoute {
        channel: Channel::Sms,
        account: "twilio".into(),
    }];
    let app = TestApp::spawn(config).await;
    Setup {
        _dir: dir,
        _db: db,
        tg,
        sms_api,
        app,
    }
}

/// A message from the citizen on Telegram, with their phone number shared.
fn from_telegram(id: &str, text: &str) -> InboundMessage {
    let mut msg = sms(id, "081355550001", text);
    msg.channel = Channel::Telegram;
    msg.channel_account = BOT.into();
    msg.sender = Some(Address::Telegram(CHAT));
    msg.other_addresses = vec![Address::Phone(PhoneE164::parse("081355550001").unwrap())];
    msg
}

async fn blocked_telegram_reporter_is_told_by_sms(backend: Backend) {
    let Setup {
        _dir,
        _db,
        tg,
        sms_api,
        app,
    } = setup(backend).await;

    // The citizen writes on Telegram and has shared their phone number.
    let msg = from_telegram(
        "tg-1",
        "Lampu jalan mati di Jl. Gajah Mada, Gunung Pangilun",
    );
    let accepted = app.intake.accept(msg).await.unwrap();
    let code = accepted.tracking_code.unwrap().to_string();

    // The bot is blocked: the acknowledgment arrives by SMS instead.
    let to_phone = |n: usize| {
        let api = &sms_api;
        async move {
            let sent: Vec<_> = api
                .received()
                .into_iter()
                .filter(|r| r.method == "POST" && r.form("To").as_deref() == Some("+6281355550001"))
                .collect();
            (sent.len() >= n).then_some(sent)
        }
    };
    let sent = eventually("the acknowledgment by SMS", 30, || to_phone(1)).await;
    assert!(
        sent[0].form("Body").unwrap().contains(&code),
        "{:?}",
        sent[0].body
    );
    assert!(!tg.send_calls().is_empty(), "Telegram was tried first");

    // A status change later goes straight to SMS: the Telegram address is
    // known to be unreachable.
    let telegram_calls = tg.send_calls().len();
    app.agency_sets_status(&code, "resolved", "Lampu sudah diganti")
        .await;
    let sent = eventually("the resolution by SMS", 30, || to_phone(2)).await;
    assert!(sent.iter().any(|r| r
        .form("Body")
        .is_some_and(|b| b.contains("Lampu sudah diganti"))));
    assert_eq!(
        tg.send_calls().len(),
        telegram_calls,
        "no new attempt on the blocked bot"
    );

    let fallbacks = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("message_fallback"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(fallbacks.len(), 1, "the timeline shows the switch");
    assert_eq!(fallbacks[0].data.as_ref().unwrap()["to"], "sms");
    app.stop().await;
}

async fn telegram_address(app: &TestApp) -> citizen_address::Model {
    citizen_address::Entity::find()
        .filter(citizen_address::Column::Kind.eq("telegram"))
        .one(app.store.db())
        .await
        .unwrap()
        .expect("the Telegram address is stored")
}

/// A citizen who unblocks the bot and writes again is told on Telegram
/// again; the number stays reachable for SMS throughout.
async fn reporter_who_writes_again_is_told_on_telegram_again(backend: Backend) {
    let Setup {
        _dir, _db, tg, app, ..
    } = setup(backend).await;
    let msg = from_telegram(
        "tg-1",
        "Lampu jalan mati di Jl. Gajah Mada, Gunung Pangilun",
    );
    let code = app.intake.accept(msg).await.unwrap();
    let code = code.tracking_code.unwrap().to_string();
    let marked = eventually("the bot marked unreachable", 30, || async {
        Some(telegram_address(&app).await).filter(|a| a.unreachable_on.is_some())
    })
    .await;
    assert_eq!(marked.unreachable_on.as_deref(), Some("telegram"));
    assert!(marked.unreachable_at.is_some());
    let phone = citizen_address::Entity::find()
        .filter(citizen_address::Column::Kind.eq("phone"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        phone.unreachable_on, None,
        "the bot's block says nothing of SMS"
    );

    // The citizen unblocks the bot and asks about the complaint.
    tg.set_send_mode(SendMode::Accept);
    let again = from_telegram("tg-2", &format!("cek {code}"));
    app.intake.accept(again).await.unwrap();
    let address = telegram_address(&app).await;
    assert_eq!(
        (address.unreachable_on, address.unreachable_at),
        (None, None)
    );

    app.agency_sets_status(&code, "in_progress", "Petugas menuju lokasi")
        .await;
    eventually("the update on Telegram", 30, || async {
        tg.sent_to(CHAT)
            .into_iter()
            .find(|m| m.contains("Petugas menuju lokasi"))
    })
    .await;
    app.stop().await;
}

on_both_backends!(
    blocked_telegram_reporter_is_told_by_sms,
    reporter_who_writes_again_is_told_on_telegram_again,
);

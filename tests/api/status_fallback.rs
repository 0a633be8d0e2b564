//! A reporter whose own channel cannot deliver is told on the next one:
//! a citizen who blocked the Telegram bot receives the acknowledgment and
//! every status update by SMS instead, and the timeline shows it.

use crate::helpers::*;
use crate::on_both_backends;
use crate::sms_standin::Standin;
use crate::sms_support::{config_with, twilio};
use crate::telegram_standin::{configure, SendMode, TelegramStandin, BOT};
use adapters::{Address, Channel, PhoneE164};
use satupintu::channels::sms::RateLimits;
use satupintu::channels::telegram::TelegramMode;
use satupintu::notify::FallbackRoute;
use satupintu::store::entity::complaint_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

const CHAT: i64 = 5550001;

async fn blocked_telegram_reporter_is_told_by_sms(backend: Backend) {
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

    // The citizen writes on Telegram and has shared their phone number.
    let mut msg = sms(
        "tg-1",
        "081355550001",
        "Lampu jalan mati di Jl. Gajah Mada, Gunung Pangilun",
    );
    msg.channel = Channel::Telegram;
    msg.channel_account = BOT.into();
    msg.sender = Some(Address::Telegram(CHAT));
    msg.other_addresses = vec![Address::Phone(PhoneE164::parse("081355550001").unwrap())];
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
    eventually("the complaint in the PUPR queue", 20, || async {
        let r = app
            .client
            .get(app.url("/api/v1/queues/pupr"))
            .bearer_auth(PUPR_TOKEN)
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = r.json().await.ok()?;
        (body["items"].as_array()?.len() == 1).then_some(())
    })
    .await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/queues/pupr/{code}/status")))
        .bearer_auth(PUPR_TOKEN)
        .json(&json!({"status": "resolved", "note": "Lampu sudah diganti"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
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

on_both_backends!(blocked_telegram_reporter_is_told_by_sms);

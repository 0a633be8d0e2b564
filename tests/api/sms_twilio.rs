//! A Twilio-compatible gateway through the running gateway: signed
//! recorded payloads in, the acknowledgment out to a stand-in Messages API,
//! repeats and forgeries refused, status callbacks and rate limits.

use crate::helpers::{eventually, tempdir, Backend, TestApp, TestDb};
use crate::sms_standin::Standin;
use crate::sms_support::*;
use adapters::sms::twilio::signature;
use satupintu::channels::sms::RateLimits;
use satupintu::store::entity::attachment;
use sea_orm::EntityTrait;
use serde_json::json;

async fn twilio_flow(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let api = Standin::start(201, json!({"sid": "", "status": "queued"})).await;
    let limits = RateLimits {
        per_minute: 30,
        per_number_per_minute: 1,
    };
    let app = TestApp::spawn(config_with(
        &db,
        dir.path(),
        vec![twilio(dir.path(), &api.base, limits)],
    ))
    .await;

    let body = fixture("twilio-text.form");
    let r = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body,
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<Response>"));
    let c = complaint_with_body(
        &app,
        "Lapor: got di Jl. Rasuna Said tersumbat, air meluap ke jalan tiap hujan",
    )
    .await;

    // The acknowledgment goes to the Messages resource, signed in with the account.
    let sent = eventually("the acknowledgment at the API", 20, || async {
        api.received()
            .into_iter()
            .find(|r| r.form("Body").is_some_and(|b| b.contains(&c.tracking_code)))
    })
    .await;
    assert_eq!(
        sent.uri,
        "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
    );
    assert_eq!(sent.form("To").as_deref(), Some("+6281374561234"));
    assert_eq!(sent.form("From").as_deref(), Some("+6281100012345"));
    assert_eq!(
        sent.form("StatusCallback").as_deref(),
        Some(&*format!("{PUBLIC_URL}/status"))
    );
    assert!(sent
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("Basic "));
    assert!(adapters::sms::segments::fits_one(
        &sent.form("Body").unwrap()
    ));

    // Twilio retrying the webhook: the same answer, no second complaint.
    let again = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body,
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(again.status(), 200);
    // A forged request is refused.
    let forged = post_twilio(
        &app,
        "/webhooks/sms/twilio",
        &body.replace("tersumbat", "bersih"),
        &fixture_signature("twilio-text"),
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(app.complaints().await.len(), 1);

    // The status callback reaches the message by Twilio's id.
    let sid = eventually("the message's provider id", 20, || async {
        messages_of(&app, c.id)
            .await
            .into_iter()
            .find_map(|m| m.external_ref)
    })
    .await;
    let status_body = format!(
        "MessageSid={sid}&MessageStatus=delivered&AccountSid=AC0123456789abcdef0123456789abcdef"
    );
    let params = adapters::sms::fields::Fields::parse(status_body.as_bytes()).text_pairs();
    let sig = signature(TWILIO_TOKEN, &format!("{PUBLIC_URL}/status"), &params);
    assert_eq!(
        post_twilio(&app, "/webhooks/sms/twilio/status", &status_body, &sig)
            .await
            .status(),
        200
    );
    let row = messages_of(&app, c.id)
        .await
        .into_iter()
        .find(|m| m.external_ref.as_deref() == Some(sid.as_str()))
        .unwrap();
    assert_eq!(row.provider_status.as_deref(), Some("delivered"));

    // The number's limit is one SMS a minute: the next message to it (the
    // answer to its second SMS, or a status update) waits instead of going.
    // It is an MMS whose photo lives on the API's host.
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    jpeg.resize(2048, 0x11);
    api.serve_file("/media/ME1", "image/jpeg", jpeg.clone());
    let media_url = format!("{}/media/ME1", api.base);
    let mms = fixture("twilio-mms.form")
        .replace("%2B6285265551234", "%2B6281374561234")
        .replace(
            "https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC0123456789abcdef0123456789abcdef%2FMessages%2FMM0f1e2d3c4b5a69788796a5b4c3d2e1f0%2FMedia%2FME11223344556677889900aabbccddeeff",
            &percent_encoding::utf8_percent_encode(&media_url, percent_encoding::NON_ALPHANUMERIC).to_string(),
        );
    assert!(
        mms.contains("media%2FME1"),
        "the fixture's media URL was replaced"
    );
    let params = adapters::sms::fields::Fields::parse(mms.as_bytes()).text_pairs();
    let sig = signature(TWILIO_TOKEN, PUBLIC_URL, &params);
    assert_eq!(
        post_twilio(&app, "/webhooks/sms/twilio", &mms, &sig)
            .await
            .status(),
        200
    );
    let held = eventually("a rate-limited message", 20, || async {
        messages_to(&app, "+6281374561234")
            .await
            .into_iter()
            .find(|m| {
                m.state == "pending"
                    && m.last_error
                        .as_deref()
                        .is_some_and(|e| e.contains("rate limit"))
            })
    })
    .await;
    assert!(held.next_attempt_at > chrono::Utc::now() + chrono::Duration::seconds(5));
    // The photo is fetched with the account's credentials and stored.
    let stored = eventually("the MMS photo stored", 20, || async {
        attachment::Entity::find()
            .all(app.store.db())
            .await
            .unwrap()
            .into_iter()
            .find(|a| !a.storage_path.is_empty())
    })
    .await;
    assert_eq!((stored.mime.as_str(), stored.size), ("image/jpeg", 2048));
    let fetch = api.received().into_iter().find(|r| r.uri == "/media/ME1");
    let auth = fetch.map(|r| {
        r.headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string())
    });
    assert!(auth.flatten().is_some_and(|a| a.starts_with("Basic ")));
    app.stop().await;
}

crate::on_both_backends!(twilio_flow);

//! Repeats and duplicates: the same citizen again gets their code back; other
//! citizens reporting the same problem join the first ("ikut melapor"), which
//! is forwarded once and whose status reaches every reporter.

use crate::helpers::*;
use crate::on_both_backends;
use adapters::{Address, Attachment, Channel, InboundMessage, MediaRef};
use satupintu::intake::{relink, Outcome};
use satupintu::notify::MessagePayload;
use satupintu::store::entity::{complaint, complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

fn whatsapp(id: &str, from: &str, text: &str) -> InboundMessage {
    let mut m = sms(id, from, text);
    m.channel = Channel::Whatsapp;
    m.channel_account = "wa-1".into();
    m
}

fn telegram(id: &str, chat: i64, text: &str) -> InboundMessage {
    let mut m = sms(id, "081200000000", text);
    m.channel = Channel::Telegram;
    m.channel_account = "bot".into();
    m.sender = Some(Address::Telegram(chat));
    m
}

async fn events(app: &TestApp, id: i64, kind: &str) -> Vec<complaint_event::Model> {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(id))
        .filter(complaint_event::Column::Kind.eq(kind))
        .all(app.store.db())
        .await
        .unwrap()
}

async fn deliveries(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.ne("message"))
        .filter(outbox::Column::Kind.ne("media"))
        .all(app.store.db())
        .await
        .unwrap()
}

async fn text_then_photo_then_sms_next_day(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let text =
        "Lampu jalan di depan Masjid Raya Purus mati sudah seminggu, gelap sekali malam hari";
    let first = app
        .intake
        .accept(whatsapp("w1", "081233334444", text))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    let mut photo = whatsapp("w2", "081233334444", "ini fotonya");
    photo.attachments = vec![Attachment {
        media: MediaRef::Inline(b"jpeg bytes".to_vec().into()),
        mime: "image/jpeg".into(),
        size: 10,
        filename: Some("lampu.jpg".into()),
        sha256: None,
    }];
    photo.received_at = first_received() + chrono::Duration::minutes(5);
    let joined = app.intake.accept(photo).await.unwrap();
    assert_eq!(joined.outcome, Outcome::Joined);
    assert_eq!(joined.complaint_id, first.complaint_id);

    // The next day by SMS, in chat spelling, with a greeting: a repeat.
    let mut again = sms(
        "s1",
        "+6281233334444",
        "selamat pagi pak, lampu jln di depan masjid raya purus mati udh seminggu, gelap skali malam hari",
    );
    again.received_at = first_received() + chrono::Duration::days(1);
    let repeat = app.intake.accept(again).await.unwrap();
    assert_eq!(repeat.outcome, Outcome::Repeated);
    assert_eq!(repeat.tracking_code, first.tracking_code);
    assert_eq!(app.complaints().await.len(), 1, "one complaint");
    let id = first.complaint_id.unwrap();
    assert_eq!(events(&app, id, "repeat").await.len(), 1);
    let replies: Vec<MessagePayload> = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .filter(outbox::Column::Channel.eq("sms"))
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_value(r.payload.unwrap()).unwrap())
        .collect();
    let code = first.tracking_code.unwrap();
    assert!(
        replies
            .iter()
            .any(|p| p.purpose == "repeat" && p.text.contains(code.as_str())),
        "the SMS reply names the existing code: {replies:?}"
    );
    app.stop().await;
}

fn first_received() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

async fn three_citizens_one_forwarded_complaint(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let a = app
        .intake
        .accept(whatsapp(
            "w1",
            "081211110001",
            "Lampu jalan di Jl. Purus III kelurahan Purus mati total sejak 3 hari, rawan maling",
        ))
        .await
        .unwrap();
    let b = app
        .intake
        .accept(sms(
            "s1",
            "081211110002",
            "min lampu jln di jl purus 3 mati total udh 3 hari, rawan maling. kel Purus",
        ))
        .await
        .unwrap();
    let c = app
        .intake
        .accept(telegram(
            "t1",
            424242,
            "Selamat malam. Sejak 3 hari lampu jalan mati total di Jalan Purus III, Purus. Rawan maling.",
        ))
        .await
        .unwrap();
    for r in [&a, &b, &c] {
        assert_eq!(r.outcome, Outcome::Created, "each reporter has a code");
    }
    let first = a.complaint_id.unwrap();
    let all = app.complaints().await;
    assert_eq!(all.len(), 3);
    for other in [&b, &c] {
        let row = all
            .iter()
            .find(|x| Some(x.id) == other.complaint_id)
            .unwrap();
        assert_eq!(row.duplicate_of, Some(first), "{row:?}");
        assert_eq!(row.status, "duplicate");
    }
    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), 1, "forwarded once: {rows:?}");
    assert_eq!(rows[0].complaint_id, Some(first));
    assert_eq!(events(&app, first, "ikut_melapor").await.len(), 2);

    // The agency sees three reporters.
    let code = a.tracking_code.unwrap();
    let queue: serde_json::Value = eventually("the complaint in the PUPR queue", 15, || async {
        let v: serde_json::Value = app
            .client
            .get(app.url("/api/v1/queues/pupr"))
            .bearer_auth(PUPR_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (v["items"].as_array().is_some_and(|i| !i.is_empty())).then_some(v)
    })
    .await;
    assert_eq!(queue["items"][0]["reporters"], 3, "{queue}");

    let r = app
        .client
        .post(app.url(&format!("/api/v1/queues/pupr/{}/status", code.as_str())))
        .bearer_auth(PUPR_TOKEN)
        .json(&serde_json::json!({"status": "in_progress", "note": "Petugas menuju lokasi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reached = eventually("the status update to all three reporters", 15, || async {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("message"))
            .order_by_asc(outbox::Column::Id)
            .all(app.store.db())
            .await
            .unwrap();
        let channels: Vec<String> = rows
            .into_iter()
            .filter(|r| {
                r.payload.as_ref().is_some_and(|p| {
                    p["purpose"] == "status"
                        && p["text"]
                            .as_str()
                            .is_some_and(|t| t.contains("Petugas menuju lokasi"))
                })
            })
            .filter_map(|r| r.channel)
            .collect();
        (channels.len() >= 3).then_some(channels)
    })
    .await;
    for ch in ["whatsapp", "sms", "telegram"] {
        assert!(reached.iter().any(|c| c == ch), "{ch}: {reached:?}");
    }
    app.stop().await;
}

async fn similar_texts_about_different_kelurahan(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let a = app
        .intake
        .accept(sms(
            "s1",
            "081211110001",
            "Lampu jalan mati total sejak 3 hari di kelurahan Purus, rawan maling",
        ))
        .await
        .unwrap();
    let b = app
        .intake
        .accept(sms(
            "s2",
            "081211110002",
            "Lampu jalan mati total sejak 3 hari di kelurahan Ujung Gurun, rawan maling",
        ))
        .await
        .unwrap();
    let all = app.complaints().await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.duplicate_of.is_none()), "{all:?}");
    assert_ne!(all[0].kelurahan_code, all[1].kelurahan_code);
    assert_ne!(a.complaint_id, b.complaint_id);
    assert_eq!(deliveries(&app).await.len(), 2);
    app.stop().await;
}

/// A report that has ended (rejected, closed) is no first report to join:
/// the next citizen's report of the same problem starts a complaint anew.
async fn an_ended_report_is_not_joined(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let text = "Lampu jalan di Jl. Purus III kelurahan Purus mati total sejak 3 hari, rawan maling";
    let first = app
        .intake
        .accept(sms("s1", "081211110001", text))
        .await
        .unwrap()
        .complaint_id
        .unwrap();
    let joined = app
        .intake
        .accept(sms("s2", "081211110002", text))
        .await
        .unwrap()
        .complaint_id
        .unwrap();
    // Its forwarding settled first, so that nothing moves it on after.
    eventually("the first report forwarded", 15, || async {
        let rows = deliveries(&app).await;
        (!rows.is_empty() && rows.iter().all(|r| r.state == "delivered")).then_some(())
    })
    .await;
    complaint::Entity::update_many()
        .col_expr(complaint::Column::Status, "rejected".into())
        .filter(complaint::Column::Id.eq(first))
        .exec(app.store.db())
        .await
        .unwrap();
    let anew = app
        .intake
        .accept(sms("s3", "081211110003", text))
        .await
        .unwrap();
    assert_eq!(anew.outcome, Outcome::Created);
    let all = app.complaints().await;
    let row = |id| all.iter().find(|c| c.id == id).unwrap();
    assert_eq!(
        row(joined).duplicate_of,
        Some(first),
        "joined while it was live"
    );
    let anew = row(anew.complaint_id.unwrap());
    assert_eq!(anew.duplicate_of, None, "{anew:?}");
    app.stop().await;
}

on_both_backends!(
    text_then_photo_then_sms_next_day,
    three_citizens_one_forwarded_complaint,
    similar_texts_about_different_kelurahan,
    an_ended_report_is_not_joined,
);

async fn operators_unlink_and_link(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.dedup.enabled = true;
    let sla = config.sla.build(&config.city).unwrap();
    let app = TestApp::spawn(config).await;
    let text = "Sampah menumpuk di pinggir pantai Purus tidak diangkut seminggu, bau busuk";
    let a = app
        .intake
        .accept(sms("s1", "081211110001", text))
        .await
        .unwrap();
    let b = app
        .intake
        .accept(sms("s2", "081211110002", text))
        .await
        .unwrap();
    let db = app.store.clone();
    let row = |id: i64| {
        let db = db.clone();
        async move {
            satupintu::store::entity::complaint::Entity::find_by_id(id)
                .one(db.db())
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (first, second) = (a.complaint_id.unwrap(), b.complaint_id.unwrap());
    assert_eq!(row(second).await.duplicate_of, Some(first));
    assert_eq!(deliveries(&app).await.len(), 1);

    // A false match: unlinked, it is routed and delivered on its own.
    relink::unlink(&app.store, &app.routing, &sla, &row(second).await, "rina")
        .await
        .unwrap();
    let unlinked = row(second).await;
    assert_eq!(unlinked.duplicate_of, None);
    assert_eq!(unlinked.status, "received");
    let rows = deliveries(&app).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.complaint_id == Some(second)));
    let ev = events(&app, second, "unlinked").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].actor, "operator:rina");
    assert!(
        relink::unlink(&app.store, &app.routing, &sla, &unlinked, "rina")
            .await
            .is_err()
    );

    // A missed match: linked by the operator.
    relink::link(&app.store, &row(second).await, &row(first).await, "rina")
        .await
        .unwrap();
    let linked = row(second).await;
    assert_eq!(linked.duplicate_of, Some(first));
    assert_eq!(linked.status, "duplicate");
    assert!(events(&app, first, "ikut_melapor")
        .await
        .iter()
        .any(|e| e.actor == "operator:rina"));
    assert!(
        relink::link(&app.store, &row(first).await, &row(first).await, "rina")
            .await
            .is_err()
    );
    app.stop().await;
}

on_both_backends!(operators_unlink_and_link);

//! What intake does with chat messages besides new complaints: `CEK`
//! answers (never leaking another reporter's complaint), help for empty
//! messages, and follow-ups joining the open complaint.

use crate::helpers::*;
use crate::on_both_backends;
use adapters::{Attachment, Location, MediaRef};
use satupintu::intake::Outcome;
use satupintu::store::entity::{attachment, complaint, inbound_message, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];

/// Messages to `recipient`, without the status updates the dispatcher
/// sends on its own schedule (forwarded).
pub async fn messages_to(app: &TestApp, recipient: &str) -> Vec<satupintu::notify::MessagePayload> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .filter(outbox::Column::Recipient.eq(recipient))
        .order_by_asc(outbox::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            serde_json::from_value::<satupintu::notify::MessagePayload>(r.payload.unwrap()).unwrap()
        })
        .filter(|m| m.purpose != "status")
        .collect()
}

async fn cek_answers_only_what_the_sender_may_see(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let siti = "+6281211112222";
    let budi = "+6281233334444";

    let first = app
        .intake
        .accept(sms("m1", siti, "Jalan berlubang di Jl. Sudirman"))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    let code = first.tracking_code.clone().unwrap();
    let ack = &messages_to(&app, siti).await[0];
    assert_eq!(ack.purpose, "ack");
    assert!(ack.text.contains(code.as_str()));

    let mut secret = sms("m2", siti, "Laporan pungli di kantor");
    secret.flags.rahasia = true;
    let secret_code = app
        .intake
        .accept(secret)
        .await
        .unwrap()
        .tracking_code
        .unwrap();

    // The reporter asks: the status, linked to the complaint.
    let answered = app
        .intake
        .accept(sms(
            "m3",
            siti,
            &format!("cek {}", code.as_str().to_lowercase()),
        ))
        .await
        .unwrap();
    assert_eq!(answered.outcome, Outcome::Answered);
    assert_eq!(answered.complaint_id, first.complaint_id);
    let reply = messages_to(&app, siti).await.pop().unwrap();
    assert_eq!(reply.purpose, "cek");
    assert!(
        reply.text.contains("Status pengaduan") && reply.text.contains(code.as_str()),
        "{}",
        reply.text
    );

    // Someone else asks about a confidential complaint: "not found", like a typo.
    let other = app
        .intake
        .accept(sms("m4", budi, &format!("CEK {}", secret_code)))
        .await
        .unwrap();
    assert_eq!(other.outcome, Outcome::Answered);
    assert_eq!(other.complaint_id, None);
    let reply = messages_to(&app, budi).await.pop().unwrap();
    assert!(reply.text.contains("tidak ditemukan"), "{}", reply.text);
    assert!(!reply.text.contains("Status pengaduan"));
    // A public complaint may be looked up by anyone, but is not linked to them.
    let public = app
        .intake
        .accept(sms("m5", budi, &format!("CEK {code}")))
        .await
        .unwrap();
    assert_eq!(public.complaint_id, None);
    assert!(messages_to(&app, budi)
        .await
        .pop()
        .unwrap()
        .text
        .contains("Status pengaduan"));
    // A mistyped code.
    let mut typo: Vec<char> = code.as_str().chars().collect();
    typo.swap(0, 1);
    let typo: String = typo.into_iter().collect();
    if typo != code.as_str() {
        app.intake
            .accept(sms("m6", budi, &format!("CEK {typo}")))
            .await
            .unwrap();
        assert!(messages_to(&app, budi)
            .await
            .pop()
            .unwrap()
            .text
            .contains("tidak ditemukan"));
    }
    assert_eq!(
        app.complaints().await.len(),
        2,
        "no command became a complaint"
    );
    app.stop().await;
}

async fn empty_message_gets_help_not_a_complaint(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let accepted = app
        .intake
        .accept(sms("e1", "081255556666", "   "))
        .await
        .unwrap();
    assert_eq!(accepted.outcome, Outcome::Answered);
    assert!(app.complaints().await.is_empty());
    let help = messages_to(&app, "+6281255556666").await;
    assert_eq!(help.len(), 1);
    assert_eq!(help[0].purpose, "help");
    assert!(help[0].text.contains("CEK"));
    // The same delivery again: the first answer, nothing new.
    let again = app
        .intake
        .accept(sms("e1", "081255556666", "   "))
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Replayed);
    assert_eq!(messages_to(&app, "+6281255556666").await.len(), 1);
    // A recorded message (a reaction) replayed is answered, not refused.
    let reaction = sms("r1", "081255556666", "👍");
    app.intake.record(&reaction).await.unwrap();
    app.intake.record(&reaction).await.unwrap();
    assert_eq!(
        app.intake.accept(reaction).await.unwrap().outcome,
        Outcome::Replayed
    );
    app.stop().await;
}

async fn photo_and_location_join_the_open_complaint(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let from = "+6281277778888";
    let first = app
        .intake
        .accept(sms("p1", from, "Sampah menumpuk di depan pasar"))
        .await
        .unwrap();

    let mut photo = sms("p2", from, "ini fotonya");
    photo.attachments.push(Attachment {
        media: MediaRef::Inline(JPEG.to_vec().into()),
        mime: "image/jpeg".into(),
        size: JPEG.len() as u64,
        filename: None,
        sha256: None,
    });
    let joined = app.intake.accept(photo).await.unwrap();
    assert_eq!(joined.outcome, Outcome::Joined);
    assert_eq!(joined.tracking_code, first.tracking_code);

    let mut pin = sms("p3", from, "");
    pin.location = Some(Location {
        lat: Some(-0.95),
        lon: Some(100.35),
        address: Some("Pasar Raya".into()),
    });
    assert_eq!(
        app.intake.accept(pin).await.unwrap().outcome,
        Outcome::Joined
    );

    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1);
    assert_eq!(complaints[0].lat, Some(-0.95));
    assert_eq!(
        complaints[0].body, "Sampah menumpuk di depan pasar",
        "window additions do not rewrite the text"
    );
    let files = attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].complaint_id, first.complaint_id);
    let linked = inbound_message::Entity::find()
        .filter(inbound_message::Column::ComplaintId.eq(first.complaint_id.unwrap()))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(linked.len(), 3);
    let purposes: Vec<String> = messages_to(&app, from)
        .await
        .into_iter()
        .map(|m| m.purpose)
        .collect();
    assert_eq!(purposes, ["ack", "followup", "followup"]);
    // Only one delivery to the agency.
    let deliveries = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("delivery"))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);

    // After the window a photo is a new complaint; so is a long new text.
    let mut late = sms("p4", "+6281299990000", "Lampu jalan mati");
    late.received_at = chrono::Utc::now() - chrono::Duration::hours(2);
    app.intake.accept(late).await.unwrap();
    let mut late_photo = sms("p5", "+6281299990000", "");
    late_photo.attachments.push(Attachment {
        media: MediaRef::Inline(JPEG.to_vec().into()),
        mime: "image/jpeg".into(),
        size: JPEG.len() as u64,
        filename: None,
        sha256: None,
    });
    assert_eq!(
        app.intake.accept(late_photo).await.unwrap().outcome,
        Outcome::Created
    );
    let new_topic = sms("p6", from, "Selain itu ada pohon tumbang besar di Jalan Veteran dekat sekolah dasar yang menutup separuh jalan");
    assert_eq!(
        app.intake.accept(new_topic).await.unwrap().outcome,
        Outcome::Created
    );
    app.stop().await;
}

async fn reply_to_our_message_or_quoting_the_code_joins(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.dispatch.enabled = false;
    let app = TestApp::spawn(config).await;
    let from = "+6281244445555";
    let first = app
        .intake
        .accept(sms("q1", from, "Air PDAM keruh sejak kemarin"))
        .await
        .unwrap();
    // The provider's id for our acknowledgment, as the dispatcher records it.
    let ack = outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    let mut ack: outbox::ActiveModel = ack.into();
    ack.external_ref = sea_orm::Set(Some("provider-ack-1".into()));
    sea_orm::ActiveModelTrait::update(ack, app.store.db())
        .await
        .unwrap();

    let mut reply = sms(
        "q2",
        from,
        "Sekarang airnya juga berbau dan berwarna coklat pekat, mohon segera diperiksa petugas",
    );
    reply.reply_to = Some("provider-ack-1".into());
    let joined = app.intake.accept(reply).await.unwrap();
    assert_eq!(joined.outcome, Outcome::Joined);
    assert_eq!(joined.complaint_id, first.complaint_id);
    let c = complaint::Entity::find_by_id(first.complaint_id.unwrap())
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert!(
        c.body.contains("berbau"),
        "the reply's text is added: {}",
        c.body
    );

    let quoting = sms(
        "q3",
        from,
        &format!(
            "Untuk laporan {} sudah 3 hari belum ada petugas yang datang ke lokasi kami",
            c.tracking_code
        ),
    );
    assert_eq!(
        app.intake.accept(quoting).await.unwrap().outcome,
        Outcome::Joined
    );
    // Quoting someone else's code does not join their complaint.
    let stranger = sms(
        "q4",
        "+6281200001111",
        &format!(
            "Laporan {} itu juga terjadi di rumah saya di Jalan Sawahan",
            c.tracking_code
        ),
    );
    assert_eq!(
        app.intake.accept(stranger).await.unwrap().outcome,
        Outcome::Created
    );
    app.stop().await;
}

async fn the_web_form_never_runs_commands(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let r = app
        .post_json(serde_json::json!({"text": "CEK ABCDE23456", "phone": "081211112222"}))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.complaints().await.len(), 1);
    app.stop().await;
}

async fn cursors_move_with_the_message(backend: Backend) {
    use satupintu::store::cursors::CursorUpdate;
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let at = |v: &str| CursorUpdate {
        channel: "telegram".into(),
        account: "bot".into(),
        name: "offset".into(),
        value: v.into(),
    };
    assert_eq!(
        app.intake
            .cursor("telegram", "bot", "offset")
            .await
            .unwrap(),
        None
    );
    app.intake
        .accept_with_cursor(
            sms("c1", "081211110000", "Jalan rusak parah"),
            Some(at("101")),
        )
        .await
        .unwrap();
    assert_eq!(
        app.intake
            .cursor("telegram", "bot", "offset")
            .await
            .unwrap()
            .as_deref(),
        Some("101")
    );
    // A message seen before still moves the cursor on.
    app.intake
        .accept_with_cursor(
            sms("c1", "081211110000", "Jalan rusak parah"),
            Some(at("102")),
        )
        .await
        .unwrap();
    assert_eq!(
        app.intake
            .cursor("telegram", "bot", "offset")
            .await
            .unwrap()
            .as_deref(),
        Some("102")
    );
    app.intake
        .record_with_cursor(&sms("c2", "081211110000", "👍"), Some(&at("103")))
        .await
        .unwrap();
    app.intake.advance_cursor(&at("104")).await.unwrap();
    assert_eq!(
        app.intake
            .cursor("telegram", "bot", "offset")
            .await
            .unwrap()
            .as_deref(),
        Some("104")
    );
    assert_eq!(
        app.intake
            .cursor("telegram", "other", "offset")
            .await
            .unwrap(),
        None
    );
    app.stop().await;
}

async fn one_person_on_two_channels_is_one_citizen(backend: Backend) {
    use adapters::{Address, PhoneE164};
    use satupintu::store::entity::{citizen_address, citizen_merge};
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let config = test_config(&db, dir.path(), None);
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let app = TestApp::spawn(config).await;
    // The same person, first seen by SMS and on Telegram separately.
    let by_sms = app
        .intake
        .accept(sms("i1", "081299991111", "Trotoar rusak di Jl. Permindo"))
        .await
        .unwrap();
    let mut tg = sms("i2", "081200000000", "Pasar kotor sekali sejak minggu lalu");
    tg.channel = adapters::Channel::Telegram;
    tg.sender = Some(Address::Telegram(777001));
    let by_tg = app.intake.accept(tg).await.unwrap();
    let citizen_of = |id: i64| {
        let store = app.store.clone();
        async move {
            complaint::Entity::find_by_id(id)
                .one(store.db())
                .await
                .unwrap()
                .unwrap()
                .citizen_id
                .unwrap()
        }
    };
    let (a, b) = (
        citizen_of(by_sms.complaint_id.unwrap()).await,
        citizen_of(by_tg.complaint_id.unwrap()).await,
    );
    assert_ne!(a, b);
    // On Telegram they share their own contact: the phone number.
    let mut shared = sms("i3", "081200000000", "");
    shared.channel = adapters::Channel::Telegram;
    shared.sender = Some(Address::Telegram(777001));
    shared.other_addresses = vec![Address::Phone(PhoneE164::parse("081299991111").unwrap())];
    shared.text = "Ini nomor saya".into();
    app.intake.accept(shared).await.unwrap();
    let merged = citizen_merge::Entity::find()
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (merged.into_citizen_id, merged.from_citizen_id),
        (a.min(b), a.max(b))
    );
    assert_eq!(
        citizen_of(by_sms.complaint_id.unwrap()).await,
        citizen_of(by_tg.complaint_id.unwrap()).await
    );
    let addresses = citizen_address::Entity::find()
        .filter(citizen_address::Column::CitizenId.eq(a.min(b)))
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(addresses.len(), 2);

    // The operator undoes it; a later message with both does not merge again.
    let (ok, out, err) = run_cli(
        &config_path,
        &["citizen", "unmerge", &merged.id.to_string()],
    );
    assert!(ok, "{out}{err}");
    assert_ne!(
        citizen_of(by_sms.complaint_id.unwrap()).await,
        citizen_of(by_tg.complaint_id.unwrap()).await
    );
    let mut again = sms("i4", "081200000000", "Pasar masih kotor");
    again.channel = adapters::Channel::Telegram;
    again.sender = Some(Address::Telegram(777001));
    again.other_addresses = vec![Address::Phone(PhoneE164::parse("081299991111").unwrap())];
    app.intake.accept(again).await.unwrap();
    assert_eq!(
        citizen_merge::Entity::find()
            .all(app.store.db())
            .await
            .unwrap()
            .len(),
        1
    );
    let (ok, _, err) = run_cli(
        &config_path,
        &["citizen", "unmerge", &merged.id.to_string()],
    );
    assert!(!ok && err.contains("no merge"), "{err}");
    app.stop().await;
}

on_both_backends!(
    one_person_on_two_channels_is_one_citizen,
    cursors_move_with_the_message,
    cek_answers_only_what_the_sender_may_see,
    empty_message_gets_help_not_a_complaint,
    photo_and_location_join_the_open_complaint,
    reply_to_our_message_or_quoting_the_code_joins,
    the_web_form_never_runs_commands,
);

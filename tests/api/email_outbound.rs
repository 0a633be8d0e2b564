//! Mail going out through a real SMTP server: a complaint delivered to an
//! agency's address (text, HTML, attachment attached or linked, the
//! idempotency key in a header and in the Message-ID), and a reply to a
//! mailbox that does not exist marking the citizen unreachable.

use crate::email_peers::*;
use crate::helpers::*;
use adapters::email::{parse, Limits, ParseOptions, Parsed};
use adapters::{Attachment, Channel, ExternalId, Flags, InboundMessage, MediaRef, RawPayload};
use satupintu::config::DestinationConfig;
use satupintu::dispatch::email::EmailDestinationConfig;
use satupintu::store::entity::{citizen_address, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];

fn webform_with_photo() -> InboundMessage {
    InboundMessage {
        channel: Channel::Webform,
        channel_account: "web".into(),
        external_id: ExternalId::parse("key:foto-1").unwrap(),
        sender: None,
        other_addresses: vec![],
        display_name: Some("Rina".into()),
        title: Some("Pohon tumbang".into()),
        text: "Pohon tumbang menutup Jl. Khatib Sulaiman.".into(),
        category: None,
        attachments: vec![Attachment {
            media: MediaRef::Inline(axum::body::Bytes::from_static(JPEG)),
            mime: "image/jpeg".into(),
            size: JPEG.len() as u64,
            filename: Some("pohon.jpg".into()),
            sha256: None,
        }],
        location: None,
        reply_to: None,
        flags: Flags::default(),
        received_at: chrono::Utc::now(),
        raw: RawPayload {
            content_type: "application/json".into(),
            body: "{}".into(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_is_mailed_to_the_agency_with_its_photo_attached_or_linked() {
    for (limit, attached) in [(10 * 1024 * 1024, true), (4, false)] {
        let dir = tempdir();
        let db = TestDb::new(Backend::Sqlite, dir.path()).await;
        let dovecot = Dovecot::start().await;
        let sink = SmtpSink::start().await;
        let mut config = test_config(&db, dir.path(), None);
        let mut email = email_config(dir.path(), &dovecot, &sink);
        email.imap = None; // sending only
        config.channels.email = Some(email);
        config.destinations.insert(
            "dinas".into(),
            DestinationConfig::Email(EmailDestinationConfig {
                to: vec!["dinas.pupr@padang.go.id".into()],
                cc: vec!["arsip@padang.go.id".into()],
                subject: "Pengaduan {tracking_code}: {title}".into(),
                max_attachment_bytes: limit,
            }),
        );
        config.dispatch.default_destination = "dinas".into();
        let app = TestApp::spawn(config).await;
        let accepted = app.intake.accept(webform_with_photo()).await.unwrap();
        let code = accepted.tracking_code.unwrap().to_string();

        let mail = sink
            .wait_for(1, "the complaint at the agency's mailbox")
            .await
            .remove(0);
        let mut to = mail.to();
        to.sort();
        assert_eq!(to, vec!["arsip@padang.go.id", "dinas.pupr@padang.go.id"]);
        assert_eq!(
            mail.header("Subject").unwrap(),
            format!("Pengaduan {code}: Pohon tumbang")
        );
        assert_eq!(
            mail.header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let row = eventually("the delivery to be recorded", 15, || async {
            outbox::Entity::find()
                .filter(outbox::Column::Destination.eq("dinas"))
                .filter(outbox::Column::State.eq("delivered"))
                .one(app.store.db())
                .await
                .unwrap()
        })
        .await;
        assert_eq!(
            mail.header("X-Satupintu-Idempotency-Key").as_deref(),
            Some(row.idempotency_key.as_str())
        );
        let message_id = format!("complaint.{}@padang.go.id", row.idempotency_key);
        assert_eq!(mail.header("Message-ID"), Some(format!("<{message_id}>")));
        assert_eq!(row.external_ref.as_deref(), Some(message_id.as_str()));
        assert!(mail.raw.contains("text/plain") && mail.raw.contains("text/html"));
        assert!(mail.raw.contains(&code));
        assert_eq!(
            mail.raw.contains("filename=\"pohon.jpg\""),
            attached,
            "photo attached only under the limit:\n{}",
            mail.raw
        );
        assert_eq!(mail.raw.contains("Lampiran tidak dilampirkan"), !attached);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_mailbox_that_does_not_exist_marks_the_citizen_unreachable() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    let mut email = email_config(dir.path(), &dovecot, &sink);
    email.imap = None;
    config.channels.email = Some(email);
    let app = TestApp::spawn(config).await;
    let raw = b"From: Warga <tidakada.warga@example.com>\r\nTo: pengaduan@padang.go.id\r\n\
                Subject: Jalan rusak\r\nMessage-ID: <gone-1@example.com>\r\n\
                Date: Sat, 22 Nov 2026 09:15:00 +0700\r\n\r\nJalan rusak di Jl. Veteran.\r\n";
    let own = vec![CITY_ADDRESS.to_string()];
    let limits = Limits::default();
    let Parsed::Message(msg) = parse(
        raw,
        &ParseOptions {
            account: CITY_ADDRESS,
            own_addresses: &own,
            limits: &limits,
            received_at: chrono::Utc::now(),
        },
    )
    .unwrap() else {
        panic!("a complaint");
    };
    app.intake.accept(msg).await.unwrap();
    let address = eventually("the address to be marked unreachable", 20, || async {
        citizen_address::Entity::find()
            .filter(citizen_address::Column::Address.eq("tidakada.warga@example.com"))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|a| a.unreachable_at.is_some())
    })
    .await;
    assert_eq!(address.kind, "email");
    assert_eq!(address.unreachable_on.as_deref(), Some("email"));
    let ack = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("tidakada.warga@example.com"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ack.state, "dead", "a 550 is not retried");
    assert!(sink.received().is_empty());
    app.stop().await;
}

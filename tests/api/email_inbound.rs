//! The e-mail channel against a real Dovecot and a real SMTP server: the
//! fixture mails become complaints with their text and attachments, get a
//! threaded acknowledgment, automatic mail produces nothing, a reply joins
//! its complaint, unreadable mail is quarantined, and IDLE and polling
//! both see new mail.

use crate::email_peers::*;
use crate::helpers::*;
use crate::on_both_backends;
use satupintu::store::entity::{attachment, complaint, inbound_message, outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

async fn inbound_count(app: &TestApp) -> u64 {
    inbound_message::Entity::find()
        .count(app.store.db())
        .await
        .unwrap()
}

async fn wait_inbound(app: &TestApp, n: u64, what: &str) {
    eventually(what, 30, || async move {
        (inbound_count(app).await >= n).then_some(())
    })
    .await;
}

async fn complaint_by_title(app: &TestApp, title: &str) -> complaint::Model {
    complaint::Entity::find()
        .filter(complaint::Column::Title.eq(title))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no complaint titled {title:?}"))
}

async fn fixtures_become_complaints_with_threaded_acknowledgments(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let all = [
        "01-plain-utf8-qp.eml",
        "02-alternative-html-encoded-subject.eml",
        "03-latin1.eml",
        "04-windows-1252.eml",
        "05-mixed-attachments.eml",
        "06-reply-to-ack.eml",
        "07-out-of-office.eml",
        "08-bounce-dsn.eml",
        "09-html-only.eml",
        "10-empty-no-message-id.eml",
    ];
    for name in all {
        dovecot.deliver(&fixture(name));
    }
    dovecot.deliver(&fixture("extra-not-a-message.eml"));
    let mut config = test_config(&db, dir.path(), None);
    config.channels.email = Some(email_config(dir.path(), &dovecot, &sink));
    let app = TestApp::spawn(config).await;

    // Ten mails stored, plus the record of the quarantined one.
    wait_inbound(&app, 11, "every mail in the INBOX to be taken in").await;
    eventually(
        "the unreadable mail to reach the quarantine folder",
        30,
        || {
            let n = dovecot.search("Karantina", "ALL");
            async move { (n == 1).then_some(()) }
        },
    )
    .await;
    assert_eq!(
        dovecot.search("INBOX", "UNSEEN"),
        0,
        "every mail is marked read"
    );
    assert_eq!(dovecot.search("INBOX", "ALL"), 10);

    // Seven complaints; the empty one was answered with help; the
    // out-of-office reply and the bounce became nothing.
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 7, "{complaints:#?}");
    let budi = complaint_by_title(&app, "Pengaduan: jalan rusak di Kelurahan Pasie Nan Tigo").await;
    assert!(
        budi.body.contains("rusak parah sepanjang \u{b1}200 meter"),
        "{}",
        budi.body
    );
    assert_eq!(budi.channel, "email");
    assert_eq!(budi.channel_account, CITY_ADDRESS);
    let rsud = complaint_by_title(
        &app,
        "Keluhan pelayanan RSUD \u{2013} antrean BPJS sangat lama",
    )
    .await;
    assert!(
        rsud.body.starts_with("Antrean pasien BPJS"),
        "{}",
        rsud.body
    );
    let latin1 = complaint_by_title(&app, "Sampah liar").await;
    assert!(
        latin1.body.contains("Caf\u{e9} milik warga"),
        "{}",
        latin1.body
    );
    let cp1252 = complaint_by_title(&app, "Air PDAM mati").await;
    assert!(
        cp1252.body.contains("\u{201c}air PDAM\u{201d}"),
        "{}",
        cp1252.body
    );
    let html = complaint_by_title(&app, "Lampu merah mati \u{2013} Simpang Kandang").await;
    assert_eq!(html.body, "Lampu merah di Simpang Kandang mati total.");
    assert!(!html.body.contains("alert"));
    let photo = complaint_by_title(&app, "Foto genangan air di Jl. Adinegoro").await;
    let files = attachment::Entity::find()
        .filter(attachment::Column::ComplaintId.eq(photo.id))
        .order_by_asc(attachment::Column::Id)
        .all(app.store.db())
        .await
        .unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|f| (f.filename.clone().unwrap(), f.mime.clone(), f.size))
        .collect();
    assert_eq!(
        names,
        vec![
            ("genangan.png".to_string(), "image/png".to_string(), 73),
            (
                "surat_rt.pdf".to_string(),
                "application/pdf".to_string(),
                45
            )
        ]
    );
    for f in &files {
        let bytes = std::fs::read(dir.path().join("attachments").join(&f.storage_path)).unwrap();
        use sha2::Digest;
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            f.sha256,
            "stored by sha256"
        );
    }
    let reply = complaint_by_title(&app, "Re: [K7Q2M9XD] Laporan Anda telah kami terima").await;
    assert_eq!(
        reply.body, "Sampai hari ini belum ada perbaikan.",
        "quoted text trimmed"
    );

    // Nothing is ever sent to an auto-responder or a mailer daemon.
    let to_machines = outbox::Entity::find()
        .filter(
            outbox::Column::Recipient
                .is_in(["kadis.pupr@padang.go.id", "MAILER-DAEMON@mx.padang.go.id"]),
        )
        .count(app.store.db())
        .await
        .unwrap();
    assert_eq!(to_machines, 0);

    // Seven acknowledgments and one help text reach the SMTP server.
    let mails = sink
        .wait_for(8, "the acknowledgments at the SMTP sink")
        .await;
    assert_eq!(mails.len(), 8);
    for m in &mails {
        assert_eq!(m.envelope["authenticated"], true, "SMTP login used");
        assert_eq!(m.envelope["from"], CITY_ADDRESS);
        assert_eq!(m.header("Auto-Submitted").as_deref(), Some("auto-replied"));
        for machine in ["kadis.pupr@padang.go.id", "MAILER-DAEMON@mx.padang.go.id"] {
            assert!(!m.to().iter().any(|t| t.eq_ignore_ascii_case(machine)));
        }
    }
    let ack = mails
        .iter()
        .find(|m| m.header("In-Reply-To").as_deref() == Some("<CAF3x9k1@mail.gmail.com>"))
        .expect("an acknowledgment threaded under Budi's mail");
    assert_eq!(ack.to(), vec!["budi.santoso@gmail.com".to_string()]);
    assert_eq!(
        ack.header("Subject").unwrap(),
        format!(
            "Re: Pengaduan: jalan rusak di Kelurahan Pasie Nan Tigo [{}]",
            budi.tracking_code
        )
    );
    assert_eq!(
        ack.header("References").as_deref(),
        Some("<CAF3x9k1@mail.gmail.com>")
    );
    assert!(
        ack.raw.contains(&budi.tracking_code),
        "the code is in the body"
    );
    assert!(
        ack.raw.contains("Pengaduan Anda sudah diterima"),
        "Indonesian text"
    );
    let message_id = ack.header("Message-ID").unwrap();
    assert!(message_id.ends_with("@padang.go.id>"), "{message_id}");
    // The dispatcher kept our Message-ID, so a reply to it is recognised.
    let row = outbox::Entity::find()
        .filter(outbox::Column::ExternalRef.eq(message_id.trim_matches(['<', '>'])))
        .one(app.store.db())
        .await
        .unwrap()
        .expect("the outbox row holds the Message-ID it was sent with");
    assert_eq!(row.complaint_id, Some(budi.id));
    // The reply to a reply threads under the whole conversation.
    let threaded = mails
        .iter()
        .find(|m| m.header("In-Reply-To").as_deref() == Some("<CAF3reply2@mail.gmail.com>"))
        .expect("an acknowledgment for the reply mail");
    assert_eq!(
        threaded.header("References").as_deref(),
        Some("<CAF3x9k1@mail.gmail.com> <ack.K7Q2M9XD@padang.go.id> <CAF3reply2@mail.gmail.com>")
    );
    let help = mails
        .iter()
        .find(|m| m.to() == vec!["kosong@example.com".to_string()])
        .expect("the empty mail is answered with help");
    assert!(help.raw.contains("CEK"), "{}", help.raw);
    app.stop().await;
}

async fn a_reply_to_our_acknowledgment_joins_the_complaint(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    config.channels.email = Some(email_config(dir.path(), &dovecot, &sink));
    let app = TestApp::spawn(config).await;

    dovecot.deliver(&fixture("01-plain-utf8-qp.eml"));
    let ack = sink.wait_for(1, "the acknowledgment").await.remove(0);
    let ours = ack.header("Message-ID").unwrap();
    let subject = ack.header("Subject").unwrap();
    let reply = format!(
        "From: Budi Santoso <budi.santoso@gmail.com>\r\nTo: {CITY_ADDRESS}\r\n\
         Subject: Re: {subject}\r\nDate: Tue, 24 Nov 2026 08:00:00 +0700\r\n\
         Message-ID: <CAF3balasan@mail.gmail.com>\r\nIn-Reply-To: {ours}\r\n\
         References: <CAF3x9k1@mail.gmail.com> {ours}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         Sudah seminggu belum diperbaiki.\r\n\r\n\
         On Sun, 22 Nov 2026 at 09:20, Pengaduan Kota Padang <{CITY_ADDRESS}> wrote:\r\n\
         > Pengaduan Anda sudah diterima Kota Padang.\r\n"
    );
    dovecot.deliver(reply.as_bytes());
    wait_inbound(&app, 2, "the reply to be taken in").await;
    let complaints = app.complaints().await;
    assert_eq!(
        complaints.len(),
        1,
        "the reply joined, it opened nothing new"
    );
    let body = &complaints[0].body;
    assert!(body.contains("Sudah seminggu belum diperbaiki."), "{body}");
    assert!(
        !body.contains("> Pengaduan Anda"),
        "quoted text trimmed: {body}"
    );
    let joined = inbound_message::Entity::find()
        .filter(inbound_message::Column::ExternalId.eq("CAF3balasan@mail.gmail.com"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(joined.complaint_id, Some(complaints[0].id));
    // The thank-you for the addition threads under the reply.
    let mails = sink.wait_for(2, "the follow-up confirmation").await;
    assert_eq!(
        mails[1].header("In-Reply-To").as_deref(),
        Some("<CAF3balasan@mail.gmail.com>")
    );
    app.stop().await;
}

async fn automatic_mail_produces_nothing() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    config.channels.email = Some(email_config(dir.path(), &dovecot, &sink));
    let app = TestApp::spawn(config).await;
    for name in [
        "07-out-of-office.eml",
        "08-bounce-dsn.eml",
        "extra-precedence-bulk.eml",
    ] {
        dovecot.deliver(&fixture(name));
    }
    // Our own acknowledgment coming back (a forwarding loop) is ignored too.
    dovecot.deliver(
        format!(
            "From: {CITY_ADDRESS}\r\nTo: {CITY_ADDRESS}\r\nSubject: Re: x\r\n\
             Message-ID: <loop@padang.go.id>\r\nDate: Sat, 22 Nov 2026 09:15:00 +0700\r\n\r\nhalo\r\n"
        )
        .as_bytes(),
    );
    wait_inbound(&app, 4, "the automatic mails to be recorded").await;
    let (_, complaints, outbox_rows) = app.count_stored().await;
    assert_eq!(
        (complaints, outbox_rows),
        (0, 0),
        "no complaint, nothing to send"
    );
    assert_eq!(dovecot.search("INBOX", "UNSEEN"), 0, "they are marked read");
    assert!(sink.received().is_empty());
    app.stop().await;
}

async fn idle_sees_new_mail_and_polling_does_too() {
    for idle in [true, false] {
        let dir = tempdir();
        let db = TestDb::new(Backend::Sqlite, dir.path()).await;
        let dovecot = Dovecot::start().await;
        let sink = SmtpSink::start().await;
        let mut config = test_config(&db, dir.path(), None);
        let mut email = email_config(dir.path(), &dovecot, &sink);
        let imap = email.imap.as_mut().unwrap();
        imap.idle = idle;
        // With IDLE on, polling is too slow to explain a quick pick-up.
        imap.poll_interval_secs = if idle { 600 } else { 1 };
        config.channels.email = Some(email);
        let app = TestApp::spawn(config).await;
        dovecot.deliver(&fixture("03-latin1.eml"));
        wait_inbound(&app, 1, "the first mail").await;
        // Delivered while the worker is connected and waiting.
        dovecot.deliver(&fixture("09-html-only.eml"));
        eventually(&format!("the second mail (idle = {idle})"), 10, || async {
            (inbound_count(&app).await >= 2).then_some(())
        })
        .await;
        assert_eq!(app.complaints().await.len(), 2);
        app.stop().await;
    }
}

on_both_backends!(
    fixtures_become_complaints_with_threaded_acknowledgments,
    a_reply_to_our_acknowledgment_joins_the_complaint,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_mail_is_recorded_and_never_answered() {
    automatic_mail_produces_nothing().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_mail_is_seen_with_idle_and_with_polling() {
    idle_sees_new_mail_and_polling_does_too().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_is_renewed_without_reconnecting() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    let mut email = email_config(dir.path(), &dovecot, &sink);
    email.imap.as_mut().unwrap().idle_renew_secs = 1;
    config.channels.email = Some(email);
    let app = TestApp::spawn(config).await;
    dovecot.deliver(&fixture("03-latin1.eml"));
    wait_inbound(&app, 1, "the first mail").await;
    // Several renewals pass while nothing arrives.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    dovecot.deliver(&fixture("09-html-only.eml"));
    wait_inbound(&app, 2, "the mail after the renewals").await;
    let metrics = app.metrics().await;
    assert!(
        !metrics.contains("event=\"reconnect\""),
        "IDLE renewal must not drop the connection:\n{metrics}"
    );
    app.stop().await;
}

//! TLS to real servers (a test CA configured as `ca_file`): IMAP over
//! implicit TLS and STARTTLS, SMTP over both, a certificate nobody vouches
//! for refused; the whole channel over TLS moving processed mail to a
//! folder; and an SMTP outage that only delays an acknowledgment.

use crate::email_peers::*;
use crate::helpers::*;
use adapters::email::{ImapSettings, Mailbox, OutgoingMail, Security, SmtpSender, SmtpSettings};
use adapters::EmailAddress;
use satupintu::store::entity::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

fn imap(port: u16, security: Security, ca: Option<&TlsFiles>) -> ImapSettings {
    ImapSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        user: IMAP_USER.into(),
        password: IMAP_PASSWORD.into(),
        folder: "INBOX".into(),
        ca_file: ca.map(|f| f.ca.clone()),
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_and_smtp_speak_tls_and_trust_only_the_configured_ca() {
    let dir = tempdir();
    let files = TlsFiles::generate(dir.path());
    let dovecot = Dovecot::start_tls(&files).await;
    let imaps = dovecot.imaps_port.unwrap();

    for (security, port) in [(Security::Tls, imaps), (Security::Starttls, dovecot.port)] {
        let mailbox = Mailbox::open(&imap(port, security, Some(&files)))
            .await
            .unwrap_or_else(|e| panic!("{security:?}: {e}\n{}", dovecot.log()));
        assert!(mailbox.uid_validity() > 0);
        mailbox.logout().await;
        // The platform's roots do not know the test CA.
        let refused = Mailbox::open(&imap(port, security, None))
            .await
            .err()
            .unwrap_or_else(|| panic!("{security:?}: an unknown CA must be refused"));
        assert!(refused.to_string().contains("certificate"), "{refused}");
    }

    let sink = SmtpSink::start_tls(&files, "tls").await;
    let sender = SmtpSender::new(
        &SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: Security::Tls,
            user: Some(SMTP_USER.into()),
            password: Some(SMTP_PASSWORD.into()),
            ca_file: Some(files.ca.clone()),
            timeout: Duration::from_secs(10),
            from_address: EmailAddress::parse(CITY_ADDRESS).unwrap(),
            from_name: None,
        },
        None,
    )
    .unwrap();
    sender
        .send_mail(&OutgoingMail {
            to: vec!["budi@example.com".into()],
            subject: "Uji".into(),
            text: "Uji TLS".into(),
            message_id: "tls-1@padang.go.id".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let got = sink.wait_for(1, "the mail sent over implicit TLS").await;
    assert_eq!(got[0].envelope["authenticated"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_over_tls_moves_processed_mail_to_its_folder() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let files = TlsFiles::generate(dir.path());
    let dovecot = Dovecot::start_tls(&files).await;
    let sink = SmtpSink::start_tls(&files, "starttls").await;
    let mut config = test_config(&db, dir.path(), None);
    let mut email = email_config(dir.path(), &dovecot, &sink);
    let imap = email.imap.as_mut().unwrap();
    imap.security = Security::Tls;
    imap.port = dovecot.imaps_port;
    imap.ca_file = Some(files.ca.clone());
    imap.processed_folder = Some("Diproses".into());
    email.smtp.security = Security::Starttls;
    email.smtp.ca_file = Some(files.ca.clone());
    config.channels.email = Some(email);
    let app = TestApp::spawn(config).await;

    dovecot.deliver(&fixture("01-plain-utf8-qp.eml"));
    let ack = sink.wait_for(1, "the acknowledgment over STARTTLS").await;
    assert_eq!(ack[0].envelope["authenticated"], true);
    assert_eq!(app.complaints().await.len(), 1);
    eventually("the mail to be moved to the processed folder", 20, || {
        let moved = (
            dovecot.search("Diproses", "ALL"),
            dovecot.search("INBOX", "ALL"),
        );
        async move { (moved == (1, 0)).then_some(()) }
    })
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_only_delays_the_acknowledgment() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let dovecot = Dovecot::start().await;
    let mut sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    config.channels.email = Some(email_config(dir.path(), &dovecot, &sink));
    config.dispatch.max_attempts = 1000;
    let app = TestApp::spawn(config).await;
    sink.stop();

    dovecot.deliver(&fixture("03-latin1.eml"));
    let failing = eventually(
        "a failed attempt to send the acknowledgment",
        20,
        || async {
            outbox::Entity::find()
                .filter(outbox::Column::Recipient.eq("warga@example.co.id"))
                .one(app.store.db())
                .await
                .unwrap()
                .filter(|row| row.last_error.is_some())
        },
    )
    .await;
    assert_ne!(failing.state, "dead", "a connection failure is retried");

    sink.resume().await;
    let mails = sink
        .wait_for(1, "the acknowledgment once SMTP is back")
        .await;
    assert_eq!(mails[0].to(), vec!["warga@example.co.id".to_string()]);
    eventually("the row to be delivered", 20, || async {
        outbox::Entity::find_by_id(failing.id)
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|row| row.state == "delivered")
    })
    .await;
    assert_eq!(sink.received().len(), 1, "sent once");
    app.stop().await;
}

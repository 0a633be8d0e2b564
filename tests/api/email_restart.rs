//! The real binary reading a real Dovecot that is stopped and started
//! again, renumbered (a new UIDVALIDITY) while down, with mail delivered
//! meanwhile: the worker reconnects, loses nothing and repeats nothing,
//! and neither password ever reaches the log.

use crate::email_peers::*;
use crate::helpers::*;
use satupintu::store::entity::{complaint, inbound_message};
use satupintu::store::Store;
use sea_orm::{EntityTrait, PaginatorTrait};

async fn counts(store: &Store) -> (u64, u64) {
    (
        inbound_message::Entity::find()
            .count(store.db())
            .await
            .unwrap(),
        complaint::Entity::find().count(store.db()).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailbox_restarted_and_renumbered_loses_nothing_and_repeats_nothing() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let mut dovecot = Dovecot::start().await;
    let sink = SmtpSink::start().await;
    let mut config = test_config(&db, dir.path(), None);
    config.channels.email = Some(email_config(dir.path(), &dovecot, &sink));
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let gateway = Gateway::start(&config_path, free_port(), &log).await;
    let store = Store::connect(&db.url, 2).await.unwrap();

    dovecot.deliver(&fixture("01-plain-utf8-qp.eml"));
    eventually("the first mail to become a complaint", 30, || async {
        (counts(&store).await == (1, 1)).then_some(())
    })
    .await;
    sink.wait_for(1, "the first acknowledgment").await;

    dovecot.stop().await;
    // While the server is down: the folder is renumbered, someone marks
    // the first mail unread again, and two new mails arrive.
    dovecot.renumber_inbox();
    dovecot.mark_unread_while_stopped();
    dovecot.deliver_while_stopped(&fixture("03-latin1.eml"));
    dovecot.deliver_while_stopped(&fixture("09-html-only.eml"));
    dovecot.resume().await;

    eventually("the mails delivered during the outage", 60, || async {
        (counts(&store).await == (3, 3)).then_some(())
    })
    .await;
    // The first mail was read again and recognised by its Message-ID.
    eventually("the INBOX to be read to the end", 30, || {
        let unseen = dovecot.search("INBOX", "UNSEEN");
        async move { (unseen == 0).then_some(()) }
    })
    .await;
    assert_eq!(counts(&store).await, (3, 3), "nothing repeated");
    let mails = sink
        .wait_for(3, "an acknowledgment for each new mail")
        .await;
    assert_eq!(
        mails.len(),
        3,
        "the first citizen is not acknowledged twice"
    );

    assert!(gateway.terminate().success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("reconnecting"), "{text}");
    assert!(text.contains("UIDVALIDITY changed"), "{text}");
    for secret in [IMAP_PASSWORD, SMTP_PASSWORD] {
        assert!(!text.contains(secret), "a password is in the log");
    }
}

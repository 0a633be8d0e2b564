//! IDLE against a real Dovecot: mail the server reported before IDLE
//! began (in the answer to another command) wakes the next IDLE at once.
//! The server never repeats such a report, so a worker that waited for the
//! IDLE stream alone left the mail until the next renewal.

use crate::email_peers::*;
use adapters::email::{ImapSettings, Mailbox, Security};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_reported_before_idle_wakes_it() {
    let dovecot = Dovecot::start().await;
    let settings = ImapSettings {
        host: "127.0.0.1".into(),
        port: dovecot.port,
        security: Security::Plain,
        user: IMAP_USER.into(),
        password: IMAP_PASSWORD.into(),
        folder: "INBOX".into(),
        ca_file: None,
        timeout: Duration::from_secs(10),
    };
    let mailbox = Mailbox::open(&settings)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", dovecot.log()));
    assert!(mailbox.supports_idle());
    // Nothing new: IDLE runs until it is renewed.
    let (mut mailbox, changed) = mailbox.wait(Duration::from_millis(300)).await.unwrap();
    assert!(!changed);

    // The mail arrives while another command runs; its answer carries the
    // report ("* 1 EXISTS").
    dovecot.deliver(&fixture("01-plain-utf8-qp.eml"));
    mailbox.noop().await.unwrap();
    let (mut mailbox, changed) = mailbox.wait(Duration::from_secs(5)).await.unwrap();
    assert!(changed, "the reported mail must end the IDLE");
    assert_eq!(mailbox.pending_uids(None, true).await.unwrap().len(), 1);

    // Reported once: the IDLE after it waits again.
    let (mailbox, changed) = mailbox.wait(Duration::from_millis(300)).await.unwrap();
    assert!(!changed);
    mailbox.logout().await;
}

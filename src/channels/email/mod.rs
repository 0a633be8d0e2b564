//! The e-mail channel's wiring: its configuration, the SMTP reply sender
//! (threading replies under the citizen's stored message) and the IMAP
//! worker that hands every mail to intake. The protocol is in `adapters`.

mod config;
mod threads;
mod worker;

pub use config::{EmailConfig, ImapConfig, SmtpConfig};

use super::{ChannelContext, ChannelParts, Worker};
use crate::config::Secrets;
use crate::store::Store;
use adapters::email::{ImapSettings, SmtpSender, SmtpSettings};
use adapters::EmailAddress;
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;

/// The SMTP sender for `config`; `store` lets replies thread under the
/// message they answer.
pub fn smtp_sender(
    config: &EmailConfig,
    store: Option<Store>,
    secrets: &Secrets,
) -> Result<SmtpSender, String> {
    let s = &config.smtp;
    let key = "channels.email.smtp";
    let password = match &s.password {
        Some(_) => Some(secrets.value(&format!("{key}.password"))?),
        None => None,
    };
    let settings = SmtpSettings {
        host: s.host.clone(),
        port: s.port(),
        security: s.security,
        user: s.user.clone(),
        password,
        ca_file: s.ca_file.clone(),
        timeout: Duration::from_secs(s.timeout_secs),
        from_address: EmailAddress::parse(&s.from_address)
            .map_err(|e| format!("{key}.from_address: {e}"))?,
        from_name: s.from_name.clone(),
    };
    let lookup = store.map(|store| {
        Arc::new(threads::StoredThreads::new(store)) as Arc<dyn adapters::email::ThreadLookup>
    });
    SmtpSender::new(&settings, lookup).map_err(|e| format!("{key}: {e}"))
}

pub fn build(config: &EmailConfig, ctx: &ChannelContext) -> Result<ChannelParts, String> {
    let sender = smtp_sender(config, Some(ctx.store.clone()), &ctx.secrets)?;
    let mut parts = ChannelParts {
        senders: vec![Arc::new(sender)],
        ..Default::default()
    };
    if let Some(imap) = &config.imap {
        let password = ctx.secrets.value("channels.email.imap.password")?;
        let settings = ImapSettings {
            host: imap.host.clone(),
            port: imap.port(),
            security: imap.security,
            user: imap.user.clone(),
            password,
            folder: imap.folder.clone(),
            ca_file: imap.ca_file.clone(),
            timeout: Duration::from_secs(imap.timeout_secs),
        };
        let mut own: Vec<String> = config.own_addresses.clone();
        own.push(config.smtp.from_address.trim().to_string());
        let worker = worker::MailboxWorker::new(
            settings,
            imap.clone(),
            config.account(),
            own,
            config.limits.clone(),
            ctx.intake.clone(),
            ctx.metrics.clone(),
        );
        let run: Worker = Box::new(move |shutdown| worker.run(shutdown).boxed());
        parts.workers.push(run);
    }
    Ok(parts)
}

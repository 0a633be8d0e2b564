//! Sending mail over SMTP submission (STARTTLS or implicit TLS, login from
//! the gateway's secrets) and the channel's [`ReplySender`]. It sends once
//! per call and classifies failures; retrying is the outbox's job.

use super::compose::{reply_message_id, reply_subject, OutgoingMail};
use super::parse::Thread;
use super::tls::{self, Security};
use crate::{
    Channel, EmailAddress, OutboundReply, ReplyError, ReplyErrorKind, ReplySender, SentReply,
};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where and how to send. `password` never appears in `Debug`.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
    /// The address citizens see and answer to (the channel account).
    pub from_address: EmailAddress,
    pub from_name: Option<String>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from_address", &self.from_address)
            .finish()
    }
}

/// Finds the message a reply answers (its subject and references), so
/// the reply threads under it. The gateway implements it over its store.
#[async_trait::async_trait]
pub trait ThreadLookup: Send + Sync {
    async fn thread(&self, account: &str, message_id: &str) -> Option<Thread>;
}

/// A failed send, classified the way the outbox needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SmtpError {
    pub kind: ReplyErrorKind,
    pub message: String,
}

impl From<lettre::transport::smtp::Error> for SmtpError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        let code = e.status().map(|c| c.to_string());
        // 550/551/553: the mailbox does not exist or takes no mail.
        let kind = match code.as_deref() {
            Some("550" | "551" | "553") => ReplyErrorKind::Unreachable,
            _ if e.is_permanent() => ReplyErrorKind::Permanent,
            _ => ReplyErrorKind::Retryable,
        };
        SmtpError {
            kind,
            message: format!("SMTP: {e}"),
        }
    }
}

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    from_address: EmailAddress,
    domain: String,
    lookup: Option<Arc<dyn ThreadLookup>>,
}

impl SmtpSender {
    /// A sender for `s`; the TLS settings are checked here, the server is
    /// first contacted on the first send.
    pub fn new(s: &SmtpSettings, lookup: Option<Arc<dyn ThreadLookup>>) -> Result<Self, String> {
        tls::check_security("smtp.security", &s.host, s.security)?;
        let params = || -> Result<TlsParameters, String> {
            let mut b = TlsParameters::builder(s.host.clone());
            if let Some(path) = &s.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("cannot read CA file `{}`: {e}", path.display()))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| format!("CA file `{}`: {e}", path.display()))?;
                b = b
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| format!("SMTP TLS: {e}"))
        };
        let tls = match s.security {
            Security::Tls => Tls::Wrapper(params()?),
            Security::Starttls => Tls::Required(params()?),
            Security::Plain => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(s.timeout));
        if let (Some(user), Some(password)) = (&s.user, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let address = s
            .from_address
            .as_str()
            .parse()
            .map_err(|e| format!("smtp.from_address: {e}"))?;
        let domain = s
            .from_address
            .as_str()
            .rsplit_once('@')
            .map(|(_, d)| d.to_string())
            .unwrap_or_default();
        Ok(SmtpSender {
            transport: builder.build(),
            from: Mailbox::new(s.from_name.clone(), address),
            from_address: s.from_address.clone(),
            domain,
            lookup,
        })
    }

    /// The domain our Message-IDs are made in.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn from_address(&self) -> &EmailAddress {
        &self.from_address
    }

    /// Sends one mail.
    pub async fn send_mail(&self, mail: &OutgoingMail) -> Result<(), SmtpError> {
        let message = mail.build(&self.from).map_err(|e| SmtpError {
            kind: ReplyErrorKind::Permanent,
            message: format!("cannot build the message: {e}"),
        })?;
        self.transport.send(message).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ReplySender for SmtpSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let recipient = EmailAddress::parse(&reply.recipient)
            .map_err(|e| ReplyError::new(ReplyErrorKind::Unreachable, e.to_string()))?;
        let thread = match (&self.lookup, &reply.reply_to) {
            (Some(lookup), Some(id)) => lookup.thread(&reply.channel_account, id).await,
            _ => None,
        }
        .unwrap_or_default();
        let mut references = thread.references.clone();
        if let Some(id) = &reply.reply_to {
            if !references.contains(id) {
                references.push(id.clone());
            }
        }
        let message_id = reply_message_id(&reply.idempotency_key, &self.domain);
        let mail = OutgoingMail {
            to: vec![recipient.to_string()],
            subject: reply_subject(thread.subject.as_deref(), reply.subject.as_deref()),
            text: reply.text.clone(),
            message_id: message_id.clone(),
            in_reply_to: reply.reply_to.clone(),
            references,
            auto_submitted: Some("auto-replied"),
            ..Default::default()
        };
        self.send_mail(&mail)
            .await
            .map_err(|e| ReplyError::new(e.kind, e.message))?;
        Ok(SentReply {
            provider_message_id: Some(message_id),
            http_status: None,
        })
    }
}

//! An IMAP mailbox as the channel needs it: log in, select the folder,
//! list unread UIDs, fetch a message without marking it read, mark or move
//! it once the gateway has committed it, and IDLE until something changes.
//! It returns bytes; what they mean and where they are stored is not its business.

use super::tls::{self, MailStream, Security};
use async_imap::types::UnsolicitedResponse;
use async_imap::{Client, Session};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to read mail. `password` never appears in `Debug`.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: String,
    /// The folder complaints arrive in, usually `INBOX`.
    pub folder: String,
    /// PEM file of the CA that signed the server's certificate, when it is
    /// not one the platform trusts.
    pub ca_file: Option<PathBuf>,
    /// Longest wait for any one server answer.
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("folder", &self.folder)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("login refused: {0}")]
    Login(String),
    #[error("server answered: {0}")]
    Protocol(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Config(String),
}

impl From<async_imap::error::Error> for ImapError {
    fn from(e: async_imap::error::Error) -> Self {
        ImapError::Protocol(e.to_string())
    }
}

/// One message as the server holds it.
#[derive(Debug, Clone)]
pub struct FetchedMail {
    pub uid: u32,
    pub raw: Vec<u8>,
    /// When the server received it.
    pub internal_date: Option<DateTime<Utc>>,
}

/// A logged-in session with the configured folder selected.
pub struct Mailbox {
    session: Session<MailStream>,
    uid_validity: u32,
    idle: bool,
    can_move: bool,
    timeout: Duration,
}

async fn within<T, F>(limit: Duration, fut: F) -> Result<T, ImapError>
where
    F: std::future::Future<Output = Result<T, ImapError>>,
{
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| ImapError::Timeout(limit))?
}

/// Reads the server greeting so the first command gets its own answer.
async fn greeted<T>(mut client: Client<T>) -> Result<Client<T>, ImapError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + fmt::Debug + Send,
{
    match client.read_response().await {
        Ok(Some(_)) => Ok(client),
        Ok(None) => Err(ImapError::Connect(
            "connection closed before the greeting".into(),
        )),
        Err(e) => Err(ImapError::Connect(e.to_string())),
    }
}

impl Mailbox {
    /// Connects, secures the connection as configured, logs in and selects
    /// the folder.
    pub async fn open(s: &ImapSettings) -> Result<Mailbox, ImapError> {
        tls::check_security("imap.security", &s.host, s.security).map_err(ImapError::Config)?;
        within(s.timeout, Self::open_inner(s)).await
    }

    async fn open_inner(s: &ImapSettings) -> Result<Mailbox, ImapError> {
        let at = format!("{}:{}", s.host, s.port);
        let tcp = MailStream::connect(&s.host, s.port)
            .await
            .map_err(|e| ImapError::Connect(format!("{at}: {e}")))?;
        let tls_config = || tls::client_config(s.ca_file.as_deref()).map_err(ImapError::Config);
        let client = match s.security {
            Security::Plain => greeted(Client::new(MailStream::Plain(tcp))).await?,
            Security::Tls => {
                let stream = MailStream::tls(tcp, &s.host, tls_config()?)
                    .await
                    .map_err(|e| ImapError::Connect(format!("{at}: TLS: {e}")))?;
                greeted(Client::new(stream)).await?
            }
            Security::Starttls => {
                let mut plain = greeted(Client::new(tcp)).await?;
                plain
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| ImapError::Connect(format!("{at}: STARTTLS refused: {e}")))?;
                let stream = MailStream::tls(plain.into_inner(), &s.host, tls_config()?)
                    .await
                    .map_err(|e| ImapError::Connect(format!("{at}: TLS: {e}")))?;
                Client::new(stream)
            }
        };
        let mut session = client
            .login(&s.user, &s.password)
            .await
            .map_err(|(e, _)| ImapError::Login(e.to_string()))?;
        let caps = session.capabilities().await?;
        let idle = caps.has_str("IDLE");
        let can_move = caps.has_str("MOVE");
        let selected = session.select(&s.folder).await?;
        let uid_validity = selected.uid_validity.ok_or_else(|| {
            ImapError::Protocol(format!("folder `{}` has no UIDVALIDITY", s.folder))
        })?;
        Ok(Mailbox {
            session,
            uid_validity,
            idle,
            can_move,
            timeout: s.timeout,
        })
    }

    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    pub fn supports_idle(&self) -> bool {
        self.idle
    }

    /// Creates `folder` unless it exists.
    pub async fn ensure_folder(&mut self, folder: &str) -> Result<(), ImapError> {
        let limit = self.timeout;
        within(limit, async {
            let exists = {
                let list = self.session.list(None, Some(folder)).await?;
                let names: Vec<_> = list.try_collect().await?;
                !names.is_empty()
            };
            if !exists {
                self.session.create(folder).await?;
            }
            Ok(())
        })
        .await
    }

    /// UIDs to read, oldest first: those after `after`, or, with no
    /// position yet, every message not marked read (`unseen_only`) or every
    /// message in the folder.
    pub async fn pending_uids(
        &mut self,
        after: Option<u32>,
        unseen_only: bool,
    ) -> Result<Vec<u32>, ImapError> {
        let query = match after {
            Some(last) => format!("UID {}:*", last.saturating_add(1)),
            None if unseen_only => "UNSEEN".to_string(),
            None => "ALL".to_string(),
        };
        let limit = self.timeout;
        let found = within(limit, async { Ok(self.session.uid_search(&query).await?) }).await?;
        // `N:*` always names the newest message, even when its UID is below N.
        let mut uids: Vec<u32> = found
            .into_iter()
            .filter(|uid| after.is_none_or(|last| *uid > last))
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The size in bytes of message `uid`, before fetching it.
    pub async fn size(&mut self, uid: u32) -> Result<Option<u32>, ImapError> {
        let limit = self.timeout;
        within(limit, async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
                .await?
                .try_collect()
                .await?;
            Ok(fetches
                .iter()
                .find(|f| f.uid == Some(uid))
                .and_then(|f| f.size))
        })
        .await
    }

    /// Message `uid` as bytes, leaving its `\Seen` flag alone.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<FetchedMail>, ImapError> {
        let limit = self.timeout;
        within(limit, async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
                .await?
                .try_collect()
                .await?;
            Ok(fetches.iter().find(|f| f.uid == Some(uid)).and_then(|f| {
                Some(FetchedMail {
                    uid,
                    raw: f.body()?.to_vec(),
                    internal_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                })
            }))
        })
        .await
    }

    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let limit = self.timeout;
        within(limit, async {
            let _: Vec<_> = self
                .session
                .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                .await?
                .try_collect()
                .await?;
            Ok(())
        })
        .await
    }

    /// Moves message `uid` to `folder` (MOVE, or COPY and expunge).
    pub async fn move_to(&mut self, uid: u32, folder: &str) -> Result<(), ImapError> {
        let limit = self.timeout;
        let can_move = self.can_move;
        within(limit, async {
            if can_move {
                self.session.uid_mv(uid.to_string(), folder).await?;
            } else {
                self.session.uid_copy(uid.to_string(), folder).await?;
                let _: Vec<_> = self
                    .session
                    .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen \\Deleted)")
                    .await?
                    .try_collect()
                    .await?;
                let _: Vec<_> = self
                    .session
                    .uid_expunge(uid.to_string())
                    .await?
                    .try_collect()
                    .await?;
            }
            Ok(())
        })
        .await
    }

    /// IDLEs until the server reports a change or `max` passes (re-IDLE
    /// before the server's own timeout); true when something changed.
    pub async fn wait(self, max: Duration) -> Result<(Mailbox, bool), ImapError> {
        let Mailbox {
            session,
            uid_validity,
            idle,
            can_move,
            timeout,
        } = self;
        // The server reports new mail in the answer to whatever command is
        // running when it arrives: one of the last drain's, or IDLE before
        // the server confirmed it. Those reports go to the session's queue
        // of unsolicited responses, not to the IDLE stream, and the server
        // does not repeat them; unread, such mail would wait for the next
        // renewal.
        let reported = session.unsolicited_responses.clone();
        let mut handle = session.idle();
        within(timeout, async { Ok(handle.init().await?) }).await?;
        // A full queue may have dropped such a report.
        let mut reported_mail = reported.is_full();
        while let Ok(response) = reported.try_recv() {
            reported_mail |= matches!(
                response,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            );
        }
        let changed = if reported_mail {
            true
        } else {
            use async_imap::extensions::idle::IdleResponse;
            let (wait, _stop) = handle.wait_with_timeout(max);
            // The library's timeout restarts with every keepalive the server
            // sends; the IDLE is renewed after `max` whatever it heard.
            match tokio::time::timeout(max, wait).await {
                Err(_) => false,
                Ok(r) => match r? {
                    IdleResponse::NewData(_) => true,
                    IdleResponse::Timeout => false,
                    // The stream ended: the server went away.
                    IdleResponse::ManualInterrupt => {
                        return Err(ImapError::Protocol("connection closed during IDLE".into()))
                    }
                },
            }
        };
        let session = within(timeout, async { Ok(handle.done().await?) }).await?;
        Ok((
            Mailbox {
                session,
                uid_validity,
                idle,
                can_move,
                timeout,
            },
            changed,
        ))
    }

    /// Polls: a NOOP lets the server report new mail (see
    /// [`Mailbox::wait`] for what becomes of the report).
    pub async fn noop(&mut self) -> Result<(), ImapError> {
        let limit = self.timeout;
        within(limit, async { Ok(self.session.noop().await?) }).await
    }

    pub async fn logout(mut self) {
        let limit = self.timeout;
        let _ = within(limit, async { Ok(self.session.logout().await?) }).await;
    }
}

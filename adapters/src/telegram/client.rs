//! The Bot API client, on teloxide's `Bot`: getUpdates, getFile with the
//! download (size checked before and while downloading), and sendMessage
//! with its errors sorted into retry, wait or give up. The token only
//! lives inside `Bot`; no error or log line carries it.

use super::FileToFetch;
use crate::{ReplyError, ReplyErrorKind};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use std::time::Duration;
use teloxide::net::Download;
use teloxide::payloads::{GetUpdatesSetters, SendMessageSetters};
use teloxide::requests::Requester;
use teloxide::types::{AllowedUpdate, ChatId, FileId, MessageId, ReplyParameters};
use teloxide::{ApiError, Bot, RequestError};

/// One update as getUpdates returned it: its id and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedUpdate {
    pub update_id: u32,
    pub raw: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Telegram asked us to wait (flood control).
    #[error("getUpdates: retry after {0} s")]
    RetryAfter(u64),
    /// Another process polls this bot, or a webhook is set.
    #[error("getUpdates refused: {0}")]
    Conflict(String),
    #[error("getUpdates failed: {0}")]
    Other(String),
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("getFile failed: {0}")]
    GetFile(String),
    #[error("download failed: {0}")]
    Download(String),
}

impl FetchError {
    /// A short stable name for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::TooLarge { .. } => "too_large",
            FetchError::GetFile(_) => "get_file",
            FetchError::Download(_) => "download",
        }
    }
}

#[derive(Clone)]
pub struct BotClient {
    bot: Bot,
}

impl std::fmt::Debug for BotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BotClient({})", self.bot.api_url())
    }
}

impl BotClient {
    /// A client for the bot with `token` at `api_url` (the public Bot API
    /// or a local one); `timeout` bounds every request and must exceed
    /// the long-polling timeout.
    pub fn new(token: &str, api_url: &str, timeout: Duration) -> Result<Self, String> {
        let url = reqwest::Url::parse(api_url).map_err(|e| format!("`{api_url}`: {e}"))?;
        let client = teloxide::net::default_reqwest_settings()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(BotClient {
            bot: Bot::with_client(token, client).set_api_url(url),
        })
    }

    /// Long-polls for updates from `offset` on; each comes back with its
    /// JSON so it is stored as received.
    pub async fn updates(
        &self,
        offset: Option<i32>,
        timeout_secs: u32,
        limit: u8,
    ) -> Result<Vec<FetchedUpdate>, PollError> {
        let mut request = self
            .bot
            .get_updates()
            .timeout(timeout_secs)
            .limit(limit.clamp(1, 100))
            .allowed_updates([AllowedUpdate::Message, AllowedUpdate::EditedMessage]);
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let updates = request.await.map_err(|e| match e {
            RequestError::RetryAfter(s) => PollError::RetryAfter(s.seconds().into()),
            RequestError::Api(
                api @ (ApiError::TerminatedByOtherGetUpdates | ApiError::CantGetUpdates),
            ) => PollError::Conflict(api.to_string()),
            other => PollError::Other(other.to_string()),
        })?;
        Ok(updates
            .into_iter()
            .map(|u| FetchedUpdate {
                update_id: u.id.0,
                // An update that cannot be written back is still passed on
                // by its id, so the offset moves past it.
                raw: serde_json::to_string(&u)
                    .unwrap_or_else(|_| format!("{{\"update_id\":{}}}", u.id.0)),
            })
            .collect())
    }

    /// getFile, then the download, refusing more than `file.max_bytes`.
    pub async fn fetch(&self, file: &FileToFetch) -> Result<Bytes, FetchError> {
        let limit = file.max_bytes;
        let meta = self
            .bot
            .get_file(FileId(file.file_id.clone()))
            .await
            .map_err(|e| FetchError::GetFile(e.to_string()))?;
        if meta.meta.size != u32::MAX && u64::from(meta.meta.size) > limit {
            return Err(FetchError::TooLarge { limit });
        }
        let mut stream = self.bot.download_file_stream(&meta.path);
        let mut bytes = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| FetchError::Download(e.without_url().to_string()))?;
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes.freeze())
    }

    /// sendMessage; `Ok` holds the new message's id.
    pub async fn send_text(
        &self,
        chat_id: i64,
        text: &str,
        reply_to: Option<i32>,
    ) -> Result<i32, ReplyError> {
        let mut request = self.bot.send_message(ChatId(chat_id), text);
        if let Some(id) = reply_to {
            request = request.reply_parameters(
                ReplyParameters::new(MessageId(id)).allow_sending_without_reply(),
            );
        }
        match request.await {
            Ok(sent) => Ok(sent.id.0),
            Err(e) => Err(classify(e)),
        }
    }
}

/// Sorts a sendMessage failure: flood control waits, a blocked or
/// deactivated user is unreachable, a request Telegram refuses is
/// permanent, anything on the way (network, 5xx) is retried.
pub(super) fn classify(e: RequestError) -> ReplyError {
    match e {
        RequestError::RetryAfter(s) => ReplyError {
            kind: ReplyErrorKind::Retryable,
            message: format!("Too Many Requests: retry after {}", s.seconds()),
            http_status: Some(429),
            retry_after: Some(s.seconds().into()),
        },
        RequestError::Api(api) => {
            let message = api.to_string();
            let (kind, status) = match &api {
                ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::CantInitiateConversation
                | ApiError::CantTalkWithBots
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::ChatNotFound => (ReplyErrorKind::Unreachable, 403),
                ApiError::Unknown(d) if d.starts_with("Forbidden") => {
                    (ReplyErrorKind::Unreachable, 403)
                }
                ApiError::Unknown(d) if !d.starts_with("Bad Request") => {
                    (ReplyErrorKind::Retryable, 500)
                }
                _ => (ReplyErrorKind::Permanent, 400),
            };
            ReplyError {
                kind,
                message,
                http_status: Some(status),
                retry_after: None,
            }
        }
        RequestError::MigrateToChatId(to) => ReplyError::new(
            ReplyErrorKind::Permanent,
            format!("the group moved to chat {}", to.0),
        ),
        other => ReplyError::new(ReplyErrorKind::Retryable, other.to_string()),
    }
}

//! One Bot API update, parsed with teloxide's types into an [`Event`]: a
//! private message (with the files to fetch and the Telegram-only command
//! it may be), an edit, a group message, or something to skip. Nothing
//! here decides what becomes a complaint: that is intake's work.

use super::{external_id, message_ref, Limits};
use crate::{Address, Channel, ExternalId, Flags, InboundMessage, Location, PhoneE164, RawPayload};
use teloxide::types::{ChatKind, MediaKind, Message, MessageKind, Update, UpdateKind};

/// What an update means to the gateway.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A message in a private chat with the bot.
    Private(ChatMessage),
    /// A new version of a message the citizen sent before.
    Edited(ChatMessage),
    /// A message in a group or supergroup: not taken, answered once.
    Group(ChatMessage),
    /// Nothing to handle (an empty update, a bot's message, a reaction,
    /// a channel post): only the update offset moves past it.
    Skip {
        update_id: u32,
        reason: &'static str,
    },
}

impl Event {
    pub fn update_id(&self) -> u32 {
        match self {
            Event::Private(m) | Event::Edited(m) | Event::Group(m) => m.update_id,
            Event::Skip { update_id, .. } => *update_id,
        }
    }
}

/// Commands only the Telegram bot knows; `/cek` is not one of them (it
/// reaches intake as text, like `CEK` on every chat channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start,
    /// Starts the guided complaint.
    Lapor,
    Bantuan,
    /// Skips an optional step of the guided complaint.
    Lewati,
    /// Abandons the guided complaint.
    Batal,
    /// A command the bot does not know, answered with help.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Photo,
    Document,
    Voice,
    Video,
    Audio,
}

/// A file the citizen sent, to be fetched with getFile.
#[derive(Debug, Clone, PartialEq)]
pub struct FileToFetch {
    pub kind: FileKind,
    pub file_id: String,
    /// Size announced in the update, when Telegram gave one.
    pub size: Option<u64>,
    pub mime: String,
    pub filename: Option<String>,
    /// The limit it was checked against, and is checked again while downloading.
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub update_id: u32,
    pub chat_id: i64,
    pub message_id: i32,
    /// The message this one answers (ours or the citizen's own).
    pub reply_to_message_id: Option<i32>,
    pub command: Option<Command>,
    /// Files within the limits, to fetch before intake.
    pub files: Vec<FileToFetch>,
    /// Files over the limits: recorded on the complaint, never fetched.
    pub refused_files: Vec<FileToFetch>,
    /// False for content nobody handles (a sticker, a poll, a dice):
    /// stored for audit, never a complaint.
    pub supported: bool,
    /// The canonical message; its attachments are added once fetched.
    pub message: InboundMessage,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not a Bot API update: {0}")]
    NotAnUpdate(String),
}

/// Parses one update (`raw` is its JSON, kept as the raw payload).
pub fn parse(raw: &str, account: &str, limits: &Limits) -> Result<Event, ParseError> {
    let update: Update =
        serde_json::from_str(raw).map_err(|e| ParseError::NotAnUpdate(e.to_string()))?;
    let update_id = update.id.0;
    let skip = |reason| Ok(Event::Skip { update_id, reason });
    let (message, edited) = match &update.kind {
        UpdateKind::Message(m) => (m, false),
        UpdateKind::EditedMessage(m) => (m, true),
        UpdateKind::ChannelPost(_) | UpdateKind::EditedChannelPost(_) => {
            return skip("channel post")
        }
        UpdateKind::Error(_) => return skip("unknown or empty update"),
        _ => return skip("update kind not handled"),
    };
    let Some(from) = message.from.as_ref() else {
        return skip("message without sender");
    };
    if from.is_bot {
        return skip("message from a bot");
    }
    let chat = parse_message(raw, account, limits, update_id, message, edited)?;
    Ok(match (&message.chat.kind, edited) {
        (ChatKind::Private(_), false) => Event::Private(chat),
        (ChatKind::Private(_), true) => Event::Edited(chat),
        (ChatKind::Public(_), false) => Event::Group(chat),
        (ChatKind::Public(_), true) => return skip("edit in a group"),
    })
}

fn parse_message(
    raw: &str,
    account: &str,
    limits: &Limits,
    update_id: u32,
    m: &Message,
    edited: bool,
) -> Result<ChatMessage, ParseError> {
    let from = m.from.as_ref().expect("checked by the caller");
    let id = ExternalId::parse(&external_id(account, update_id))
        .map_err(|e| ParseError::NotAnUpdate(format!("update id: {e}")))?;
    let mut text = m
        .text()
        .or(m.caption())
        .unwrap_or_default()
        .trim()
        .to_string();
    let mut other_addresses = Vec::new();
    let mut location = None;
    let mut files = Vec::new();
    let mut refused_files = Vec::new();
    let mut supported = true;
    let mut file = |f: FileToFetch| match f.size {
        Some(size) if size > f.max_bytes => refused_files.push(f),
        _ => files.push(f),
    };
    match &m.kind {
        MessageKind::Common(common) => match &common.media_kind {
            MediaKind::Text(_) => {}
            MediaKind::Photo(p) => {
                if let Some(f) = choose_photo(&p.photo, limits.max_photo_bytes) {
                    file(f);
                }
            }
            MediaKind::Document(d) => file(FileToFetch {
                kind: FileKind::Document,
                file_id: d.document.file.id.0.clone(),
                size: known_size(d.document.file.size),
                mime: mime_or(d.document.mime_type.as_ref(), "application/octet-stream"),
                filename: d.document.file_name.clone(),
                max_bytes: limits.max_file_bytes,
            }),
            MediaKind::Voice(v) => file(FileToFetch {
                kind: FileKind::Voice,
                file_id: v.voice.file.id.0.clone(),
                size: known_size(v.voice.file.size),
                mime: mime_or(v.voice.mime_type.as_ref(), "audio/ogg"),
                filename: None,
                max_bytes: limits.max_file_bytes,
            }),
            MediaKind::Audio(a) => file(FileToFetch {
                kind: FileKind::Audio,
                file_id: a.audio.file.id.0.clone(),
                size: known_size(a.audio.file.size),
                mime: mime_or(a.audio.mime_type.as_ref(), "audio/mpeg"),
                filename: a.audio.file_name.clone(),
                max_bytes: limits.max_file_bytes,
            }),
            MediaKind::Video(v) => file(FileToFetch {
                kind: FileKind::Video,
                file_id: v.video.file.id.0.clone(),
                size: known_size(v.video.file.size),
                mime: mime_or(v.video.mime_type.as_ref(), "video/mp4"),
                filename: v.video.file_name.clone(),
                max_bytes: limits.max_file_bytes,
            }),
            MediaKind::VideoNote(v) => file(FileToFetch {
                kind: FileKind::Video,
                file_id: v.video_note.file.id.0.clone(),
                size: known_size(v.video_note.file.size),
                mime: "video/mp4".into(),
                filename: None,
                max_bytes: limits.max_file_bytes,
            }),
            MediaKind::Location(l) => {
                location = Some(Location {
                    lat: Some(l.location.latitude),
                    lon: Some(l.location.longitude),
                    address: None,
                });
            }
            MediaKind::Venue(v) => {
                location = Some(Location {
                    lat: Some(v.venue.location.latitude),
                    lon: Some(v.venue.location.longitude),
                    address: Some(format!("{}, {}", v.venue.title, v.venue.address)),
                });
            }
            MediaKind::Contact(c) => {
                let c = &c.contact;
                if c.user_id == Some(from.id) {
                    // The citizen's own number: links this Telegram user
                    // to the same citizen on WhatsApp or SMS.
                    if let Some(phone) = phone_of(&c.phone_number) {
                        other_addresses.push(Address::Phone(phone));
                    }
                } else {
                    let name = match &c.last_name {
                        Some(last) => format!("{} {last}", c.first_name),
                        None => c.first_name.clone(),
                    };
                    let shared = format!("Kontak: {name}, {}", c.phone_number);
                    text = if text.is_empty() {
                        shared
                    } else {
                        format!("{text}\n{shared}")
                    };
                }
            }
            _ => supported = false,
        },
        _ => supported = false,
    }
    let command = m.text().and_then(command_of);
    let received_at = match (edited, m.edit_date()) {
        (true, Some(at)) => *at,
        _ => m.date,
    };
    let message = InboundMessage {
        channel: Channel::Telegram,
        channel_account: account.to_string(),
        external_id: id,
        sender: Some(Address::Telegram(from.id.0 as i64)),
        other_addresses,
        display_name: Some(from.full_name()).filter(|n| !n.trim().is_empty()),
        title: None,
        text,
        category: None,
        attachments: Vec::new(),
        location,
        reply_to: m
            .reply_to_message()
            .map(|r| message_ref(m.chat.id.0, r.id.0)),
        flags: Flags::default(),
        received_at,
        raw: RawPayload {
            content_type: "application/json".into(),
            body: raw.to_string(),
        },
    };
    Ok(ChatMessage {
        update_id,
        chat_id: m.chat.id.0,
        message_id: m.id.0,
        reply_to_message_id: m.reply_to_message().map(|r| r.id.0),
        command,
        files,
        refused_files,
        supported,
        message,
    })
}

/// Telegram sends 2^32-1 when it does not know a file's size.
fn known_size(size: u32) -> Option<u64> {
    (size != u32::MAX).then_some(size as u64)
}

fn mime_or(mime: Option<&mime::Mime>, default: &str) -> String {
    mime.map(|m| m.essence_str().to_string())
        .unwrap_or_else(|| default.to_string())
}

/// The largest size of the photo's ladder within `max_bytes`; the
/// smallest size, refused, when none fits.
fn choose_photo(sizes: &[teloxide::types::PhotoSize], max_bytes: u64) -> Option<FileToFetch> {
    let as_file = |p: &teloxide::types::PhotoSize| FileToFetch {
        kind: FileKind::Photo,
        file_id: p.file.id.0.clone(),
        size: known_size(p.file.size),
        mime: "image/jpeg".into(),
        filename: None,
        max_bytes,
    };
    let area = |p: &&teloxide::types::PhotoSize| (p.width as u64) * (p.height as u64);
    sizes
        .iter()
        .filter(|p| known_size(p.file.size).is_none_or(|s| s <= max_bytes))
        .max_by_key(area)
        .or_else(|| sizes.iter().min_by_key(area))
        .map(as_file)
}

fn phone_of(number: &str) -> Option<PhoneE164> {
    let digits: String = number.chars().filter(|c| c.is_ascii_digit()).collect();
    PhoneE164::from_international_digits(&digits)
        .or_else(|_| PhoneE164::parse(number))
        .ok()
}

fn command_of(text: &str) -> Option<Command> {
    let first = text.split_whitespace().next()?;
    let name = first.strip_prefix('/')?;
    let name = name.split('@').next().unwrap_or_default().to_lowercase();
    Some(match name.as_str() {
        "cek" => return None,
        "start" => Command::Start,
        "lapor" => Command::Lapor,
        "bantuan" | "help" => Command::Bantuan,
        "lewati" | "skip" => Command::Lewati,
        "batal" | "cancel" => Command::Batal,
        _ => Command::Unknown(name),
    })
}

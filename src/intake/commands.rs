//! Commands citizens send on any chat channel instead of a complaint:
//! `CEK <code>` (status lookup) and an empty message (help). Answers go
//! through the outbox like every other message; nothing leaks to a
//! sender who is not the complaint's reporter.

use crate::complaint::Status;
use crate::notify::{texts, Notifier};
use crate::status::Change;
use crate::store::entity::complaint;
use adapters::{InboundMessage, TrackingCode};
use chrono::{DateTime, Utc};
use regex::Regex;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `CEK <code>` / `/cek <code>`; the code as typed.
    Cek(String),
    /// Nothing to work with: no text, no attachment, no location.
    Empty,
    /// A reporter's answer to a resolution: SELESAI (solved) or BELUM (not).
    Confirm { solved: bool },
}

static SOLVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(sudah\s+)?(selesai|beres)\s*[.!]*\s*$").expect("valid regex")
});
static NOT_SOLVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*belum(\s+(selesai|beres))?\s*[.!]*\s*$").expect("valid regex")
});

static CEK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)^\s*/?cek(?:@\w+)?(?:\s+(.*?))?\s*$").expect("valid regex"));

impl Command {
    /// The tracking code a lookup names, when it is one.
    pub fn code(&self) -> Option<TrackingCode> {
        match self {
            Command::Cek(typed) => TrackingCode::parse(typed).ok(),
            _ => None,
        }
    }
}

/// What command, if any, the message is.
pub fn parse(msg: &InboundMessage) -> Option<Command> {
    let text = msg.text.trim();
    if text.is_empty() && msg.attachments.is_empty() && msg.location.is_none() {
        return Some(Command::Empty);
    }
    if SOLVED.is_match(text) {
        return Some(Command::Confirm { solved: true });
    }
    if NOT_SOLVED.is_match(text) {
        return Some(Command::Confirm { solved: false });
    }
    let caps = CEK.captures(text)?;
    let argument = caps.get(1).map(|m| m.as_str()).unwrap_or_default();
    // "Cek jalan di depan rumah..." is a complaint, not a lookup: a code is
    // one token, or two when a citizen split it with a space.
    let compact: String = argument.chars().filter(|c| !c.is_whitespace()).collect();
    let plausible = argument.split_whitespace().count() <= 2 && compact.chars().count() <= 14;
    plausible.then(|| Command::Cek(argument.to_string()))
}

/// Builds the answer; returns the complaint the command concerned when the
/// sender is allowed to see it (the inbound message is linked to it).
/// `waiting`: the code a lookup names is a web form submission still in
/// the intake journal, received and not yet a complaint.
pub async fn answer<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier,
    sla: &crate::sla::Sla,
    msg: &InboundMessage,
    citizen_id: Option<i64>,
    (command, waiting): (&Command, bool),
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let lang = notifier.language;
    let (complaint_id, purpose, text, code) = match command {
        Command::Empty => (None, "help", texts::help(lang, &notifier.city), None),
        Command::Confirm { solved } => {
            match confirm(db, notifier, sla, citizen_id, *solved, now).await? {
                Some(c) => {
                    let text = texts::confirmation(lang, &c.tracking_code, !solved);
                    (Some(c.id), "confirm", text, Some(c.tracking_code))
                }
                None => (None, "help", texts::help(lang, &notifier.city), None),
            }
        }
        Command::Cek(typed) => {
            let visible = match TrackingCode::parse(typed) {
                Ok(code) => complaint::Entity::find()
                    .filter(complaint::Column::TrackingCode.eq(code.as_str()))
                    .one(db)
                    .await?
                    .filter(|c| {
                        !c.rahasia || (c.citizen_id.is_some() && c.citizen_id == citizen_id)
                    }),
                Err(_) => None,
            };
            match visible {
                Some(c) => {
                    let status: Status = c.status.parse().unwrap_or(Status::Received);
                    let url = notifier.status_url(&c.tracking_code);
                    let text = texts::cek_status(lang, &c.tracking_code, status, &url);
                    let mine = c.citizen_id.is_some() && c.citizen_id == citizen_id;
                    (mine.then_some(c.id), "cek", text, Some(c.tracking_code))
                }
                None if waiting => {
                    let code = command.code().map(|c| c.to_string()).unwrap_or_default();
                    let url = notifier.status_url(&code);
                    let text = texts::cek_status(lang, &code, Status::Received, &url);
                    (None, "cek", text, Some(code))
                }
                None => {
                    let shown: String = typed.chars().take(20).collect();
                    (None, "cek", texts::cek_unknown(lang, &shown), None)
                }
            }
        }
    };
    if let Some(reply) = notifier.reply(msg, complaint_id, purpose, text, code.as_deref()) {
        crate::notify::enqueue(db, reply, now).await?;
    }
    Ok(complaint_id)
}

/// How long after a resolution its reporter may still reopen it.
const REOPEN_DAYS: i64 = 30;

/// Closes or reopens the sender's most recently resolved complaint.
async fn confirm<C: ConnectionTrait>(
    db: &C,
    notifier: &Notifier,
    sla: &crate::sla::Sla,
    citizen_id: Option<i64>,
    solved: bool,
    now: DateTime<Utc>,
) -> Result<Option<complaint::Model>, DbErr> {
    let Some(citizen_id) = citizen_id else {
        return Ok(None);
    };
    let Some(c) = complaint::Entity::find()
        .filter(complaint::Column::CitizenId.eq(citizen_id))
        .filter(complaint::Column::Status.eq(Status::Resolved.as_str()))
        .filter(complaint::Column::UpdatedAt.gte(now - chrono::Duration::days(REOPEN_DAYS)))
        .order_by_desc(complaint::Column::UpdatedAt)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let change = match solved {
        true => Change {
            to: Status::Closed,
            actor: "citizen",
            note: Some("Pelapor menyatakan masalah sudah selesai.".into()),
            kind: "status",
            except_citizen: Some(citizen_id),
            notify: true,
        },
        false => Change {
            to: Status::InProgress,
            actor: "citizen",
            note: Some("Pelapor menyatakan masalah belum selesai.".into()),
            kind: "reopened",
            except_citizen: Some(citizen_id),
            notify: true,
        },
    };
    crate::status::apply(db, notifier, sla, &c, change, now).await?;
    Ok(Some(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use adapters::{Channel, ExternalId, Flags, RawPayload};

    fn msg(text: &str) -> InboundMessage {
        InboundMessage {
            channel: Channel::Sms,
            channel_account: "modem".into(),
            external_id: ExternalId::parse("1").unwrap(),
            sender: None,
            other_addresses: vec![],
            display_name: None,
            title: None,
            text: text.into(),
            category: None,
            attachments: vec![],
            location: None,
            reply_to: None,
            flags: Flags::default(),
            received_at: Utc::now(),
            raw: RawPayload {
                content_type: "text/plain".into(),
                body: text.into(),
            },
        }
    }

    #[test]
    fn commands_are_recognised_in_their_spellings() {
        let cases = [
            ("CEK ABCDE23456", Some(Command::Cek("ABCDE23456".into()))),
            ("cek abcde-23456", Some(Command::Cek("abcde-23456".into()))),
            (
                "  /cek ABCDE23456 ",
                Some(Command::Cek("ABCDE23456".into())),
            ),
            (
                "/cek@PadangBot ABCDE23456",
                Some(Command::Cek("ABCDE23456".into())),
            ),
            ("Cek", Some(Command::Cek(String::new()))),
            ("   ", Some(Command::Empty)),
            ("", Some(Command::Empty)),
            ("cek jalan di depan rumah rusak", None),
            ("CEK ABCDE 23456", Some(Command::Cek("ABCDE 23456".into()))),
            ("cekungan jalan dalam sekali", None),
            ("Selesai", Some(Command::Confirm { solved: true })),
            ("sudah beres!", Some(Command::Confirm { solved: true })),
            ("BELUM", Some(Command::Confirm { solved: false })),
            ("belum selesai.", Some(Command::Confirm { solved: false })),
            ("belum ada petugas datang ke lokasi", None),
            ("Jalan rusak, mohon dicek", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&msg(text)), want, "{text:?}");
        }
    }
}

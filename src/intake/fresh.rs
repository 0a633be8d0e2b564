//! A message that is neither a command nor a follow-up: the same citizen's
//! repeat, another citizen's report of a problem already reported, or a new
//! complaint. Writes only in the caller's transaction; the duplicate index
//! is updated by the caller once that commits.

use super::attachments::Stored;
use super::{create, duplicates, Intake, Outcome};
use crate::dedup::Signature;
use crate::identity::Sender;
use crate::normalize::normalize;
use crate::routing::Decision;
use crate::store::entity::complaint;
use adapters::{InboundMessage, TrackingCode};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

/// What a new complaint needs that is pure computation, worked out before
/// the transaction so writers hold the one SQLite writer slot only for
/// their statements: the routing decision (category, area and priority are
/// on the row from the start), the text's signature, the first reports
/// whose text is near it, and the tracking code a new complaint gets.
pub struct Ahead {
    pub decision: Decision,
    /// Drawn now, or the one the sender was answered with before (a
    /// journaled web form submission; see `promised`).
    pub code: TrackingCode,
    /// The sender holds `code` already: the message becomes a complaint
    /// with it, also when it repeats one of theirs.
    pub promised: bool,
    pub sig: Option<Signature>,
    /// Indexed first reports near enough in text, most similar first: every
    /// first report answered before this message arrived (the index holds
    /// one before its sender is answered). Reports written in the same
    /// batch are compared with each other when it is written.
    pub near: Vec<i64>,
}

impl Ahead {
    pub fn of(intake: &Intake, msg: &InboundMessage, reserved: Option<TrackingCode>) -> Ahead {
        let dedup = &intake.dedup;
        // Normalised once, for the signature and for routing.
        let text = normalize(&msg.text);
        let sig = match dedup.enabled() {
            true => dedup.signature_of(&text),
            false => None,
        };
        let near = match &sig {
            Some(sig) => dedup
                .candidates(sig)
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            None => Vec::new(),
        };
        Ahead {
            decision: intake.routing.decide_ahead(msg, text),
            promised: reserved.is_some(),
            code: reserved.unwrap_or_else(create::random_tracking_code),
            sig,
            near,
        }
    }
}

/// The complaint the message ended in, what happened, and the signature to
/// index when it is a first report.
pub async fn handle<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    msg: &InboundMessage,
    inbound_id: i64,
    sender: Option<&Sender>,
    stored: Vec<Option<Stored>>,
    ahead: Ahead,
    now: DateTime<Utc>,
) -> Result<(complaint::Model, Outcome, Option<(i64, Signature)>), DbErr> {
    let Ahead {
        decision,
        code,
        promised,
        sig,
        near,
    } = ahead;
    intake.routing.count(&decision);
    let dedup = &intake.dedup;
    let citizen_id = sender.map(|s| s.citizen_id);
    let repeat = match (&sig, sender) {
        // A citizen first seen with this message has nothing to repeat.
        (Some(sig), Some(s)) if !s.new => {
            duplicates::find_repeat(db, dedup, citizen_id, sig, now).await?
        }
        _ => None,
    };
    // A sender who holds a code for this message (the web form) is not
    // told "you sent this before": their report becomes a complaint with
    // that code, linked to the one it repeats.
    let (repeat, repeated) = match repeat {
        Some(c) if promised => (None, Some(first_of(db, c).await?)),
        other => (other, None),
    };
    if let Some(c) = repeat {
        create::store_attachments(
            db,
            &intake.media_channels,
            c.id,
            inbound_id,
            msg,
            stored,
            now,
        )
        .await?;
        duplicates::record_repeat(db, &intake.notifier, &c, msg, now).await?;
        return Ok((c, Outcome::Repeated, None));
    }
    let first = match repeated {
        Some(c) => Some(c),
        None => duplicates::find_first(db, dedup, citizen_id, msg, &decision, &near, now).await?,
    };
    // A first report's verification clock is its nearest due time.
    let due = first.is_none().then(|| intake.sla.verify_due(now));
    let (c, _) = create::complaint(
        db,
        code,
        &intake.media_channels,
        &decision,
        first.as_ref(),
        due,
        &intake.notifier,
        msg,
        inbound_id,
        citizen_id,
        stored,
        now,
    )
    .await?;
    if first.is_some() {
        // Linked: the first's clocks and delivery stand for both.
        return Ok((c, Outcome::Created, None));
    }
    if let Some(due) = due {
        intake.sla.on_new(db, c.id, due, now).await?;
    }
    let id = c.id;
    Ok((c, Outcome::Created, sig.map(|sig| (id, sig))))
}

/// The first report `c` is linked to, or `c` itself when it is one.
async fn first_of<C: ConnectionTrait>(
    db: &C,
    c: complaint::Model,
) -> Result<complaint::Model, DbErr> {
    let Some(first) = c.duplicate_of else {
        return Ok(c);
    };
    Ok(complaint::Entity::find_by_id(first)
        .one(db)
        .await?
        .unwrap_or(c))
}

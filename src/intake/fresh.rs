//! A message that is neither a command nor a follow-up: the same citizen's
//! repeat, another citizen's report of a problem already reported, or a new
//! complaint. Writes only in the caller's transaction; the duplicate index
//! is updated by the caller once that commits.

use super::attachments::Stored;
use super::{create, duplicates, Intake, Outcome};
use crate::dedup::Signature;
use crate::store::entity::complaint;
use adapters::InboundMessage;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

/// The complaint the message ended in, what happened, and the signature to
/// index when it is a first report.
pub async fn handle<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    msg: &InboundMessage,
    inbound_id: i64,
    citizen_id: Option<i64>,
    stored: Vec<Option<Stored>>,
    now: DateTime<Utc>,
) -> Result<(complaint::Model, Outcome, Option<(i64, Signature)>), DbErr> {
    // Routing is pure: decided before the complaint row so the row
    // carries its category, area and priority from the start.
    let decision = intake.routing.decide(msg);
    let dedup = &intake.dedup;
    let sig = match dedup.enabled() {
        true => dedup.signature(&msg.text),
        false => None,
    };
    let repeat = match &sig {
        Some(sig) => duplicates::find_repeat(db, dedup, citizen_id, sig, now).await?,
        None => None,
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
    let first = match &sig {
        Some(sig) => {
            duplicates::find_first(db, dedup, citizen_id, msg, &decision, sig, now).await?
        }
        None => None,
    };
    let (c, _) = create::complaint(
        db,
        &intake.media_channels,
        &decision,
        first.as_ref(),
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
    intake.sla.on_created(db, c.id, now).await?;
    let id = c.id;
    Ok((c, Outcome::Created, sig.map(|sig| (id, sig))))
}

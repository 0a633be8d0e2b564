//! One message written on its own, in the caller's transaction (its own
//! savepoint in a batch): a command, a follow-up, a repeat, a duplicate
//! or a new complaint of a known sender. See [`super::bulk`] for first-time
//! senders' new complaints, written together.

use super::{
    attachments, commands, followup, fresh, inbound_row, Accepted, Intake, IntakeError, Outcome,
    Plan, Processed,
};
use crate::notify::unreachable;
use crate::store::cursors::{self, CursorUpdate};
use crate::store::entity::{complaint, inbound_message};
use crate::store::outbox;
use adapters::{Channel, InboundMessage, TrackingCode};
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

impl Intake {
    /// Everything a message causes, written with `db` (the message's own
    /// savepoint in a batch's transaction). What to index comes back to
    /// be remembered once the transaction commits.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn process_in<C: ConnectionTrait>(
        &self,
        db: &C,
        msg: &InboundMessage,
        fingerprint: &str,
        stored: Vec<Option<attachments::Stored>>,
        cursor: Option<&CursorUpdate>,
        plan: Plan,
        now: chrono::DateTime<Utc>,
    ) -> Result<Processed, IntakeError> {
        let chat = msg.channel != Channel::Webform;
        if let Some(cursor) = cursor {
            cursors::set(db, cursor, now).await?;
        }
        // Only the id comes back: the raw payload is not read again.
        let inbound_id = inbound_message::Entity::insert(inbound_row(msg, fingerprint, now))
            .exec(db)
            .await?
            .last_insert_id;
        let addresses: Vec<_> = msg.addresses().cloned().collect();
        let sender =
            crate::identity::identify(db, &addresses, msg.display_name.as_deref(), now).await?;
        let citizen_id = sender.as_ref().map(|s| s.citizen_id);
        // A citizen first seen now has no complaint to follow up or repeat.
        let known = sender.as_ref().is_some_and(|s| !s.new);
        if let Some(address) = msg
            .sender
            .as_ref()
            .filter(|_| msg.channel != Channel::Webform)
        {
            // The citizen wrote: messages held for a closed window may go
            // now, and a channel that could not reach them may try again.
            // (Nothing is ever sent, so nothing held, on the web form.)
            let kinds = crate::notify::address_kinds(msg.channel);
            outbox::wake_waiting(db, msg.channel.as_str(), address, kinds, now).await?;
            if let Some(s) = &sender {
                unreachable::wrote_again(db, &s.known, msg.channel, address).await?;
            }
        }

        let mut remember = None;
        let (complaint, outcome) = match plan {
            Plan::Command(command, waiting) => {
                let id = commands::answer(
                    db,
                    &self.notifier,
                    &self.sla,
                    msg,
                    citizen_id,
                    (&command, waiting),
                    now,
                )
                .await?;
                let c = match id {
                    Some(id) => complaint::Entity::find_by_id(id).one(db).await?,
                    None => None,
                };
                (c, Outcome::Answered)
            }
            Plan::Message(ahead) => {
                let joins = match chat && known {
                    true => followup::find(db, msg, citizen_id, self.followup_window, now).await?,
                    false => None,
                };
                match joins {
                    Some((c, why)) => {
                        followup::join(
                            db,
                            &self.media_channels,
                            &self.notifier,
                            &c,
                            why,
                            msg,
                            inbound_id,
                            stored,
                            now,
                        )
                        .await?;
                        (Some(c), Outcome::Joined)
                    }
                    None => {
                        let (c, outcome, first_report) = fresh::handle(
                            self,
                            db,
                            msg,
                            inbound_id,
                            sender.as_ref(),
                            stored,
                            ahead,
                            now,
                        )
                        .await?;
                        remember = first_report;
                        (Some(c), outcome)
                    }
                }
            }
        };

        if let Some(c) = &complaint {
            inbound_message::Entity::update_many()
                .col_expr(inbound_message::Column::ComplaintId, Some(c.id).into())
                .filter(inbound_message::Column::Id.eq(inbound_id))
                .exec(db)
                .await?;
        }
        Ok(Processed {
            accepted: Accepted {
                complaint_id: complaint.as_ref().map(|c| c.id),
                tracking_code: complaint
                    .as_ref()
                    .and_then(|c| TrackingCode::parse(&c.tracking_code).ok()),
                status: complaint.as_ref().and_then(|c| c.status.parse().ok()),
                outcome,
            },
            remember,
        })
    }
}

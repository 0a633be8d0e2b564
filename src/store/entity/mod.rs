//! sea-orm entities, one per table; the schema itself is in `migrations/`.

pub mod agency_queue_item;
pub mod attachment;
pub mod channel_cursor;
pub mod citizen;
pub mod citizen_address;
pub mod citizen_merge;
pub mod complaint;
pub mod complaint_event;
pub mod delivery_attempt;
pub mod inbound_message;
pub mod intake_journal;
pub mod outbox;
pub mod sla_clock;
pub mod sms_part;

//! Thread lookup for replies: the citizen's stored message, read back from
//! the inbound messages, gives the subject and references a reply threads
//! under. Read-only; a failed lookup only makes the reply unthreaded.

use crate::store::entity::inbound_message;
use crate::store::Store;
use adapters::email::{stored_bytes, thread_of, Thread, ThreadLookup};
use adapters::Channel;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub struct StoredThreads {
    store: Store,
}

impl StoredThreads {
    pub fn new(store: Store) -> Self {
        StoredThreads { store }
    }
}

#[async_trait::async_trait]
impl ThreadLookup for StoredThreads {
    async fn thread(&self, account: &str, message_id: &str) -> Option<Thread> {
        let found = inbound_message::Entity::find()
            .filter(inbound_message::Column::Channel.eq(Channel::Email.as_str()))
            .filter(inbound_message::Column::ChannelAccount.eq(account))
            .filter(inbound_message::Column::ExternalId.eq(message_id))
            .one(self.store.db())
            .await;
        let row = match found {
            Ok(row) => row?,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the message a reply answers; sending it unthreaded");
                return None;
            }
        };
        thread_of(&stored_bytes(&row.raw_content_type, &row.raw_payload)?)
    }
}

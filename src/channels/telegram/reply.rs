//! The reply sender the dispatcher calls for `reply:telegram`: the
//! adapter's rate-limited sender, with the citizen's message (named by its
//! external id in the outbox) turned into the chat message to reply to.

use super::tables;
use crate::store::Store;
use adapters::telegram::{message_ref, TelegramSender};
use adapters::{Channel, OutboundReply, ReplyError, ReplySender, SentReply};

pub struct ThreadedSender {
    pub inner: TelegramSender,
    pub store: Store,
    pub account: String,
}

#[async_trait::async_trait]
impl ReplySender for ThreadedSender {
    fn channel(&self) -> Channel {
        Channel::Telegram
    }

    async fn send(&self, reply: &OutboundReply) -> Result<SentReply, ReplyError> {
        let mut reply = reply.clone();
        if let Some(external_id) = &reply.reply_to {
            // Threading is a nicety: a lookup failure sends without it.
            match tables::message_of(self.store.db(), &self.account, external_id).await {
                Ok(Some((chat, message))) => reply.reply_to = Some(message_ref(chat, message)),
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "telegram: reply sent without threading");
                    reply.reply_to = None;
                }
            }
        }
        self.inner.send(&reply).await
    }
}

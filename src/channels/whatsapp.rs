//! The whatsapp channel's wiring: configuration, webhook routes, reply sender
//! and workers. The protocol is in `adapters`.

use super::{ChannelContext, ChannelParts};
use serde::{Deserialize, Serialize};

/// `[channels.whatsapp]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WhatsappConfig {}

impl WhatsappConfig {
    pub fn validate(&self) -> Vec<String> {
        Vec::new()
    }
}

pub fn build(_config: &WhatsappConfig, _ctx: &ChannelContext) -> Result<ChannelParts, String> {
    Ok(ChannelParts::default())
}

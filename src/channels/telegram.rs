//! The telegram channel's wiring: configuration, webhook routes, reply sender
//! and workers. The protocol is in `adapters`.

use super::{ChannelContext, ChannelParts};
use serde::{Deserialize, Serialize};

/// `[channels.telegram]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {}

impl TelegramConfig {
    pub fn validate(&self) -> Vec<String> {
        Vec::new()
    }
}

pub fn build(_config: &TelegramConfig, _ctx: &ChannelContext) -> Result<ChannelParts, String> {
    Ok(ChannelParts::default())
}

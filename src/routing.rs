//! Routing: which destinations a new complaint goes to, and why. Until
//! operators' rules exist, every complaint goes to the configured default.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decision {
    /// Destination names, in priority order.
    pub destinations: Vec<String>,
    /// Which rule decided, for the timeline.
    pub rule: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Routing {
    default_destination: String,
}

impl Routing {
    pub fn new(default_destination: impl Into<String>) -> Self {
        Routing {
            default_destination: default_destination.into(),
        }
    }

    pub fn decide(&self, _message: &adapters::InboundMessage) -> Decision {
        Decision {
            destinations: vec![self.default_destination.clone()],
            rule: "default".into(),
            reason: "no routing rule applies; dispatch.default_destination".into(),
        }
    }
}

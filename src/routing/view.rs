//! What routing sees of a message: the facts rules test ([`RoutingInput`])
//! and, per decision, the normalised text with word positions so every
//! keyword is looked up rather than searched for. Never changes a message.

use super::condition::NO_ID;
use crate::areas::{AreaFound, Areas};
use crate::normalize::{self, NormalizedText};
use adapters::{Channel, InboundMessage};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The facts of a message that rules can test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingInput {
    /// Title and text together.
    pub text: String,
    /// The free-text address the citizen gave, searched for place names.
    pub address: Option<String>,
    pub channel: Channel,
    pub account: String,
    pub category: Option<String>,
    /// (lat, lon) of the location pin.
    pub pin: Option<(f64, f64)>,
    pub anonim: bool,
    pub rahasia: bool,
    pub has_attachment: bool,
    /// When the message was received.
    pub at: DateTime<Utc>,
}

impl From<&InboundMessage> for RoutingInput {
    fn from(m: &InboundMessage) -> Self {
        let text = match &m.title {
            Some(title) if !title.trim().is_empty() => format!("{title}\n{}", m.text),
            _ => m.text.clone(),
        };
        let location = m.location.as_ref();
        RoutingInput {
            text,
            address: location.and_then(|l| l.address.clone()),
            channel: m.channel,
            account: m.channel_account.clone(),
            category: m.category.clone(),
            pin: location.and_then(|l| Some((l.lat?, l.lon?))),
            anonim: m.flags.anonim,
            rahasia: m.flags.rahasia,
            has_attachment: !m.attachments.is_empty(),
            at: m.received_at,
        }
    }
}

/// Every keyword word and stem of a rule set, numbered.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    ids: HashMap<String, u32>,
}

impl Vocabulary {
    pub fn intern(&mut self, s: &str) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(s.to_string()).or_insert(next)
    }

    pub fn get(&self, s: &str) -> u32 {
        self.ids.get(s).copied().unwrap_or(NO_ID)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// One message prepared for matching.
pub struct MessageView<'a> {
    pub input: &'a RoutingInput,
    pub text: NormalizedText,
    /// The normalised words joined by spaces, for regular expressions.
    pub joined: String,
    /// (word id, stem id) per token.
    pub ids: Vec<(u32, u32)>,
    /// Per id, the first entry of its chain in `next` / `pos`.
    head: Vec<u32>,
    next: Vec<u32>,
    pos: Vec<u32>,
    pub local: DateTime<FixedOffset>,
    pub area: Option<AreaFound>,
}

impl<'a> MessageView<'a> {
    pub fn new(
        input: &'a RoutingInput,
        vocabulary: &Vocabulary,
        areas: &Areas,
        offset: FixedOffset,
    ) -> MessageView<'a> {
        Self::with_text(
            input,
            normalize::normalize(&input.text),
            vocabulary,
            areas,
            offset,
        )
    }

    /// Like [`MessageView::new`], with `input.text` already normalised.
    pub fn with_text(
        input: &'a RoutingInput,
        text: NormalizedText,
        vocabulary: &Vocabulary,
        areas: &Areas,
        offset: FixedOffset,
    ) -> MessageView<'a> {
        let ids: Vec<(u32, u32)> = text
            .tokens()
            .iter()
            .map(|t| (vocabulary.get(&t.word), vocabulary.get(&t.stem)))
            .collect();
        let mut view = MessageView {
            input,
            joined: text.joined(),
            head: vec![NO_ID; vocabulary.len()],
            next: Vec::with_capacity(ids.len() * 2),
            pos: Vec::with_capacity(ids.len() * 2),
            ids,
            local: input.at.with_timezone(&offset),
            area: None,
            text,
        };
        // Chains run from the last occurrence to the first.
        for p in 0..view.ids.len() {
            let (w, s) = view.ids[p];
            view.add(w, p);
            if s != w {
                view.add(s, p);
            }
        }
        let mut place_words = input
            .address
            .as_deref()
            .map(normalize::words)
            .unwrap_or_default();
        place_words.push(String::new());
        place_words.extend(view.text.tokens().iter().map(|t| t.word.clone()));
        view.area = areas.find(input.pin, &place_words);
        view
    }

    fn add(&mut self, id: u32, p: usize) {
        if id == NO_ID {
            return;
        }
        let slot = &mut self.head[id as usize];
        self.next.push(*slot);
        self.pos.push(p as u32);
        *slot = (self.pos.len() - 1) as u32;
    }

    /// Positions of tokens whose word or stem has this id.
    pub fn occurrences(&self, id: u32) -> impl Iterator<Item = usize> + '_ {
        let mut at = if id == NO_ID {
            NO_ID
        } else {
            self.head.get(id as usize).copied().unwrap_or(NO_ID)
        };
        std::iter::from_fn(move || {
            if at == NO_ID {
                return None;
            }
            let p = self.pos[at as usize] as usize;
            at = self.next[at as usize];
            Some(p)
        })
    }

    /// `n` words from position `p`, as the message has them.
    pub fn words(&self, p: usize, n: usize) -> String {
        self.text.tokens()[p..p + n]
            .iter()
            .map(|t| t.word.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

//! What routing decided for one complaint and why: destinations, the rules
//! that matched with the conditions that made them match, the category,
//! SLA class, priority and area. Plain data; it decides nothing itself.

use crate::areas::AreaFound;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How urgently a complaint should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Rendah,
    Normal,
    Tinggi,
    Darurat,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Rendah,
        Priority::Normal,
        Priority::Tinggi,
        Priority::Darurat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Rendah => "rendah",
            Priority::Normal => "normal",
            Priority::Tinggi => "tinggi",
            Priority::Darurat => "darurat",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;
    /// Indonesian names, and the English ones (`low`, `high`, `urgent`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "rendah" | "low" => Ok(Priority::Rendah),
            "normal" => Ok(Priority::Normal),
            "tinggi" | "high" => Ok(Priority::Tinggi),
            "darurat" | "urgent" => Ok(Priority::Darurat),
            _ => Err(format!(
                "prioritas `{s}` tidak dikenal / unknown priority `{s}` (rendah, normal, tinggi, darurat)"
            )),
        }
    }
}

/// One condition of a rule that held, and what in the message made it hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The condition's key in the rules file: `keywords`, `area`, `channel`...
    pub condition: String,
    /// The rule's value that matched (`jalan rusak`, `13.71.11`).
    pub value: String,
    /// What in the message matched it (`jalannya rusak`), when not the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.condition, self.value)?;
        if let Some(found) = &self.found {
            write!(f, " ({found:?})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedRule {
    pub id: String,
    /// Line of the rule in the rules file.
    pub line: usize,
    /// Every condition that held; empty for a rule without conditions.
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Destination names, in priority order.
    pub destinations: Vec<String>,
    /// The rules that matched, in file order.
    pub matched: Vec<MatchedRule>,
    /// True when no matching rule named a destination and the default did.
    pub default_applied: bool,
    pub category: Option<String>,
    pub sla_class: Option<String>,
    pub priority: Option<Priority>,
    pub kecamatan_code: Option<String>,
    pub kelurahan_code: Option<String>,
    /// Where the area came from (pin or text) and the evidence.
    pub area: Option<AreaFound>,
    /// Which rules file decided: `sha256:<prefix>` of its text, or `builtin`.
    pub rules_version: String,
}

impl Decision {
    pub fn matched_ids(&self) -> Vec<&str> {
        self.matched.iter().map(|m| m.id.as_str()).collect()
    }

    /// One line for the timeline, Bahasa Indonesia first, then English.
    pub fn summary(&self) -> String {
        let to = self.destinations.join(", ");
        if self.matched.is_empty() {
            return format!(
                "Tidak ada aturan yang cocok; dikirim ke tujuan bawaan {to}. / No rule matched; sent to the default destination {to}."
            );
        }
        let rules = self.matched_ids().join(", ");
        if self.default_applied {
            format!(
                "Aturan {rules} cocok; dikirim ke tujuan bawaan {to}. / Rules {rules} matched; sent to the default destination {to}."
            )
        } else {
            format!("Dikirim ke {to} oleh aturan {rules}. / Sent to {to} by rules {rules}.")
        }
    }
}

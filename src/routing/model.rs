//! The rules file as operators write it (TOML), with the position of every
//! value so errors can name the line. Only shapes and spans live here;
//! meaning and checks are in `compile`.

use serde::Deserialize;
use toml::Spanned;

/// A whole rules file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// What happens when no rule names a destination.
    pub default: Option<Spanned<ActionDef>>,
    /// The rules, tried in file order.
    #[serde(default)]
    pub rule: Vec<Spanned<RuleDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Short stable name: lower case, digits, `-`, `_`, `.`.
    pub id: Spanned<String>,
    /// What the rule is for, for the people who read the file.
    pub description: Spanned<String>,
    /// Conditions, all of which must hold; none at all matches everything.
    pub when: Option<Spanned<ConditionsDef>>,
    pub then: Spanned<ActionDef>,
}

/// Conditions: every key given must hold (AND); a list holds when any of
/// its values does (OR).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionsDef {
    /// `webform`, `whatsapp`, `telegram`, `email`, `sms`, `open311`.
    pub channel: Option<Vec<Spanned<String>>>,
    /// Which of the city's numbers, bots or forms received the message.
    pub account: Option<Vec<Spanned<String>>>,
    /// Words or phrases found in the normalised text; `=word` takes the
    /// word exactly, without affixes.
    pub keywords: Option<Vec<Spanned<String>>>,
    /// Regular expressions over the normalised text.
    pub regex: Option<Vec<Spanned<String>>>,
    /// The category: the citizen's, or one an earlier rule set.
    pub category: Option<Vec<Spanned<String>>>,
    /// Kecamatan or kelurahan, by code or name.
    pub area: Option<Vec<Spanned<String>>>,
    /// Local time range `HH:MM-HH:MM`; may wrap midnight.
    pub hours: Option<Spanned<String>>,
    /// Days of the week: `senin` .. `minggu` (or `mon` .. `sun`).
    pub days: Option<Vec<Spanned<String>>>,
    pub anonim: Option<bool>,
    pub rahasia: Option<bool>,
    pub has_attachment: Option<bool>,
    /// At least one of these groups holds.
    #[serde(default)]
    pub any: Vec<Spanned<ConditionsDef>>,
    /// Every one of these groups holds.
    #[serde(default)]
    pub all: Vec<Spanned<ConditionsDef>>,
    /// None of these groups holds.
    #[serde(default)]
    pub none: Vec<Spanned<ConditionsDef>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// Destination names from `[destinations.*]` of the configuration.
    #[serde(default)]
    pub destinations: Vec<Spanned<String>>,
    pub category: Option<Spanned<String>>,
    pub sla_class: Option<Spanned<String>>,
    /// `rendah`, `normal`, `tinggi`, `darurat`.
    pub priority: Option<Spanned<String>>,
    /// Stop at this rule (the default) or go on to the next ones.
    pub stop: Option<Spanned<bool>>,
}

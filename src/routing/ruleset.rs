//! A compiled rule set and its evaluation: rules tried in file order, each
//! matching rule's action applied, stopping at the first rule that says so,
//! the default when no rule named a destination. Pure: no I/O, no clock.

use super::condition::Condition;
use super::decision::{Decision, MatchedRule, Priority};
use super::view::{MessageView, RoutingInput, Vocabulary};
use crate::areas::Areas;
use crate::normalize::{normalize, NormalizedText};
use chrono::FixedOffset;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Action {
    pub destinations: Vec<String>,
    pub category: Option<String>,
    pub sla_class: Option<String>,
    pub priority: Option<Priority>,
    pub stop: bool,
}

impl Action {
    pub fn to(destination: String) -> Action {
        Action {
            destinations: vec![destination],
            category: None,
            sla_class: None,
            priority: None,
            stop: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub line: usize,
    pub when: Condition,
    pub then: Action,
}

pub struct RuleSet {
    rules: Vec<Rule>,
    default: Action,
    areas: Arc<Areas>,
    offset: FixedOffset,
    vocabulary: Vocabulary,
    version: String,
    source: String,
}

impl RuleSet {
    pub fn new(
        rules: Vec<Rule>,
        default: Action,
        areas: Arc<Areas>,
        offset: FixedOffset,
        vocabulary: Vocabulary,
        version: String,
        source: String,
    ) -> RuleSet {
        RuleSet {
            rules,
            default,
            areas,
            offset,
            vocabulary,
            version,
            source,
        }
    }

    /// No rules: everything to `destination`.
    pub fn builtin(destination: String, areas: Arc<Areas>, offset: FixedOffset) -> RuleSet {
        RuleSet::new(
            Vec::new(),
            Action::to(destination),
            areas,
            offset,
            Vocabulary::default(),
            "builtin".into(),
            "builtin".into(),
        )
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn areas(&self) -> &Areas {
        &self.areas
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The file the rules came from, or `builtin`.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn default_destinations(&self) -> &[String] {
        &self.default.destinations
    }

    pub fn decide(&self, input: &RoutingInput) -> Decision {
        self.decide_normalized(input, normalize(&input.text))
    }

    /// Like [`RuleSet::decide`], with `input.text` already normalised
    /// into `text`.
    pub fn decide_normalized(&self, input: &RoutingInput, text: NormalizedText) -> Decision {
        let view = MessageView::with_text(input, text, &self.vocabulary, &self.areas, self.offset);
        let mut category = input
            .category
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty());
        let mut category_set_by_rule = false;
        let mut destinations: Vec<String> = Vec::new();
        let mut sla_class = None;
        let mut priority = None;
        let mut matched = Vec::new();
        for rule in &self.rules {
            let mut reasons = Vec::new();
            if !rule.when.matches(&view, category.as_deref(), &mut reasons) {
                continue;
            }
            matched.push(MatchedRule {
                id: rule.id.clone(),
                line: rule.line,
                reasons,
            });
            let action = &rule.then;
            for d in &action.destinations {
                if !destinations.contains(d) {
                    destinations.push(d.clone());
                }
            }
            if let Some(c) = &action.category {
                if !category_set_by_rule {
                    category = Some(c.clone());
                    category_set_by_rule = true;
                }
            }
            sla_class = sla_class.or_else(|| action.sla_class.clone());
            priority = priority.or(action.priority);
            if action.stop {
                break;
            }
        }
        let default_applied = destinations.is_empty();
        if default_applied {
            destinations = self.default.destinations.clone();
        }
        if !category_set_by_rule && category.is_none() {
            category = self.default.category.clone();
        }
        Decision {
            destinations,
            matched,
            default_applied,
            category,
            sla_class: sla_class.or_else(|| self.default.sla_class.clone()),
            priority: priority.or(self.default.priority),
            kecamatan_code: view.area.as_ref().map(|a| a.kecamatan_code.clone()),
            kelurahan_code: view.area.as_ref().and_then(|a| a.kelurahan_code.clone()),
            area: view.area,
            rules_version: self.version.clone(),
        }
    }
}

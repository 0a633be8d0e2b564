//! Routing accuracy on labelled complaints: the share routed to the
//! labelled agency, the share falling to the default, per agency and
//! overall, and how often the labelled kelurahan was found. Reads no files.

use super::ruleset::RuleSet;
use super::sample::LabelledMessage;
use crate::areas::AreaRef;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// True when `agency` answers for `label`: the same id, or a sub-unit of it
/// (`kecamatan-koto-tangah` for `kecamatan`, `lapor-manual` for `lapor`).
pub fn label_matches(label: &str, agency: &str) -> bool {
    agency == label
        || agency
            .strip_prefix(label)
            .is_some_and(|rest| rest.starts_with('-'))
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    pub total: usize,
    pub correct: usize,
    pub to_default: usize,
}

impl Score {
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.total)
    }
    pub fn default_share(&self) -> f64 {
        ratio(self.to_default, self.total)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A labelled message routed elsewhere.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub line: usize,
    pub text: String,
    pub label: String,
    pub routed_to: String,
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub overall: Score,
    pub per_agency: BTreeMap<String, Score>,
    /// Messages labelled with a kelurahan the areas know.
    pub kelurahan_labelled: usize,
    pub kelurahan_found: usize,
    /// ... whose kecamatan was found (by the kelurahan or the kecamatan's name).
    pub kecamatan_found: usize,
    pub misses: Vec<Miss>,
}

/// Routes every message with `rules`; the first destination is the one
/// judged, mapped to its agency by `agency_of`.
pub fn evaluate(
    rules: &RuleSet,
    messages: &[(usize, LabelledMessage)],
    agency_of: &dyn Fn(&str) -> String,
    now: DateTime<Utc>,
) -> Report {
    let mut report = Report::default();
    for (line, m) in messages {
        let decision = rules.decide(&m.message.to_input(now));
        let routed = decision
            .destinations
            .first()
            .map(|d| agency_of(d))
            .unwrap_or_default();
        let correct = label_matches(&m.agency, &routed);
        for score in [
            &mut report.overall,
            report.per_agency.entry(m.agency.clone()).or_default(),
        ] {
            score.total += 1;
            score.correct += usize::from(correct);
            score.to_default += usize::from(decision.default_applied);
        }
        if !correct {
            report.misses.push(Miss {
                line: *line,
                text: m.message.text.clone(),
                label: m.agency.clone(),
                routed_to: routed,
                rules: decision.matched.iter().map(|r| r.id.clone()).collect(),
            });
        }
        if let Some(AreaRef::Kelurahan(code)) = m
            .kelurahan
            .as_deref()
            .and_then(|k| rules.areas().resolve(k))
        {
            report.kelurahan_labelled += 1;
            report.kelurahan_found +=
                usize::from(decision.kelurahan_code.as_deref() == Some(code.as_str()));
            report.kecamatan_found += usize::from(
                decision
                    .kecamatan_code
                    .as_deref()
                    .is_some_and(|k| code.starts_with(&format!("{k}."))),
            );
        }
    }
    report
}

impl Report {
    /// A table for people.
    pub fn render(&self, show_misses: bool) -> String {
        let mut out = String::new();
        let pct = |x: f64| format!("{:5.1}%", x * 100.0);
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>8} {:>9} {:>10}",
            "agency", "n", "correct", "accuracy", "to default"
        );
        for (agency, s) in &self.per_agency {
            let _ = writeln!(
                out,
                "{:<14} {:>5} {:>8} {:>9} {:>10}",
                agency,
                s.total,
                s.correct,
                pct(s.accuracy()),
                pct(s.default_share())
            );
        }
        let s = &self.overall;
        let _ = writeln!(
            out,
            "{:<14} {:>5} {:>8} {:>9} {:>10}",
            "overall",
            s.total,
            s.correct,
            pct(s.accuracy()),
            pct(s.default_share())
        );
        if self.kelurahan_labelled > 0 {
            let _ = writeln!(
                out,
                "\nkelurahan found {}/{} ({}), its kecamatan found {}/{} ({})",
                self.kelurahan_found,
                self.kelurahan_labelled,
                pct(ratio(self.kelurahan_found, self.kelurahan_labelled)).trim(),
                self.kecamatan_found,
                self.kelurahan_labelled,
                pct(ratio(self.kecamatan_found, self.kelurahan_labelled)).trim()
            );
        }
        if show_misses && !self.misses.is_empty() {
            let _ = writeln!(out, "\nmisrouted:");
            for m in &self.misses {
                let _ = writeln!(
                    out,
                    "  line {}: {} -> {} (rules: {}) {}",
                    m.line,
                    m.label,
                    m.routed_to,
                    if m.rules.is_empty() {
                        "-".to_string()
                    } else {
                        m.rules.join(",")
                    },
                    m.text
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::label_matches;

    #[test]
    fn sub_units_answer_for_their_label() {
        assert!(label_matches("pupr", "pupr"));
        assert!(label_matches("kecamatan", "kecamatan-koto-tangah"));
        assert!(label_matches("lapor", "lapor-manual"));
        assert!(!label_matches("dinkes", "dinsos"));
        assert!(!label_matches("kec", "kecamatan"));
    }
}

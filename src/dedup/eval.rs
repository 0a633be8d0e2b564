//! Measures duplicate linking on labelled pairs: precision, recall and F1
//! of "b joins a" decisions made by the real index and checks. Reads no
//! database; the pairs come from a JSON-lines file.

use super::place::Place;
use super::{Dedup, Report};
use crate::config::DedupConfig;
use chrono::Utc;
use serde::Deserialize;

/// One labelled pair: would `b` (another citizen, later) join `a`?
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledPair {
    pub a: Side,
    pub b: Side,
    pub duplicate: bool,
    /// What kind of variant or look-alike `b` is (reported per kind).
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Side {
    pub text: String,
    pub kelurahan: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub true_pos: usize,
    pub false_pos: usize,
    pub false_neg: usize,
    pub true_neg: usize,
    /// Pairs decided wrongly, by kind.
    pub misses: Vec<(String, bool)>,
}

impl Scores {
    pub fn precision(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_pos)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_neg)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Parses JSON lines; an error names the line.
pub fn parse(text: &str) -> Result<Vec<LabelledPair>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

fn report(side: &Side, citizen: i64, at: chrono::DateTime<Utc>) -> Report {
    Report {
        citizen_id: Some(citizen),
        place: Place {
            lat: side.lat,
            lon: side.lon,
            kelurahan_code: side.kelurahan.clone(),
        },
        category: None,
        at,
    }
}

/// Every `a` goes into one index (as a running gateway holds them); each
/// `b` is then looked up as a new report, and counts as linked to its `a`
/// when the index offers it and the place and time checks pass.
pub fn evaluate(config: &DedupConfig, pairs: &[LabelledPair]) -> Scores {
    let dedup = Dedup::new(config.clone());
    let now = Utc::now();
    let mut ids = Vec::with_capacity(pairs.len());
    let mut firsts: std::collections::HashMap<(String, Option<String>), i64> = Default::default();
    for (i, p) in pairs.iter().enumerate() {
        let key = (p.a.text.clone(), p.a.kelurahan.clone());
        let id = *firsts.entry(key).or_insert(i as i64);
        if id == i as i64 {
            if let Some(sig) = dedup.signature(&p.a.text) {
                dedup.remember(id, sig, now);
            }
        }
        ids.push(id);
    }
    let mut scores = Scores::default();
    for (p, id) in pairs.iter().zip(ids) {
        let linked = dedup.signature(&p.b.text).is_some_and(|sig| {
            dedup.candidates(&sig).iter().any(|(c, _)| *c == id)
                && dedup.same_problem(&report(&p.b, 2, now), &report(&p.a, 1, now))
        });
        match (linked, p.duplicate) {
            (true, true) => scores.true_pos += 1,
            (true, false) => scores.false_pos += 1,
            (false, true) => scores.false_neg += 1,
            (false, false) => scores.true_neg += 1,
        }
        if linked != p.duplicate {
            scores.misses.push((p.kind.clone(), p.duplicate));
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_pairs_stay_above_the_floor() {
        let pairs = parse(include_str!("../../tests/data/dedup-pairs.jsonl")).unwrap();
        assert!(pairs.len() >= 60);
        let s = evaluate(&DedupConfig::default(), &pairs);
        assert!(
            s.precision() >= 0.9,
            "precision {:.3}: {s:?}",
            s.precision()
        );
        assert!(s.recall() >= 0.8, "recall {:.3}: {s:?}", s.recall());
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = parse("{\"a\":1}\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }
}

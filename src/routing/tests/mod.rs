//! Tests of the rule engine: keywords, validation, evaluation, reload and
//! the shipped Padang rules.

mod evaluation;
mod keywords;
mod reload;
mod shipped;
mod validation;

use super::*;
use crate::areas::{Areas, Gazetteer};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

pub const DESTINATIONS: &[&str] = &["koordinator", "pupr", "dlh", "bpbd", "lapor", "kec"];

/// Two kecamatan with two kelurahan each.
pub fn areas() -> Arc<Areas> {
    let g = Gazetteer::from_rows(
        &[
            ("13.71.11.1009", "13.71.11", "Koto Tangah", "Lubuk Buaya"),
            ("13.71.11.1013", "13.71.11", "Koto Tangah", "Pasie Nan Tigo"),
            (
                "13.71.04.1001",
                "13.71.04",
                "Padang Utara",
                "Air Tawar Timur",
            ),
            (
                "13.71.04.1002",
                "13.71.04",
                "Padang Utara",
                "Air Tawar Barat",
            ),
        ],
        &[],
    )
    .unwrap();
    Arc::new(Areas::new(g, Default::default()))
}

pub fn context() -> CompileContext {
    CompileContext {
        destinations: DESTINATIONS.iter().map(|s| s.to_string()).collect(),
        default_destination: "koordinator".into(),
        areas: areas(),
        utc_offset: chrono::FixedOffset::east_opt(7 * 3600).unwrap(),
    }
}

pub fn rules(text: &str) -> RuleSet {
    compile("rules.toml", text, version_of(text), &context())
        .unwrap_or_else(|e| panic!("rules should be valid:\n{e}"))
}

pub fn errors(text: &str) -> LoadError {
    match compile("rules.toml", text, version_of(text), &context()) {
        Ok(_) => panic!("rules should be refused:\n{text}"),
        Err(e) => e,
    }
}

/// Monday 5 January 2026, 10:00 in Padang (03:00 UTC).
pub fn monday_10am() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap()
}

pub fn input(text: &str) -> RoutingInput {
    RoutingInput {
        text: text.into(),
        address: None,
        channel: adapters::Channel::Webform,
        account: "web".into(),
        category: None,
        pin: None,
        anonim: false,
        rahasia: false,
        has_attachment: false,
        at: monday_10am(),
    }
}

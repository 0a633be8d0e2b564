//! `satupintu rules ...`: check a rules file, try it on messages without
//! effect (and compare it with another), and measure its accuracy on
//! labelled complaints. Reads files and prints; never touches the database.

use crate::config::{Config, DestinationConfig};
use crate::routing::accuracy;
use crate::routing::sample::{LabelledMessage, SampleMessage};
use crate::routing::{Decision, RoutingSource, RuleSet};
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check a rules file against the configuration and the areas.
    Check {
        /// The rules file (TOML).
        file: PathBuf,
        /// Areas directory (default: routing.areas_dir of the configuration).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Route messages with a rules file and print each decision as JSON;
    /// nothing is stored or sent.
    Test {
        /// The rules file to try.
        #[arg(long)]
        rules: PathBuf,
        /// One message as JSON: {"text": "...", "channel": "whatsapp", ...}.
        #[arg(
            long,
            conflicts_with = "messages",
            required_unless_present = "messages"
        )]
        message: Option<String>,
        /// A file with one JSON message per line.
        #[arg(long)]
        messages: Option<PathBuf>,
        /// Another rules file (e.g. the one in force): print only the
        /// messages whose decision differs, before (OTHER) and after (--rules).
        #[arg(long, value_name = "OTHER_RULES_FILE")]
        against: Option<PathBuf>,
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Measure routing accuracy on labelled messages (JSON lines with
    /// `text` and `agency`, optionally `kelurahan`).
    Eval {
        #[arg(long)]
        rules: PathBuf,
        #[arg(long)]
        labelled: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// List the misrouted messages.
        #[arg(long)]
        misses: bool,
        #[arg(long)]
        areas: Option<PathBuf>,
    },
}

fn source(config: &Config, rules: &Path, areas: Option<&Path>) -> RoutingSource {
    let mut s = RoutingSource::from_config(config).with_rules_file(rules);
    if let Some(dir) = areas {
        s.areas_dir = dir.to_path_buf();
    }
    s
}

/// Loads a rules file; a missing one is an error here.
fn load(config: &Config, rules: &Path, areas: Option<&Path>) -> Result<RuleSet, String> {
    match source(config, rules, areas).load() {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(format!(
            "{}: berkas tidak ada / file not found",
            rules.display()
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    for line in message.lines() {
        eprintln!("satupintu: {line}");
    }
    ExitCode::from(2)
}

pub fn run(config: &Config, cmd: RulesCommand) -> ExitCode {
    match cmd {
        RulesCommand::Check { file, areas } => match load(config, &file, areas.as_deref()) {
            Ok(rules) => {
                let a = rules.areas();
                println!(
                    "{}: valid / sah: {} rule(s), {} kecamatan, {} kelurahan, {} polygon(s), version {}",
                    file.display(),
                    rules.rules().len(),
                    a.gazetteer().kecamatan().count(),
                    a.gazetteer().kelurahan().count(),
                    a.polygons().len(),
                    rules.version()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        RulesCommand::Test {
            rules,
            message,
            messages,
            against,
            areas,
        } => test(config, &rules, message, messages, against, areas.as_deref()),
        RulesCommand::Eval {
            rules,
            labelled,
            json,
            misses,
            areas,
        } => eval(config, &rules, &labelled, json, misses, areas.as_deref()),
    }
}

/// Numbered non-empty lines of a JSON-lines file.
fn json_lines(path: &Path) -> Result<Vec<(usize, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect())
}

/// The parts of a decision an operator compares.
fn brief(d: &Decision) -> serde_json::Value {
    json!({
        "destinations": d.destinations,
        "rules": d.matched_ids(),
        "default": d.default_applied,
        "category": d.category,
        "sla_class": d.sla_class,
        "priority": d.priority,
        "kecamatan_code": d.kecamatan_code,
        "kelurahan_code": d.kelurahan_code,
    })
}

fn test(
    config: &Config,
    rules_file: &Path,
    message: Option<String>,
    messages: Option<PathBuf>,
    against: Option<PathBuf>,
    areas: Option<&Path>,
) -> ExitCode {
    let rules = match load(config, rules_file, areas) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let other = match against
        .as_deref()
        .map(|f| load(config, f, areas))
        .transpose()
    {
        Ok(o) => o,
        Err(e) => return fail(&e),
    };
    let lines = match (message, messages) {
        (Some(m), _) => vec![(1, m)],
        (None, Some(file)) => match json_lines(&file) {
            Ok(l) => l,
            Err(e) => return fail(&e),
        },
        (None, None) => {
            return fail(
                "--message atau --messages diperlukan / --message or --messages is required",
            )
        }
    };
    let now = chrono::Utc::now();
    let (mut changed, mut bad) = (0usize, 0usize);
    for (line, text) in &lines {
        let sample = match SampleMessage::parse(text) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("satupintu: line {line}: {e}");
                bad += 1;
                continue;
            }
        };
        let input = sample.to_input(now);
        let after = rules.decide(&input);
        match &other {
            None => {
                let mut out = serde_json::to_value(&after).unwrap_or_default();
                out["line"] = json!(line);
                println!("{out}");
            }
            Some(before_rules) => {
                let before = before_rules.decide(&input);
                let (b, a) = (brief(&before), brief(&after));
                if b != a {
                    changed += 1;
                    println!(
                        "{}",
                        json!({"line": line, "text": sample.text, "before": b, "after": a})
                    );
                }
            }
        }
    }
    if other.is_some() {
        eprintln!(
            "{} message(s), {changed} decision(s) change / {changed} keputusan berubah",
            lines.len() - bad
        );
    }
    if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The agency a destination delivers to: its queue's agency, `lapor` for
/// the LAPOR! API, else the destination's own name.
fn agency_of(config: &Config, destination: &str) -> String {
    match config.destinations.get(destination) {
        Some(DestinationConfig::AgencyQueue { agency }) => agency.clone(),
        Some(DestinationConfig::Lapor(_)) => "lapor".into(),
        _ => destination.to_string(),
    }
}

fn eval(
    config: &Config,
    rules_file: &Path,
    labelled: &Path,
    as_json: bool,
    show_misses: bool,
    areas: Option<&Path>,
) -> ExitCode {
    let rules = match load(config, rules_file, areas) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let lines = match json_lines(labelled) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let mut messages = Vec::with_capacity(lines.len());
    for (line, text) in lines {
        match serde_json::from_str::<LabelledMessage>(&text) {
            Ok(m) => messages.push((line, m)),
            Err(e) => return fail(&format!("{}:{line}: {e}", labelled.display())),
        }
    }
    let report = accuracy::evaluate(
        &rules,
        &messages,
        &|d| agency_of(config, d),
        chrono::Utc::now(),
    );
    if as_json {
        let mut out = serde_json::to_value(&report).unwrap_or_default();
        out["accuracy"] = json!(report.overall.accuracy());
        out["default_share"] = json!(report.overall.default_share());
        out["rules_version"] = json!(rules.version());
        println!("{out}");
    } else {
        println!(
            "rules {} ({}) on {}",
            rules_file.display(),
            rules.version(),
            labelled.display()
        );
        print!("{}", report.render(show_misses));
    }
    ExitCode::SUCCESS
}

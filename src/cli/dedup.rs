//! `satupintu dedup eval`: precision and recall of duplicate linking on a
//! labelled file, with the configured thresholds. Reads no database.

use super::fail;
use crate::config::Config;
use crate::dedup::eval::{evaluate, parse};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DedupCommand {
    /// Precision, recall and F1 on labelled pairs (JSON lines:
    /// `{"a":{"text","kelurahan"},"b":{...},"duplicate":true,"kind":"..."}`).
    Eval {
        #[arg(long)]
        labelled: PathBuf,
    },
}

pub fn run(config: &Config, cmd: DedupCommand) -> ExitCode {
    let DedupCommand::Eval { labelled } = cmd;
    let text = match std::fs::read_to_string(&labelled) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", labelled.display())),
    };
    let pairs = match parse(&text) {
        Ok(p) => p,
        Err(e) => return fail(format!("{}: {e}", labelled.display())),
    };
    let s = evaluate(&config.dedup, &pairs);
    println!(
        "pairs: {} ({} duplicate)",
        pairs.len(),
        pairs.iter().filter(|p| p.duplicate).count()
    );
    println!(
        "true positives {}, false positives {}, false negatives {}, true negatives {}",
        s.true_pos, s.false_pos, s.false_neg, s.true_neg
    );
    let mut kinds: std::collections::BTreeMap<(&str, bool), usize> = Default::default();
    for (kind, dup) in &s.misses {
        *kinds.entry((kind.as_str(), *dup)).or_default() += 1;
    }
    for ((kind, dup), n) in kinds {
        let what = if dup { "missed" } else { "wrongly linked" };
        println!("  {what}: {n} {kind}");
    }
    println!(
        "precision {:.3}  recall {:.3}  F1 {:.3}",
        s.precision(),
        s.recall(),
        s.f1()
    );
    ExitCode::SUCCESS
}

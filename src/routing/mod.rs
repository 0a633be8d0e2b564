//! Routing: which destinations a new complaint goes to, and why, by the
//! rules operators write (`config/rules.toml`). Owns loading, checking,
//! evaluating and atomically replacing the rule set; never touches the
//! database or sends anything.

pub mod accuracy;
mod compile;
mod condition;
pub mod decision;
mod error;
mod model;
pub mod reload;
mod ruleset;
pub mod sample;
mod shadow;
mod view;

pub use compile::{compile, CompileContext};
pub use decision::{Decision, MatchedRule, Priority, Reason};
pub use error::{LoadError, RuleError};
pub use ruleset::{Rule, RuleSet};
pub use view::RoutingInput;

use crate::areas::Areas;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::normalize::{normalize, NormalizedText};
use arc_swap::ArcSwap;
use chrono::FixedOffset;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where the rules and areas come from and what they are checked against.
#[derive(Debug, Clone)]
pub struct RoutingSource {
    pub rules_file: PathBuf,
    pub areas_dir: PathBuf,
    pub destinations: BTreeSet<String>,
    pub default_destination: String,
    pub utc_offset: FixedOffset,
}

impl RoutingSource {
    pub fn from_config(config: &Config) -> RoutingSource {
        RoutingSource {
            rules_file: config.routing.rules_file.clone(),
            areas_dir: config.routing.areas_dir.clone(),
            destinations: config.destinations.keys().cloned().collect(),
            default_destination: config.dispatch.default_destination.clone(),
            utc_offset: config.city.utc_offset.offset(),
        }
    }

    /// The same source reading another rules file (`rules check FILE`).
    pub fn with_rules_file(mut self, file: &Path) -> RoutingSource {
        self.rules_file = file.to_path_buf();
        self
    }

    fn context(&self) -> Result<CompileContext, LoadError> {
        let areas = Areas::load(&self.areas_dir).map_err(|e| {
            LoadError::single(
                &e.file.display().to_string(),
                "areas",
                format!(
                    "{}berkas wilayah tidak sah / invalid area file: {}",
                    e.line.map(|l| format!("line {l}: ")).unwrap_or_default(),
                    e.message
                ),
            )
        })?;
        Ok(CompileContext {
            destinations: self.destinations.clone(),
            default_destination: self.default_destination.clone(),
            areas: Arc::new(areas),
            utc_offset: self.utc_offset,
        })
    }

    /// Reads and checks the rules file. `Ok(None)` when it does not exist.
    pub fn load(&self) -> Result<Option<RuleSet>, LoadError> {
        let name = self.rules_file.display().to_string();
        let text = match std::fs::read_to_string(&self.rules_file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(LoadError::single(
                    &name,
                    "io",
                    format!("tidak bisa dibaca / cannot be read: {e}"),
                ))
            }
        };
        if text.trim().is_empty() {
            // An empty file is far more often an editor halfway through
            // saving than a wish to route nothing: refuse it.
            return Err(LoadError::single(
                &name,
                "empty",
                "berkas aturan kosong / the rules file is empty".into(),
            ));
        }
        let ctx = self.context()?;
        compile(&name, &text, version_of(&text), &ctx).map(Some)
    }

    /// A hash of the rules file and every area file as they are now.
    pub fn fingerprint(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(std::fs::read(&self.rules_file).unwrap_or_default());
        let mut files: Vec<_> = std::fs::read_dir(&self.areas_dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            hash.update(f.as_os_str().as_encoded_bytes());
            hash.update(std::fs::read(&f).unwrap_or_default());
        }
        hex::encode(hash.finalize())
    }

    /// The rule set in force without a rules file: everything to the default.
    pub fn builtin(&self) -> Result<RuleSet, LoadError> {
        let ctx = self.context()?;
        Ok(RuleSet::builtin(
            self.default_destination.clone(),
            ctx.areas,
            self.utc_offset,
        ))
    }
}

/// `sha256:` and the first 12 hex digits of the text's hash.
pub fn version_of(text: &str) -> String {
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    format!("sha256:{}", &hash[..12])
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// A new rule set is in force.
    Applied { version: String, rules: usize },
    /// The file did not change.
    Unchanged,
}

/// The rule set in force, replaced as a whole and never in part: a
/// decision reads one snapshot from start to end.
pub struct Routing {
    current: ArcSwap<RuleSet>,
    source: Option<RoutingSource>,
    metrics: Metrics,
    reloading: Mutex<()>,
    /// Fingerprint of the files last read (see [`RoutingSource::fingerprint`]).
    last_read: Mutex<String>,
}

impl Routing {
    /// Loads the rules file (or runs on the default destination when it
    /// does not exist). An invalid file is an error: nothing starts on it.
    pub fn load(source: RoutingSource, metrics: Metrics) -> Result<Routing, LoadError> {
        let fingerprint = source.fingerprint();
        let rules = match source.load()? {
            Some(r) => r,
            None => {
                tracing::warn!(
                    file = %source.rules_file.display(),
                    destination = %source.default_destination,
                    "no rules file; every complaint goes to the default destination"
                );
                source.builtin()?
            }
        };
        metrics.set_rules_active(rules.rules().len());
        Ok(Routing {
            current: ArcSwap::from_pointee(rules),
            source: Some(source),
            metrics,
            reloading: Mutex::new(()),
            last_read: Mutex::new(fingerprint),
        })
    }

    /// A fixed rule set that never reloads (tests, `rules test`).
    pub fn fixed(rules: RuleSet) -> Routing {
        Routing {
            current: ArcSwap::from_pointee(rules),
            source: None,
            metrics: Metrics::new(),
            reloading: Mutex::new(()),
            last_read: Mutex::new(String::new()),
        }
    }

    pub fn source(&self) -> Option<&RoutingSource> {
        self.source.as_ref()
    }

    /// The rule set in force now.
    pub fn current(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Routes one message.
    pub fn decide(&self, message: &adapters::InboundMessage) -> Decision {
        self.decide_input(&RoutingInput::from(message))
    }

    /// Decides without counting the decision: for work done ahead, in
    /// case the message turns out to be a follow-up. [`Self::count`] it
    /// when it is used. `text` is the message's text normalised (the
    /// caller needs it too), so that it is not done twice.
    pub fn decide_ahead(
        &self,
        message: &adapters::InboundMessage,
        text: NormalizedText,
    ) -> Decision {
        let input = RoutingInput::from(message);
        let whole = match &message.title {
            // The input's text is the title, a line break and the text:
            // normalisation works word by word, so its words are the
            // title's followed by the text's.
            Some(title) if !title.trim().is_empty() => normalize(title).then(text),
            _ => text,
        };
        self.current.load().decide_normalized(&input, whole)
    }

    pub fn count(&self, decision: &Decision) {
        self.metrics.routing_decision(decision.default_applied);
    }

    pub fn decide_input(&self, input: &RoutingInput) -> Decision {
        let rules = self.current.load();
        let decision = rules.decide(input);
        self.metrics.routing_decision(decision.default_applied);
        decision
    }

    /// Puts `rules` in force at once.
    pub fn replace(&self, rules: RuleSet) {
        self.metrics.set_rules_active(rules.rules().len());
        self.current.store(Arc::new(rules));
    }

    /// Reloads when the rules file or an area file differs from the last
    /// ones read, whether they were taken or refused.
    pub fn reload_if_changed(&self) -> Result<Reloaded, LoadError> {
        let Some(source) = &self.source else {
            return Ok(Reloaded::Unchanged);
        };
        let now = source.fingerprint();
        if *self.last_read.lock().unwrap_or_else(|e| e.into_inner()) == now {
            return Ok(Reloaded::Unchanged);
        }
        self.reload()
    }

    /// Reads the rules file again. A valid file replaces the rule set in
    /// force; an invalid or missing one is refused, logged and counted,
    /// and the rule set in force stays.
    pub fn reload(&self) -> Result<Reloaded, LoadError> {
        let Some(source) = &self.source else {
            return Ok(Reloaded::Unchanged);
        };
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        *self.last_read.lock().unwrap_or_else(|e| e.into_inner()) = source.fingerprint();
        let result = match source.load() {
            Ok(Some(rules)) => Ok(rules),
            Ok(None) if self.current().version() == "builtin" => {
                return Ok(Reloaded::Unchanged);
            }
            Ok(None) => Err(LoadError::single(
                &source.rules_file.display().to_string(),
                "missing",
                "berkas aturan tidak ada; aturan lama tetap berlaku / rules file is missing; the rules in force stay".into(),
            )),
            Err(e) => Err(e),
        };
        match result {
            Ok(rules) => {
                let version = rules.version().to_string();
                let count = rules.rules().len();
                self.replace(rules);
                self.metrics.rules_reload("applied", "none");
                tracing::info!(%version, rules = count, "routing rules reloaded");
                Ok(Reloaded::Applied {
                    version,
                    rules: count,
                })
            }
            Err(e) => {
                self.metrics.rules_reload("refused", e.kind());
                for problem in &e.errors {
                    tracing::error!(
                        file = %problem.file,
                        line = problem.line,
                        rule = problem.rule.as_deref().unwrap_or("-"),
                        "routing rules refused, the rules in force stay: {}",
                        problem.message
                    );
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! Errors in a rules file, each naming the file, the line and the rule,
//! in Bahasa Indonesia first and English after. Only reporting lives here.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    /// 1-based line; 0 when the problem is the file as a whole.
    pub line: usize,
    /// The rule's id, when the problem is in a rule.
    pub rule: Option<String>,
    /// What is wrong: `<Indonesian> / <English>`.
    pub message: String,
    /// A short machine name for metrics: `syntax`, `destination`, `regex`...
    pub kind: &'static str,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": aturan/rule `{rule}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a rules file was refused: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub errors: Vec<RuleError>,
}

impl LoadError {
    pub fn single(file: &str, kind: &'static str, message: String) -> LoadError {
        LoadError {
            errors: vec![RuleError {
                file: file.to_string(),
                line: 0,
                rule: None,
                message,
                kind,
            }],
        }
    }

    /// The kind of the first problem, for metrics.
    pub fn kind(&self) -> &'static str {
        self.errors.first().map(|e| e.kind).unwrap_or("unknown")
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The 1-based line holding byte `offset` of `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

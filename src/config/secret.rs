//! Secrets named in configuration: read from an environment variable or a
//! file, never written in the configuration itself, never printed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Where a secret is read from. Exactly one of `env` and `file` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// Name of the environment variable that holds the secret.
    pub env: Option<String>,
    /// Path of a file whose content (trimmed) is the secret.
    pub file: Option<PathBuf>,
}

/// A secret the configuration names, with its key (`destinations.lapor.token`).
pub type NamedSecret<'a> = (String, &'a SecretRef);

/// A secret value. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl SecretRef {
    /// Reads the secret; the error says which key and source failed, never the value.
    pub fn resolve(&self, key: &str) -> Result<Secret, String> {
        match (&self.env, &self.file) {
            (Some(var), None) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                Ok(_) => Err(format!("{key}: environment variable `{var}` is empty")),
                Err(_) => Err(format!("{key}: environment variable `{var}` is not set")),
            },
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
                Ok(_) => Err(format!("{key}: secret file `{}` is empty", path.display())),
                Err(e) => Err(format!(
                    "{key}: cannot read secret file `{}`: {e}",
                    path.display()
                )),
            },
            (Some(_), Some(_)) => Err(format!("{key}: set either `env` or `file`, not both")),
            (None, None) => Err(format!("{key}: set `env` or `file`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }

    #[test]
    fn resolves_from_file_and_names_the_key_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc\n").unwrap();
        let r = SecretRef {
            env: None,
            file: Some(path),
        };
        assert_eq!(r.resolve("k").unwrap().expose(), "abc");
        let missing = SecretRef {
            env: Some("SATUPINTU_TEST_SURELY_UNSET".into()),
            file: None,
        };
        let e = missing.resolve("destinations.lapor.token").unwrap_err();
        assert!(
            e.contains("destinations.lapor.token") && e.contains("SATUPINTU_TEST_SURELY_UNSET")
        );
        assert!(SecretRef::default().resolve("k").is_err());
    }
}

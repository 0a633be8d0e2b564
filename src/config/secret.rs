//! Secrets named in configuration: read from an environment variable or a
//! file, never written in the configuration itself, never printed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
            _ => Err(self.shape_problem(key).unwrap_or_default()),
        }
    }

    /// What is wrong with where the secret is to be read from, before
    /// anything is read: exactly one of `env` and `file` must be set.
    pub fn shape_problem(&self, key: &str) -> Option<String> {
        match (&self.env, &self.file) {
            (Some(_), None) | (None, Some(_)) => None,
            (Some(_), Some(_)) => Some(format!("{key}: set either `env` or `file`, not both")),
            (None, None) => Some(format!(
                "{key}: required; name where it is read from, e.g. {{ env = \"{}\" }}",
                env_hint(key)
            )),
        }
    }
}

/// A variable name to suggest for `key`: `channels.whatsapp.app_secret`
/// gives `SATUPINTU_WHATSAPP_APP_SECRET`.
fn env_hint(key: &str) -> String {
    let key = key.strip_prefix("channels.").unwrap_or(key);
    let words: Vec<String> = key
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    format!("SATUPINTU_{}", words.join("_"))
}

/// Every secret start-up uses, read once: those [`super::Config::secrets`]
/// lists. Each part of the gateway takes its own by key, so a key read at
/// start that the list lacks fails at once, in every test that starts that
/// part, instead of going unread by `config check`.
#[derive(Debug, Clone, Default)]
pub struct Secrets(BTreeMap<String, Secret>);

impl Secrets {
    /// Reads every one of `named`; the error names each that cannot be
    /// read, never a value.
    pub fn read(named: Vec<NamedSecret<'_>>) -> Result<Secrets, Vec<String>> {
        let mut secrets = BTreeMap::new();
        let mut problems = Vec::new();
        for (key, secret) in named {
            match secret.resolve(&key) {
                Ok(value) => {
                    secrets.insert(key, value);
                }
                Err(e) => problems.push(e),
            }
        }
        match problems.is_empty() {
            true => Ok(Secrets(secrets)),
            false => Err(problems),
        }
    }

    /// How many were read.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The secret under `key`.
    pub fn get(&self, key: &str) -> Result<Secret, String> {
        self.0.get(key).cloned().ok_or_else(|| {
            format!(
                "{key}: not among the secrets read at start (`Config::secrets` does not list it)"
            )
        })
    }

    /// The value under `key`, for a client that takes a string.
    pub fn value(&self, key: &str) -> Result<String, String> {
        self.get(key).map(|s| s.0)
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
        let none = SecretRef::default().resolve("channels.sms.instances[0].auth_token");
        assert_eq!(
            none.unwrap_err(),
            "channels.sms.instances[0].auth_token: required; name where it is read from, \
             e.g. { env = \"SATUPINTU_SMS_INSTANCES_0_AUTH_TOKEN\" }"
        );
        let both = SecretRef {
            env: Some("X".into()),
            file: Some("x".into()),
        };
        assert!(both.shape_problem("k").unwrap().contains("not both"));
    }

    #[test]
    fn secrets_are_read_once_and_taken_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, value: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, value).unwrap();
            SecretRef {
                env: None,
                file: Some(path),
            }
        };
        let (token, secret) = (file("token", "abc\n"), file("secret", "s3cr3t"));
        let secrets = Secrets::read(vec![
            ("destinations.lapor.token".into(), &token),
            ("channels.whatsapp.app_secret".into(), &secret),
        ])
        .unwrap();
        assert_eq!(secrets.len(), 2);
        assert_eq!(secrets.value("destinations.lapor.token").unwrap(), "abc");
        let unlisted = secrets.get("channels.telegram.token").unwrap_err();
        assert!(unlisted.contains("channels.telegram.token") && unlisted.contains("does not list"));
        assert!(!format!("{secrets:?}").contains("s3cr3t"), "{secrets:?}");

        // Every secret that cannot be read is named, not only the first.
        let (empty, unset) = (file("empty", " \n"), SecretRef::default());
        let problems = Secrets::read(vec![
            ("a.token".into(), &token),
            ("b.token".into(), &empty),
            ("c.token".into(), &unset),
        ])
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("b.token") && problems[1].starts_with("c.token"));
    }
}

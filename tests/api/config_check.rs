//! `satupintu config check` reads every secret start-up reads: each
//! channel's, each destination's and each agency's queue token. A missing
//! or empty one is named by its key, and no secret's value is printed.

use crate::helpers::{tempdir, test_config, write_config, Backend, TestDb};
use std::path::Path;
use std::process::Command;

/// Every secret of the configuration below: (environment variable, key).
const SECRETS: &[(&str, &str)] = &[
    ("CHECK_WA_APP_SECRET", "channels.whatsapp.app_secret"),
    ("CHECK_WA_VERIFY", "channels.whatsapp.verify_token"),
    ("CHECK_WA_ACCESS", "channels.whatsapp.access_token"),
    ("CHECK_TG_TOKEN", "channels.telegram.token"),
    ("CHECK_TG_HOOK", "channels.telegram.webhook_secret"),
    ("CHECK_SMTP", "channels.email.smtp.password"),
    ("CHECK_IMAP", "channels.email.imap.password"),
    ("CHECK_KANNEL_PW", "channels.sms.instances[0].password"),
    ("CHECK_KANNEL_TOKEN", "channels.sms.instances[0].token"),
    ("CHECK_TWILIO", "channels.sms.instances[1].auth_token"),
    ("CHECK_PHONE", "channels.sms.instances[2].secret"),
    ("CHECK_WAGW_SECRET", "channels.sms.instances[3].secret"),
    ("CHECK_WAGW_TOKEN", "channels.sms.instances[3].reply_token"),
    ("CHECK_LAPOR", "destinations.lapor-api.token"),
    (
        "CHECK_LAPOR_CALLBACK",
        "destinations.lapor-api.callback_token",
    ),
    ("CHECK_HOOK", "destinations.hook.secret"),
];

const CHANNELS: &str = r#"
[channels.whatsapp]
app_secret = { env = "CHECK_WA_APP_SECRET" }
verify_token = { env = "CHECK_WA_VERIFY" }
access_token = { env = "CHECK_WA_ACCESS" }
[[channels.whatsapp.accounts]]
phone_number_id = "106540352242922"
name = "Pengaduan Wali Kota"

[channels.telegram]
account = "LaporPadangBot"
token = { env = "CHECK_TG_TOKEN" }
mode = "webhook"
webhook_secret = { env = "CHECK_TG_HOOK" }

[channels.email.imap]
host = "imap.padang.go.id"
user = "pengaduan@padang.go.id"
password = { env = "CHECK_IMAP" }
[channels.email.smtp]
host = "smtp.padang.go.id"
user = "pengaduan@padang.go.id"
password = { env = "CHECK_SMTP" }
from_address = "pengaduan@padang.go.id"

[[channels.sms.instances]]
name = "modem"
provider = "kannel"
sendsms_url = "http://127.0.0.1:13013/cgi-bin/sendsms"
username = "satupintu"
password = { env = "CHECK_KANNEL_PW" }
token = { env = "CHECK_KANNEL_TOKEN" }
[[channels.sms.instances]]
name = "twilio"
provider = "twilio"
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = { env = "CHECK_TWILIO" }
from = "+6281100012345"
[[channels.sms.instances]]
name = "android"
provider = "smssync"
secret = { env = "CHECK_PHONE" }
[[channels.sms.instances]]
name = "wa-gateway"
provider = "mapped"
secret = { env = "CHECK_WAGW_SECRET" }
reply_token = { env = "CHECK_WAGW_TOKEN" }
[channels.sms.instances.inbound]
format = "json"
auth = { kind = "header", header = "X-Webhook-Secret" }
fields = { sender = "sender", text = "message", external_id = "inboxid" }
[channels.sms.instances.reply]
url = "https://gateway.example/api/send"
content_type = "application/json"
body = '{"target":"{to_digits}","message":"{text}"}'
headers = { Authorization = "{token}" }

[destinations.lapor-api]
kind = "lapor"
base_url = "https://www.lapor.go.id"
token = { env = "CHECK_LAPOR" }
callback_token = { env = "CHECK_LAPOR_CALLBACK" }

[destinations.hook]
kind = "webhook"
url = "https://opd.padang.go.id/pengaduan"
secret = { env = "CHECK_HOOK" }
"#;

/// `config check` with `set` given as environment variables; (success,
/// stdout, stderr).
fn check(config: &Path, set: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_satupintu"));
    command
        .arg("--config")
        .arg(config)
        .args(["config", "check"]);
    for (var, _) in SECRETS {
        command.env_remove(var);
    }
    command.envs(set.iter().copied());
    let out = command.output().expect("run the satupintu binary");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A value for each secret, unlike any other text of the output.
fn value(var: &str) -> String {
    format!("nilai-rahasia-{}", var.to_lowercase())
}

#[tokio::test]
async fn config_check_reads_every_secret_start_up_reads() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let path = dir.path().join("satupintu.toml");
    write_config(&test_config(&db, dir.path(), None), &path);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(CHANNELS);
    std::fs::write(&path, text).unwrap();

    let values: Vec<(String, String)> = SECRETS
        .iter()
        .map(|(var, _)| (var.to_string(), value(var)))
        .collect();
    let all: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (ok, out, err) = check(&path, &all);
    assert!(ok, "every secret is set: {err}");
    assert!(out.contains("configuration is valid"), "{out}");
    // The agency `pupr` reads its queue token from a file.
    assert!(
        out.contains(&format!("{} secret(s) read", SECRETS.len() + 1)),
        "{out}"
    );

    // None set: each is named by its key and its variable.
    let (ok, _, err) = check(&path, &[]);
    assert!(!ok);
    for (var, key) in SECRETS {
        assert!(
            err.contains(&format!("{key}: environment variable `{var}` is not set")),
            "{key} missing from:\n{err}"
        );
    }

    // One empty, the others set: only that one is named, and no value is
    // printed.
    for (var, key) in SECRETS {
        let mut set = all.clone();
        set.retain(|(v, _)| v != var);
        set.push((var, " "));
        let (ok, out, err) = check(&path, &set);
        assert!(!ok, "{key} empty");
        assert_eq!(
            err.trim(),
            format!(
                "satupintu: invalid configuration: {key}: environment variable `{var}` is empty"
            ),
        );
        for (_, v) in &values {
            assert!(!out.contains(v) && !err.contains(v), "a secret printed");
        }
    }
}

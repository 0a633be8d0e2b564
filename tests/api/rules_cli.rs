//! The rules commands of the real binary: check a file, try it on
//! messages (and against another file), measure accuracy.

use crate::helpers::*;
use crate::routing::RULES;
use serde_json::{json, Value};

#[tokio::test]
async fn rules_check_test_and_eval_commands() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let config = write_config(
        &test_config(&db, dir.path(), None),
        &dir.path().join("satupintu.toml"),
    );
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let rules = rules.to_str().unwrap();

    let (ok, out, _) = run_cli(&config, &["rules", "check", rules]);
    assert!(ok, "{out}");
    assert!(out.contains("2 rule(s)"), "{out}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!("{RULES}\n[[rule]]\nid = \"salah\"\ndescription = \"d\"\nwhen.regex = [\"(\"]\nthen.destinations = [\"dinas-x\"]\n"),
    )
    .unwrap();
    let (ok, _, err) = run_cli(&config, &["rules", "check", broken.to_str().unwrap()]);
    assert!(!ok);
    let at = format!("{}:", broken.display());
    let regex_line = RULES.lines().count() + 5;
    assert!(
        err.contains(&format!("{at}{regex_line}: aturan/rule `salah`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{at}{}: aturan/rule `salah`", regex_line + 1)),
        "{err}"
    );
    assert!(err.contains("dinas-x"), "{err}");

    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "test",
            "--rules",
            rules,
            "--message",
            r#"{"text": "jalannya berlubang di Kel. Lubuk Buaya", "channel": "whatsapp"}"#,
        ],
    );
    assert!(ok, "{err}");
    let decision: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(decision["destinations"], json!(["pupr"]));
    assert_eq!(decision["matched"][0]["id"], "jalan");
    assert_eq!(decision["kelurahan_code"], "13.71.11.1009");

    // --against prints only what changes.
    let messages = dir.path().join("messages.jsonl");
    std::fs::write(
        &messages,
        "{\"text\": \"sampah menumpuk\"}\n{\"text\": \"jalan rusak\"}\n\n{\"text\": \"lampu mati\"}\n",
    )
    .unwrap();
    let changed = dir.path().join("changed.toml");
    std::fs::write(
        &changed,
        RULES.replace(
            "then.destinations = [\"dlh\"]",
            "then.destinations = [\"pupr\"]",
        ),
    )
    .unwrap();
    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "test",
            "--rules",
            changed.to_str().unwrap(),
            "--messages",
            messages.to_str().unwrap(),
            "--against",
            rules,
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["before"]["destinations"], json!(["dlh"]));
    assert_eq!(lines[0]["after"]["destinations"], json!(["pupr"]));
    assert!(err.contains("3 message(s), 1 decision(s) change"), "{err}");

    let labelled = dir.path().join("labelled.jsonl");
    std::fs::write(
        &labelled,
        "{\"text\": \"sampah menumpuk\", \"agency\": \"dlh\"}\n{\"text\": \"jalan rusak\", \"agency\": \"pupr\"}\n{\"text\": \"lampu mati\", \"agency\": \"dishub\"}\n",
    )
    .unwrap();
    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "eval",
            "--rules",
            rules,
            "--labelled",
            labelled.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["overall"]["total"], 3);
    assert_eq!(report["overall"]["correct"], 2);
    assert_eq!(report["overall"]["to_default"], 1);
    assert_eq!(report["misses"][0]["label"], "dishub");
}

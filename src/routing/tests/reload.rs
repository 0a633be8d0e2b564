//! Reloading: a valid file replaces the rule set at once; an invalid one
//! never does, and the rules in force keep deciding as before.

use super::*;
use proptest::prelude::*;
use std::path::Path;

fn source(dir: &Path) -> RoutingSource {
    RoutingSource {
        rules_file: dir.join("rules.toml"),
        areas_dir: dir.join("areas"),
        destinations: DESTINATIONS.iter().map(|s| s.to_string()).collect(),
        default_destination: "koordinator".into(),
        utc_offset: chrono::FixedOffset::east_opt(7 * 3600).unwrap(),
    }
}

const WORDS: &[&str] = &[
    "sampah", "banjir", "jalan", "lampu", "air", "sekolah", "pasar", "pohon",
];

/// A valid file: one rule per distinct keyword, so none hides another.
fn valid_file(picks: &[(usize, usize)]) -> String {
    let mut out = String::from("[default]\ndestinations = [\"koordinator\"]\n");
    let mut used = std::collections::HashSet::new();
    for (i, (w, d)) in picks.iter().enumerate() {
        let word = WORDS[*w % WORDS.len()];
        if !used.insert(word) {
            continue;
        }
        let dest = DESTINATIONS[*d % DESTINATIONS.len()];
        out.push_str(&format!(
            "\n[[rule]]\nid = \"r{i}\"\ndescription = \"rule {i}\"\nwhen.keywords = [\"{word}\"]\nthen.destinations = [\"{dest}\"]\n"
        ));
    }
    out
}

/// Ways an operator breaks a file.
fn corrupt(valid: &str, how: usize) -> String {
    let rule = |when: &str, dest: &str| {
        format!("\n[[rule]]\nid = \"rusak\"\ndescription = \"d\"\n{when}\nthen.destinations = [\"{dest}\"]\n")
    };
    match how % 8 {
        0 => format!("{valid}{}", rule("when.keywords = [\"zz\"]", "tidak-ada")),
        1 => format!("{valid}{}", rule("when.regex = [\"[a-\"]", "pupr")),
        2 => format!("{valid}{}", rule("when.area = [\"Atlantis\"]", "pupr")),
        3 => format!("{valid}\n[[rule]\nid = \"x\"\n"),
        4 => format!(
            "{valid}{}{}",
            rule("", "pupr"),
            rule("when.keywords = [\"zz\"]", "dlh").replace("rusak", "sesudah")
        ),
        5 => format!(
            "{valid}{}{}",
            rule("when.keywords = [\"yy\"]", "pupr"),
            rule("when.keywords = [\"zz\"]", "pupr")
        ),
        6 => format!("{valid}{}", rule("when.hours = \"25:00-07:00\"", "pupr")),
        _ => format!("{valid}\n[[rule]]\nid = \"x\"\nthen.destinations = [\"pupr\"]\n"),
    }
}

fn probe() -> RoutingInput {
    input("sampah banjir jalan lampu air sekolah pasar pohon")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn an_invalid_file_never_replaces_a_valid_one(
        first in prop::collection::vec((0usize..8, 0usize..6), 1..6),
        second in prop::collection::vec((0usize..8, 0usize..6), 1..6),
        how in 0usize..8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let valid = valid_file(&first);
        std::fs::write(dir.path().join("rules.toml"), &valid).unwrap();
        let routing = Routing::load(source(dir.path()), crate::metrics::Metrics::new()).unwrap();
        let before = routing.decide_input(&probe());
        prop_assert_eq!(&before.rules_version, &version_of(&valid));

        let broken = corrupt(&valid, how);
        std::fs::write(dir.path().join("rules.toml"), &broken).unwrap();
        let refused = routing.reload();
        prop_assert!(refused.is_err(), "accepted:\n{}", broken);
        let in_force = routing.current();
        prop_assert_eq!(in_force.version(), version_of(&valid));
        prop_assert_eq!(routing.decide_input(&probe()), before.clone());

        // A missing file is refused too.
        std::fs::remove_file(dir.path().join("rules.toml")).unwrap();
        prop_assert!(routing.reload().is_err());
        prop_assert_eq!(routing.decide_input(&probe()), before);

        // And a valid file after all that is taken.
        let next = valid_file(&second);
        std::fs::write(dir.path().join("rules.toml"), &next).unwrap();
        let applied = routing.reload().unwrap();
        prop_assert_eq!(applied, Reloaded::Applied { version: version_of(&next), rules: routing.current().rules().len() });
        prop_assert_eq!(routing.decide_input(&probe()).rules_version, version_of(&next));
    }

    /// Whatever the text, checking it answers; it never panics.
    #[test]
    fn any_text_is_checked_without_panicking(text in "\\PC{0,200}", cut in 0usize..400) {
        let _ = compile("x.toml", &text, String::new(), &context());
        let valid = valid_file(&[(0, 0), (1, 1), (2, 2)]);
        let mut cut_at = cut.min(valid.len());
        while !valid.is_char_boundary(cut_at) {
            cut_at -= 1;
        }
        let _ = compile("x.toml", &valid[..cut_at], String::new(), &context());
    }
}

const A: &str = r#"
[default]
destinations = ["koordinator"]
sla_class = "versi-a"

[[rule]]
id = "a"
description = "d"
when.keywords = ["sampah"]
then.destinations = ["dlh"]
then.category = "kategori-a"
then.priority = "rendah"
"#;

const B: &str = r#"
[default]
destinations = ["koordinator"]
sla_class = "versi-b"

[[rule]]
id = "b-tandai"
description = "d"
when.keywords = ["sampah"]
then.priority = "tinggi"
then.stop = false

[[rule]]
id = "b"
description = "d"
when.keywords = ["sampah"]
then.destinations = ["pupr", "lapor"]
then.category = "kategori-b"
"#;

/// Under constant reloads, every decision is wholly one rule set's.
#[test]
fn no_decision_sees_half_a_rule_set() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, A).unwrap();
    let routing = Routing::load(source(dir.path()), crate::metrics::Metrics::new()).unwrap();
    let expect = |version: &str| -> (Vec<&str>, Vec<&str>, &str, &str, Priority) {
        if version == version_of(A) {
            (
                vec!["dlh"],
                vec!["a"],
                "kategori-a",
                "versi-a",
                Priority::Rendah,
            )
        } else {
            assert_eq!(version, version_of(B), "unknown version");
            (
                vec!["pupr", "lapor"],
                vec!["b-tandai", "b"],
                "kategori-b",
                "versi-b",
                Priority::Tinggi,
            )
        }
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let checked = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let message = input("sampah menumpuk");
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let d = routing.decide_input(&message);
                    let (dest, ids, cat, sla, prio) = expect(&d.rules_version);
                    assert_eq!(d.destinations, dest);
                    assert_eq!(d.matched_ids(), ids);
                    assert_eq!(d.category.as_deref(), Some(cat));
                    assert_eq!(d.sla_class.as_deref(), Some(sla));
                    assert_eq!(d.priority, Some(prio));
                    checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        for i in 0..60 {
            let text = if i % 2 == 0 { B } else { A };
            std::fs::write(&file, text).unwrap();
            assert!(routing.reload().is_ok());
            // Broken files in between change nothing.
            std::fs::write(&file, corrupt(text, i)).unwrap();
            assert!(routing.reload().is_err());
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    assert!(checked.load(std::sync::atomic::Ordering::Relaxed) > 0);
    assert_eq!(routing.current().version(), version_of(A));
}

#[test]
fn without_a_rules_file_everything_goes_to_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let routing = Routing::load(source(dir.path()), crate::metrics::Metrics::new()).unwrap();
    let d = routing.decide_input(&input("jalan rusak"));
    assert_eq!(d.destinations, ["koordinator"]);
    assert_eq!(d.rules_version, "builtin");
    // A file that appears later is taken on reload.
    std::fs::write(dir.path().join("rules.toml"), A).unwrap();
    routing.reload().unwrap();
    assert_eq!(routing.decide_input(&input("sampah")).destinations, ["dlh"]);
}

#[test]
fn an_invalid_file_at_start_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.toml"), corrupt(A, 0)).unwrap();
    let e = Routing::load(source(dir.path()), crate::metrics::Metrics::new())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("rules.toml:"), "{e}");
}

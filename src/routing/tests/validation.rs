//! A rules file is checked on load; every problem names the file, the line
//! and the rule, and nothing invalid is ever compiled.

use super::*;

/// (label, rules text, expected line, expected rule id, words the message holds)
const CASES: &[(&str, &str, usize, Option<&str>, &[&str])] = &[
    (
        "unknown destination",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\nthen.destinations = [\"pupx\"]\n",
        5,
        Some("a"),
        &["pupx", "unknown destination", "tidak ada"],
    ),
    (
        "bad regex",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\n\nwhen.regex = [\"(rusak\"]\nthen.destinations = [\"pupr\"]\n",
        5,
        Some("a"),
        &["regular expression", "(rusak"],
    ),
    (
        "unknown area",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.area = [\"13.71.04\", \"Bukittinggi\"]\nthen.destinations = [\"pupr\"]\n",
        4,
        Some("a"),
        &["unknown area", "Bukittinggi"],
    ),
    (
        "rule after a catch-all",
        "[[rule]]\nid = \"semua\"\ndescription = \"d\"\nthen.destinations = [\"pupr\"]\n\n[[rule]]\nid = \"jalan\"\ndescription = \"d\"\nwhen.keywords = [\"jalan\"]\nthen.destinations = [\"dlh\"]\n",
        6,
        Some("jalan"),
        &["unreachable", "`semua` (line 1)"],
    ),
    (
        "rule shadowed by a broader keyword",
        "[[rule]]\nid = \"sampah\"\ndescription = \"d\"\nwhen.keywords = [\"sampah\"]\nthen.destinations = [\"dlh\"]\n\n[[rule]]\nid = \"bak\"\ndescription = \"d\"\nwhen.keywords = [\"bak sampah\"]\nwhen.channel = [\"whatsapp\"]\nthen.destinations = [\"pupr\"]\n",
        7,
        Some("bak"),
        &["unreachable", "`sampah`"],
    ),
    (
        "duplicate id",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\nthen.destinations = [\"pupr\"]\n[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"y\"]\nthen.destinations = [\"pupr\"]\n",
        7,
        Some("a"),
        &["twice", "line 1"],
    ),
    (
        "bad hours",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.hours = \"17-7\"\nthen.destinations = [\"pupr\"]\n",
        4,
        Some("a"),
        &["HH:MM-HH:MM"],
    ),
    (
        "unknown day",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.days = [\"sabtu\", \"caturday\"]\nthen.destinations = [\"pupr\"]\n",
        4,
        Some("a"),
        &["caturday"],
    ),
    (
        "unknown channel",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.channel = [\"fax\"]\nthen.destinations = [\"pupr\"]\n",
        4,
        Some("a"),
        &["fax", "unknown channel"],
    ),
    (
        "bad priority",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\nthen.priority = \"penting\"\n",
        5,
        Some("a"),
        &["penting", "unknown priority"],
    ),
    (
        "action that does nothing",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\n[rule.then]\nstop = false\n",
        5,
        Some("a"),
        &["does nothing"],
    ),
    (
        "empty keyword list",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\n[rule.when]\nkeywords = []\n[rule.then]\ndestinations = [\"pupr\"]\n",
        4,
        Some("a"),
        &["empty `keywords`"],
    ),
    (
        "unknown key",
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keyword = [\"x\"]\nthen.destinations = [\"pupr\"]\n",
        4,
        None,
        &["unknown field `keyword`"],
    ),
    (
        "missing description",
        "[default]\ndestinations = [\"koordinator\"]\n\n[[rule]]\nid = \"a\"\nthen.destinations = [\"pupr\"]\n",
        4,
        None,
        &["description"],
    ),
    (
        "not TOML",
        "[[rule]\nid = \"a\"\n",
        1,
        None,
        &["invalid TOML"],
    ),
    (
        "stop in the default",
        "[default]\ndestinations = [\"koordinator\"]\nstop = false\n",
        3,
        None,
        &["`stop`"],
    ),
];

#[test]
fn errors_name_file_line_and_rule() {
    for (label, text, line, rule, words) in CASES {
        let e = errors(text);
        let first = &e.errors[0];
        assert_eq!(first.file, "rules.toml", "{label}");
        assert_eq!(first.line, *line, "{label}: {e}");
        assert_eq!(first.rule.as_deref(), *rule, "{label}: {e}");
        let shown = e.to_string();
        assert!(
            shown.starts_with(&format!("rules.toml:{line}:")),
            "{label}: {shown}"
        );
        for w in *words {
            assert!(shown.contains(w), "{label}: `{w}` not in: {shown}");
        }
    }
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let e = errors(
        "[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.regex = [\"(\"]\nthen.destinations = [\"nowhere\"]\n\n[[rule]]\nid = \"b\"\ndescription = \"d\"\nwhen.area = [\"Atlantis\"]\nthen.destinations = [\"pupr\"]\n",
    );
    let lines: Vec<usize> = e.errors.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![4, 5, 10], "{e}");
}

#[test]
fn a_later_rule_is_reachable_when_a_category_can_change_in_between() {
    // `wilayah` tests the category; `tandai` (in between) may set it, so
    // `wilayah-utara` can match where `wilayah` did not look.
    rules(
        r#"
[[rule]]
id = "wilayah"
description = "d"
when.category = ["kantor"]
then.destinations = ["kec"]

[[rule]]
id = "tandai"
description = "d"
when.keywords = ["lurah"]
then.category = "kantor"
then.stop = false

[[rule]]
id = "wilayah-utara"
description = "d"
when.category = ["kantor"]
when.area = ["13.71.04"]
then.destinations = ["kec"]
"#,
    );
    // A continuing rule hides nothing.
    rules(
        "[[rule]]\nid = \"semua\"\ndescription = \"d\"\nthen.priority = \"tinggi\"\nthen.stop = false\n[[rule]]\nid = \"x\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\nthen.destinations = [\"pupr\"]\n",
    );
}

#[test]
fn without_a_default_section_the_configured_default_applies() {
    let r = rules("[[rule]]\nid = \"a\"\ndescription = \"d\"\nwhen.keywords = [\"x\"]\nthen.destinations = [\"pupr\"]\n");
    assert_eq!(r.default_destinations(), ["koordinator"]);
    let empty = rules("");
    assert!(empty.rules().is_empty());
}

//! The shipped Padang configuration: the rules are valid against the
//! shipped destinations and areas, and route the kind of message each
//! agency receives.

use super::*;
use crate::config::Config;
use crate::routing::accuracy;
use crate::routing::sample::LabelledMessage;
use std::path::Path;

fn shipped() -> (Config, RuleSet) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(Some(&root.join("config/satupintu.toml"))).unwrap();
    let mut source = RoutingSource::from_config(&config);
    source.rules_file = root.join(&source.rules_file);
    source.areas_dir = root.join(&source.areas_dir);
    let rules = source
        .load()
        .unwrap_or_else(|e| panic!("shipped rules invalid:\n{e}"))
        .expect("config/rules.toml exists");
    (config, rules)
}

fn agency(config: &Config, destination: &str) -> String {
    match config.destinations.get(destination) {
        Some(crate::config::DestinationConfig::AgencyQueue { agency }) => agency.clone(),
        _ => destination.to_string(),
    }
}

#[test]
fn the_shipped_rules_route_each_kind_of_complaint() {
    let (config, rules) = shipped();
    // (text, agency, kecamatan code, kelurahan code)
    let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        (
            "jalannya berlubang di Kel. Lubuk Buaya",
            "pupr",
            Some("13.71.11"),
            Some("13.71.11.1009"),
        ),
        (
            "JALAN RUSAK!! di kec koto tangah",
            "pupr",
            Some("13.71.11"),
            None,
        ),
        ("gorong2 tersumbat, air meluap ke jalan", "pupr", None, None),
        ("sampah gak diangkut udah seminggu", "dlh", None, None),
        ("selokan penuh sampah", "pupr", None, None),
        (
            "parkir liar bikin macet di Pasar Raya",
            "dishub",
            Some("13.71.03"),
            Some("13.71.03.1007"),
        ),
        (
            "anak sy blm dpt imunisasi di puskesmas",
            "dinkes",
            None,
            None,
        ),
        ("guru sering tdk masuk kelas", "disdik", None, None),
        ("e-KTP sy blm jadi 3 bln", "dukcapil", None, None),
        ("PKL berjualan di trotoar", "satpolpp", None, None),
        ("nama sy hilang dr daftar bansos", "dinsos", None, None),
        ("air PDAM mati dari pagi", "pdam", None, None),
        (
            "listrik padam terus, PLN tdk respon",
            "lapor-manual",
            None,
            None,
        ),
        (
            "banjir setinggi lutut di Pasia Nan Tigo",
            "bpbd",
            Some("13.71.11"),
            Some("13.71.11.1013"),
        ),
        ("banjir karena drainase tersumbat", "pupr", None, None),
        ("sampah dibakar warga, asapnya kemana2", "dlh", None, None),
        (
            "pak lurah di Kelurahan Anduring tidak pernah di kantor",
            "kecamatan-kuranji",
            Some("13.71.09"),
            Some("13.71.09.1002"),
        ),
        ("kantor camat tutup siang hari", "kecamatan", None, None),
        ("anjing liar menggigit anak", "koordinator", None, None),
    ];
    for (text, want, kec, kel) in cases {
        let d = rules.decide(&input(text));
        let got = agency(&config, &d.destinations[0]);
        assert_eq!(got, *want, "{text:?}: {:?}", d.matched_ids());
        assert_eq!(d.kecamatan_code.as_deref(), *kec, "{text:?}");
        assert_eq!(d.kelurahan_code.as_deref(), *kel, "{text:?}");
    }
}

#[test]
fn the_mayors_line_and_after_hours_mark_but_do_not_route() {
    let (_, rules) = shipped();
    let mut i = input("jalan rusak parah");
    i.channel = adapters::Channel::Whatsapp;
    i.account = "wali-kota".into();
    i.at = monday_10am() + chrono::Duration::hours(10); // 20:00 WIB
    let d = rules.decide(&i);
    assert_eq!(d.destinations, ["pupr"]);
    assert_eq!(
        d.matched_ids(),
        ["jalur-wali-kota", "di-luar-jam-kerja", "jalan-drainase"]
    );
    assert_eq!(d.priority, Some(Priority::Tinggi));
    assert_eq!(d.sla_class.as_deref(), Some("luar-jam-kerja"));
    assert_eq!(d.category.as_deref(), Some("jalan-drainase"));
}

/// The accuracy the README reports, on the labelled sample; a held-out
/// set of the same kind judges the rules too, so this is a floor.
#[test]
fn the_shipped_rules_route_the_labelled_sample() {
    let (config, rules) = shipped();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/complaints-padang-sample.jsonl");
    let messages: Vec<(usize, LabelledMessage)> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(messages.len(), 48);
    let report = accuracy::evaluate(&rules, &messages, &|d| agency(&config, d), monday_10am());
    assert!(
        report.overall.accuracy() >= 0.9,
        "accuracy {:.3}:\n{}",
        report.overall.accuracy(),
        report.render(true)
    );
    assert!(
        report.overall.default_share() <= 0.1,
        "{}",
        report.render(true)
    );
    assert!(report.kecamatan_found * 10 >= report.kelurahan_labelled * 9);
}

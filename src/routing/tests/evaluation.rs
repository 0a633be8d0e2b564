//! Evaluation: order, stop and continue, what each condition tests, the
//! default, and what the decision records.

use super::*;
use chrono::Duration;

const ORDERED: &str = r#"
[default]
destinations = ["koordinator"]
sla_class = "standar"
priority = "normal"

[[rule]]
id = "wali-kota"
description = "the mayor's line first"
when.channel = ["whatsapp"]
when.account = ["wali-kota"]
then.priority = "tinggi"
then.stop = false

[[rule]]
id = "malam"
description = "after hours"
when.hours = "17:00-07:00"
then.sla_class = "luar-jam-kerja"
then.stop = false

[[rule]]
id = "banjir"
description = "floods"
when.keywords = ["banjir"]
then.destinations = ["bpbd"]
then.category = "bencana"
then.priority = "darurat"
then.stop = false

[[rule]]
id = "drainase"
description = "drains"
when.keywords = ["selokan"]
then.destinations = ["pupr"]
then.category = "jalan-drainase"

[[rule]]
id = "sampah"
description = "garbage"
when.keywords = ["sampah"]
then.destinations = ["dlh"]
"#;

#[test]
fn rules_apply_in_order_until_one_stops() {
    let r = rules(ORDERED);
    let d = r.decide(&input("banjir karena selokan penuh sampah"));
    assert_eq!(d.destinations, ["bpbd", "pupr"]);
    assert_eq!(d.matched_ids(), ["banjir", "drainase"]);
    // The first rule that sets a value wins.
    assert_eq!(d.category.as_deref(), Some("bencana"));
    assert_eq!(d.priority, Some(Priority::Darurat));
    // Unset by the rules: the default's.
    assert_eq!(d.sla_class.as_deref(), Some("standar"));
    assert!(!d.default_applied);
    assert_eq!(d.rules_version, version_of(ORDERED));
}

#[test]
fn the_default_applies_when_no_rule_names_a_destination() {
    let r = rules(ORDERED);
    let d = r.decide(&input("anjing liar di taman"));
    assert_eq!(d.destinations, ["koordinator"]);
    assert!(d.matched.is_empty() && d.default_applied);
    assert_eq!(d.priority, Some(Priority::Normal));
    assert!(d.summary().starts_with("Tidak ada aturan"));

    let mut mayor = input("anjing liar");
    mayor.channel = adapters::Channel::Whatsapp;
    mayor.account = "wali-kota".into();
    let d = r.decide(&mayor);
    assert_eq!(d.matched_ids(), ["wali-kota"]);
    assert!(d.default_applied);
    assert_eq!(d.destinations, ["koordinator"]);
    assert_eq!(d.priority, Some(Priority::Tinggi));
    let reasons = &d.matched[0].reasons;
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].condition, "channel");
    assert_eq!(reasons[1].condition, "account");
}

#[test]
fn hours_are_city_time_and_wrap_midnight() {
    let r = rules(ORDERED);
    // (UTC time offset from Monday 10:00 WIB, after hours?)
    let cases = [
        (Duration::hours(0), false),     // 10:00
        (Duration::hours(7), true),      // 17:00
        (Duration::minutes(419), false), // 16:59
        (Duration::hours(12), true),     // 22:00
        (Duration::hours(20), true),     // 06:00 next day
        (Duration::hours(21), false),    // 07:00 next day
    ];
    for (later, after_hours) in cases {
        let mut i = input("sampah");
        i.at = monday_10am() + later;
        let d = r.decide(&i);
        assert_eq!(
            d.sla_class.as_deref() == Some("luar-jam-kerja"),
            after_hours,
            "{} UTC",
            i.at
        );
    }
}

#[test]
fn each_condition_tests_its_fact() {
    let r = rules(
        r#"
[[rule]]
id = "akhir-pekan"
description = "d"
when.days = ["sabtu", "minggu"]
then.destinations = ["kec"]
then.stop = false

[[rule]]
id = "rahasia-anonim"
description = "d"
when.rahasia = true
when.anonim = true
then.destinations = ["lapor"]
then.stop = false

[[rule]]
id = "foto"
description = "d"
when.has_attachment = true
then.priority = "tinggi"
then.stop = false

[[rule]]
id = "kategori"
description = "d"
when.category = ["jalan"]
then.destinations = ["pupr"]
then.stop = false

[[rule]]
id = "utara"
description = "d"
when.area = ["Padang Utara"]
then.destinations = ["dlh"]
then.stop = false

[[rule]]
id = "pola"
description = "d"
when.regex = ['\brt \d+ rw \d+\b']
then.sla_class = "rt-rw"
then.stop = false

[[rule]]
id = "kecuali"
description = "d"
when.keywords = ["jalan"]
[[rule.when.none]]
keywords = ["tol"]
[rule.then]
destinations = ["bpbd"]
"#,
    );
    let ids = |i: &RoutingInput| {
        r.decide(i)
            .matched_ids()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    assert!(ids(&input("halo")).is_empty());

    let mut saturday = input("halo");
    saturday.at = monday_10am() + Duration::days(5);
    assert_eq!(ids(&saturday), ["akhir-pekan"]);

    let mut secret = input("halo");
    secret.rahasia = true;
    assert!(ids(&secret).is_empty(), "rahasia alone is not enough");
    secret.anonim = true;
    assert_eq!(ids(&secret), ["rahasia-anonim"]);

    let mut photo = input("halo");
    photo.has_attachment = true;
    assert_eq!(ids(&photo), ["foto"]);

    let mut road = input("halo");
    road.category = Some(" Jalan ".into());
    assert_eq!(ids(&road), ["kategori"]);

    assert_eq!(ids(&input("banjir di Kel. Air Tawar Barat")), ["utara"]);
    assert!(ids(&input("banjir di Lubuk Buaya")).is_empty());
    let mut address = input("banjir");
    address.address = Some("Jl. Khatib Sulaiman, Air Tawar Timur".into());
    assert_eq!(ids(&address), ["utara"]);
    let d = r.decide(&address);
    assert_eq!(d.kecamatan_code.as_deref(), Some("13.71.04"));
    assert_eq!(d.kelurahan_code.as_deref(), Some("13.71.04.1001"));

    assert_eq!(ids(&input("Rumah di RT 03 / RW 05")), ["pola"]);
    assert_eq!(ids(&input("jalan rusak")), ["kecuali"]);
    assert!(ids(&input("jalan tol rusak")).is_empty());
}

#[test]
fn a_category_set_by_one_rule_routes_in_a_later_one() {
    let r = rules(
        r#"
[[rule]]
id = "tandai"
description = "d"
when.keywords = ["lurah"]
then.category = "wilayah"
then.stop = false

[[rule]]
id = "utara"
description = "d"
when.category = ["wilayah"]
when.area = ["13.71.04"]
then.destinations = ["kec"]

[[rule]]
id = "lainnya"
description = "d"
when.category = ["wilayah"]
then.destinations = ["koordinator"]
"#,
    );
    let d = r.decide(&input("pak lurah Air Tawar Barat tidak ada di kantor"));
    assert_eq!(d.matched_ids(), ["tandai", "utara"]);
    assert_eq!(d.destinations, ["kec"]);
    assert_eq!(d.category.as_deref(), Some("wilayah"));
    let d = r.decide(&input("kantor kelurahan tutup"));
    assert_eq!(d.matched_ids(), ["tandai", "lainnya"]);
}

#[test]
fn decisions_are_the_same_through_the_routing_handle() {
    let r = rules(ORDERED);
    let expected = r.decide(&input("sampah"));
    let routing = Routing::fixed(rules(ORDERED));
    assert_eq!(routing.decide_input(&input("sampah")), expected);
    let json = serde_json::to_value(&expected).unwrap();
    assert_eq!(json["matched"][0]["id"], "sampah");
    assert_eq!(json["matched"][0]["reasons"][0]["condition"], "keywords");
}

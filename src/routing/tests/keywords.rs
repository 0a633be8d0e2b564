//! Keywords over normalised text: case, punctuation, chat spellings and
//! Indonesian affixes do not hide a keyword; word boundaries do.

use super::*;

/// (keyword as an operator writes it, message text, found?)
const CASES: &[(&str, &str, bool)] = &[
    // The issue's own examples.
    (
        "jalan berlubang",
        "Tolong, jalan berlubang di depan pasar",
        true,
    ),
    ("jalan rusak", "jalannya rusak parah", true),
    ("jalan rusak", "JALAN RUSAK!!", true),
    ("jalan rusak", "Jalan... rusak?!", true),
    // Chat spellings.
    ("jalan rusak", "jln rusak dkt sekolah", true),
    ("jalan rusak", "Jl. rusak", true),
    ("yang rusak", "yg rusak itu", true),
    ("tidak ada air", "gak ada air dr kmrn", true),
    ("tidak ada air", "nggak ada air", true),
    ("tidak ada air", "ga ada air", true),
    ("sudah lapor", "udah lapor", true),
    ("kelurahan", "Kel. Purus", true),
    // Affixes on either side.
    ("lubang", "jalannya berlubang", true),
    ("lubang", "lubangnya dalam", true),
    ("berlubang", "ada lubang besar", true),
    ("rusak", "kerusakan jembatan", true),
    ("perbaikan", "belum diperbaiki", true),
    ("sampah", "sampahnya menumpuk", true),
    ("lurah", "kantor kelurahan", true),
    ("camat", "kantor kecamatan", true),
    // Reduplication and elongation.
    ("gorong-gorong", "gorong2 tersumbat", true),
    ("gorong-gorong", "GORONG GORONG", true),
    ("rusak", "rusakkkk bangettt", true),
    // Word boundaries: a keyword is never part of another word.
    ("kk", "kkn di kantor", false),
    ("air", "airport baru", false),
    ("pln", "pelni", false),
    ("sd", "sdm kurang", false),
    // A phrase needs its words next to each other, in order.
    ("jalan rusak", "jalan di sini rusak", false),
    ("jalan rusak", "rusak jalan", false),
    // `=word` takes the word exactly.
    ("=kebakaran", "ada kebakaran", true),
    ("=kebakaran", "sampah dibakar", false),
    ("kebakaran", "sampah dibakar", true),
    ("=kk", "KK saya", true),
    // Nothing found.
    ("banjir", "jalan rusak", false),
];

#[test]
fn keywords_are_found_through_spelling_variants() {
    for (keyword, text, want) in CASES {
        let toml = format!(
            "[[rule]]\nid = \"k\"\ndescription = \"k\"\nwhen.keywords = [{keyword:?}]\nthen.destinations = [\"pupr\"]\n"
        );
        let d = rules(&toml).decide(&input(text));
        assert_eq!(
            !d.matched.is_empty(),
            *want,
            "keyword {keyword:?} in {text:?}: {:?}",
            d.matched
        );
    }
}

#[test]
fn the_reason_names_the_keyword_and_what_was_found() {
    let r = rules(
        "[[rule]]\nid = \"jalan\"\ndescription = \"d\"\nwhen.keywords = [\"jalan rusak\", \"lubang\"]\nthen.destinations = [\"pupr\"]\n",
    );
    let d = r.decide(&input("Jalannya RUSAK!"));
    assert_eq!(d.matched.len(), 1);
    assert_eq!(
        d.matched[0].reasons,
        vec![Reason {
            condition: "keywords".into(),
            value: "jalan rusak".into(),
            found: Some("jalannya rusak".into()),
        }]
    );
}

use super::*;

fn joined(text: &str) -> String {
    normalize(text).joined()
}

fn stems(text: &str) -> Vec<String> {
    normalize(text)
        .tokens()
        .iter()
        .map(|t| t.stem.clone())
        .collect()
}

#[test]
fn words_are_lower_case_without_punctuation() {
    let cases: &[(&str, &str)] = &[
        ("JALAN RUSAK!!", "jalan rusak"),
        ("Jl. Sudirman, no.15", "jalan sudirman no 15"),
        ("Kel. Air Tawar Barat", "kelurahan air tawar barat"),
        ("kec koto tangah", "kecamatan koto tangah"),
        ("gorong-gorong tersumbat", "gorong gorong tersumbat"),
        ("anak2 sekolah", "anak anak sekolah"),
        ("rusakkk bangettt", "rusak banget"),
        ("Jum'at pagi", "jumat pagi"),
        ("yg gak diperbaiki", "yang tidak diperbaiki"),
        ("nggak ada, udah lapor", "tidak ada sudah lapor"),
        ("SDN 03", "sd negeri 03"),
        ("  \n\t", ""),
        ("Rp 50.000", "rp 50 000"),
        ("1000", "1000"),
    ];
    for (input, want) in cases {
        assert_eq!(joined(input), *want, "input: {input:?}");
    }
}

#[test]
fn stems_tolerate_affixes() {
    let cases: &[(&str, &str)] = &[
        ("jalannya", "jalan"),
        ("jalan", "jalan"),
        ("berlubang", "lubang"),
        ("lubangnya", "lubang"),
        ("kerusakan", "rusak"),
        ("rusaknya", "rusak"),
        ("diperbaiki", "baik"),
        ("perbaikan", "baik"),
        ("sampahnya", "sampah"),
        ("kelurahan", "lurah"),
        ("dibakar", "bakar"),
        ("terbakar", "bakar"),
        ("pembuangan", "buang"),
    ];
    for (word, want) in cases {
        assert_eq!(stems(word), vec![want.to_string()], "word: {word}");
    }
}

#[test]
fn numbers_and_short_words_keep_their_form() {
    assert_eq!(stems("15 kk rt"), vec!["15", "kk", "rt"]);
}

#[test]
fn an_empty_text_has_no_tokens() {
    assert!(normalize("!!! ... ???").is_empty());
    assert_eq!(normalize("").len(), 0);
}

proptest::proptest! {
    /// Two texts written one after the other, with a line break between
    /// them, normalise to the first's words followed by the second's: what
    /// routing relies on when it puts a title before a text normalised
    /// already.
    #[test]
    fn texts_in_a_row_normalise_word_by_word(
        a in "[a-zA-Z0-9 '’`.,!?\\-\nÉéü]{0,40}",
        b in "[a-zA-Z0-9 '’`.,!?\\-\nÉéü]{0,40}",
    ) {
        let whole = normalize(&format!("{a}\n{b}"));
        proptest::prop_assert_eq!(whole, normalize(&a).then(normalize(&b)));
    }
}

//! Place names found in text: every kecamatan and kelurahan name, its
//! common variants (`Pasia`/`Pasie`, `Aia`/`Air`, `Kp.`/`Kampung`, without
//! `Nan XX` or a compass word) and the aliases operators list. It reads
//! normalised words and never looks at polygons.

use super::gazetteer::{Kecamatan, Kelurahan};
use super::AreaRef;
use std::collections::{BTreeSet, HashMap};

/// Spellings of the same place word: (variant, canonical).
const PLACE_SPELLINGS: &[(&str, &str)] = &[
    ("aia", "air"),
    ("aie", "air"),
    ("pasia", "pasie"),
    ("kp", "kampung"),
    ("kpg", "kampung"),
    ("kampuang", "kampung"),
    ("jao", "jawa"),
    ("tangah", "tengah"),
    ("lua", "luar"),
    ("20", "xx"),
    ("sei", "sungai"),
    ("sungei", "sungai"),
    ("gn", "gunung"),
    ("tj", "tanjung"),
];

/// Words after which a one-word place name counts: a one-word name such
/// as `Jati` or `Pisang` is also an ordinary word, so it needs a cue.
const CUES: &[&str] = &[
    "di",
    "ke",
    "dari",
    "daerah",
    "kawasan",
    "wilayah",
    "sekitar",
    "dekat",
    "depan",
    "belakang",
    "arah",
    "menuju",
    "kelurahan",
    "kecamatan",
    "kampung",
    "pantai",
    "pasar",
    "simpang",
    "jalan",
    "komplek",
    "kompleks",
    "perumahan",
    "perum",
    "puskesmas",
    "warga",
    "desa",
    "korong",
    "jorong",
    "nagari",
];

const COMPASS: &[&str] = &["utara", "selatan", "timur", "barat", "tengah"];

fn canonical(word: &str) -> &str {
    PLACE_SPELLINGS
        .iter()
        .find(|(v, _)| *v == word)
        .map(|(_, c)| *c)
        .unwrap_or(word)
}

fn canonical_words(words: &[String]) -> Vec<String> {
    words.iter().map(|w| canonical(w).to_string()).collect()
}

/// What a name stands for once variants are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    kecamatan: String,
    kelurahan: Option<String>,
    /// The name is a kecamatan's and one of its kelurahan's (`Kuranji`):
    /// the kelurahan only when the text says `kelurahan`.
    kelurahan_needs_cue: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    words: Vec<String>,
    target: Target,
}

#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Entries by their first word, longest first.
    by_first: HashMap<String, Vec<Entry>>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Name,
    Variant,
}

impl NameIndex {
    pub fn build<'a>(
        kecamatan: impl Iterator<Item = &'a Kecamatan>,
        kelurahan: impl Iterator<Item = &'a Kelurahan> + Clone,
        aliases: &[(String, AreaRef)],
    ) -> NameIndex {
        let kelurahan_kec: HashMap<&str, &str> = kelurahan
            .clone()
            .map(|k| (k.code.as_str(), k.kecamatan_code.as_str()))
            .collect();
        let mut names: HashMap<Vec<String>, Vec<(Strength, AreaRef)>> = HashMap::new();
        let mut add = |words: Vec<String>, strength, area: AreaRef| {
            if !words.is_empty() {
                names.entry(words).or_default().push((strength, area));
            }
        };
        for k in kecamatan {
            add(
                canonical_words(&crate::normalize::words(&k.name)),
                Strength::Name,
                AreaRef::Kecamatan(k.code.clone()),
            );
        }
        for k in kelurahan {
            let words = canonical_words(&crate::normalize::words(&k.name));
            let area = AreaRef::Kelurahan(k.code.clone());
            for variant in variants(&words) {
                add(variant, Strength::Variant, area.clone());
            }
            add(words, Strength::Name, area);
        }
        for (alias, area) in aliases {
            add(
                canonical_words(&crate::normalize::words(alias)),
                Strength::Name,
                area.clone(),
            );
        }
        let mut by_first: HashMap<String, Vec<Entry>> = HashMap::new();
        for (words, mut found) in names {
            let best = found.iter().map(|(s, _)| *s).min().expect("not empty");
            found.retain(|(s, _)| *s == best);
            let areas: BTreeSet<AreaRef> = found.into_iter().map(|(_, a)| a).collect();
            let Some(target) = resolve(&areas, &kelurahan_kec) else {
                continue;
            };
            by_first
                .entry(words[0].clone())
                .or_default()
                .push(Entry { words, target });
        }
        for entries in by_first.values_mut() {
            entries.sort_by(|a, b| {
                b.words
                    .len()
                    .cmp(&a.words.len())
                    .then(a.words.cmp(&b.words))
            });
        }
        NameIndex { by_first }
    }

    /// The area a name stands for exactly (for rules that name areas).
    pub fn resolve_name(&self, words: &[String]) -> Option<AreaRef> {
        let words = canonical_words(words);
        let entry = self
            .by_first
            .get(words.first()?)?
            .iter()
            .find(|e| e.words == words)?;
        Some(match &entry.target.kelurahan {
            Some(code) if !entry.target.kelurahan_needs_cue => AreaRef::Kelurahan(code.clone()),
            _ => AreaRef::Kecamatan(entry.target.kecamatan.clone()),
        })
    }

    /// The first kelurahan the words name, else the first kecamatan, with
    /// the words that named it. Longer names win over shorter ones at the
    /// same place (`Ganting Parak Gadang` over `Parak Gadang`).
    pub fn find(&self, words: &[String]) -> Option<(AreaRef, String)> {
        let words = canonical_words(words);
        let mut first_kecamatan = None;
        let mut i = 0;
        while i < words.len() {
            let previous = i.checked_sub(1).map(|p| words[p].as_str());
            let hit = self.by_first.get(&words[i]).and_then(|entries| {
                entries.iter().find(|e| {
                    words[i..].starts_with(&e.words)
                        && (e.words.len() > 1 || previous.is_some_and(|p| CUES.contains(&p)))
                })
            });
            let Some(entry) = hit else {
                i += 1;
                continue;
            };
            let evidence = words[i..i + entry.words.len()].join(" ");
            let said_kelurahan = previous == Some("kelurahan");
            match &entry.target.kelurahan {
                Some(code) if !entry.target.kelurahan_needs_cue || said_kelurahan => {
                    return Some((AreaRef::Kelurahan(code.clone()), evidence));
                }
                _ => {
                    first_kecamatan.get_or_insert((
                        AreaRef::Kecamatan(entry.target.kecamatan.clone()),
                        evidence,
                    ));
                }
            }
            i += entry.words.len();
        }
        first_kecamatan
    }
}

/// Shorter ways of writing a kelurahan's name: without `Nan XX`, without a
/// trailing compass word (`Air Tawar Barat` -> `Air Tawar`).
fn variants(words: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if words.len() > 2 && words[words.len() - 2..] == ["nan", "xx"] {
        out.push(words[..words.len() - 2].to_vec());
    }
    if words.len() > 1 && COMPASS.contains(&words[words.len() - 1].as_str()) {
        out.push(words[..words.len() - 1].to_vec());
    }
    out
}

/// One target for a set of areas sharing a name, or none when the name is
/// ambiguous across kecamatan.
fn resolve(areas: &BTreeSet<AreaRef>, kelurahan_kec: &HashMap<&str, &str>) -> Option<Target> {
    let kecs: BTreeSet<&str> = areas
        .iter()
        .filter_map(|a| match a {
            AreaRef::Kecamatan(c) => Some(c.as_str()),
            AreaRef::Kelurahan(c) => kelurahan_kec.get(c.as_str()).copied(),
        })
        .collect();
    if kecs.len() != 1 {
        return None;
    }
    let kecamatan = kecs.into_iter().next()?.to_string();
    let kelurahan: Vec<&String> = areas
        .iter()
        .filter_map(|a| match a {
            AreaRef::Kelurahan(c) => Some(c),
            _ => None,
        })
        .collect();
    let has_kecamatan = areas.iter().any(|a| matches!(a, AreaRef::Kecamatan(_)));
    Some(match (kelurahan.as_slice(), has_kecamatan) {
        ([one], false) => Target {
            kecamatan,
            kelurahan: Some(one.to_string()),
            kelurahan_needs_cue: false,
        },
        ([one], true) => Target {
            kecamatan,
            kelurahan: Some(one.to_string()),
            kelurahan_needs_cue: true,
        },
        _ => Target {
            kecamatan,
            kelurahan: None,
            kelurahan_needs_cue: false,
        },
    })
}

//! Rule evaluation throughput: 500 generated rules (keywords, some with
//! regular expressions, areas and channels) and 50 areas with polygons.
//! Prints decisions per second and the cost per rule tried.
//!
//!     cargo bench --bench routing

use geo::polygon;
use satupintu::areas::{AreaPolygon, AreaRef, Areas, Gazetteer, Polygons};
use satupintu::routing::{compile, version_of, CompileContext, RoutingInput, RuleSet};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RULES: usize = 500;
const AREAS: usize = 50;
const DESTINATIONS: usize = 12;

const SYLLABLES: &[&str] = &[
    "ba", "ka", "ta", "ma", "pa", "sa", "la", "ra", "na", "ga", "bi", "ki", "ti", "mi", "pi", "su",
    "lu", "ru", "nu", "gu", "bo", "ko", "to", "mo",
];

/// A pseudo-word per number, never an Indonesian word with affixes.
fn word(n: usize) -> String {
    let mut w = String::from("x");
    let mut n = n;
    for _ in 0..3 {
        w.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    w
}

/// Deterministic pseudo-random numbers (no dependency needed for this).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn areas() -> Areas {
    let names: Vec<String> = (0..AREAS)
        .map(|i| format!("Taratak {}", word(10_000 + i)))
        .collect();
    let rows: Vec<(String, String, String, String)> = (0..AREAS)
        .map(|i| {
            let kec = i / 10 + 1;
            (
                format!("99.01.{kec:02}.{:04}", 1001 + i % 10),
                format!("99.01.{kec:02}"),
                format!("Kecamatan {}", word(20_000 + kec)),
                names[i].clone(),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    let gazetteer = Gazetteer::from_rows(&borrowed, &[]).expect("valid areas");
    let mut polygons = Polygons::default();
    for (i, (code, ..)) in rows.iter().enumerate() {
        let (x, y) = (
            (i % 10) as f64 * 0.01 + 100.3,
            (i / 10) as f64 * 0.01 - 0.95,
        );
        let square = geo::MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + 0.01, y: y), (x: x + 0.01, y: y + 0.01), (x: x, y: y + 0.01), (x: x, y: y)
        ]]);
        polygons.push(AreaPolygon::new(AreaRef::Kelurahan(code.clone()), square).expect("square"));
    }
    Areas::new(gazetteer, polygons)
}

fn rules_toml(rng: &mut Lcg) -> String {
    let mut out = String::from("[default]\ndestinations = [\"d0\"]\n");
    for r in 0..RULES {
        let keywords: Vec<String> = (0..4)
            .map(|k| {
                let w = word(r * 4 + k);
                if k == 3 {
                    format!("{w} {}", word(5_000 + r))
                } else {
                    w
                }
            })
            .map(|w| format!("{w:?}"))
            .collect();
        out.push_str(&format!(
            "\n[[rule]]\nid = \"r{r}\"\ndescription = \"generated rule {r}\"\nwhen.keywords = [{}]\n",
            keywords.join(", ")
        ));
        if r % 5 == 0 {
            let kec = rng.next(AREAS / 10) + 1;
            out.push_str(&format!("when.area = [\"99.01.{kec:02}\"]\n"));
        }
        if r % 10 == 0 {
            out.push_str(&format!("when.regex = ['\\b{}\\s+\\d+\\b']\n", word(r * 4)));
        }
        if r % 7 == 0 {
            out.push_str("when.channel = [\"whatsapp\", \"webform\", \"sms\"]\n");
        }
        out.push_str(&format!(
            "then.destinations = [\"d{}\"]\nthen.category = \"c{}\"\n",
            rng.next(DESTINATIONS),
            r % 30
        ));
        if r % 50 == 0 {
            out.push_str("then.stop = false\n");
        }
    }
    out
}

const FILLER: &[&str] = &[
    "mohon",
    "bantuan",
    "pak",
    "di",
    "depan",
    "rumah",
    "kami",
    "sudah",
    "lama",
    "tidak",
    "ada",
    "yang",
    "datang",
    "warga",
    "mengeluh",
    "setiap",
    "hari",
    "sangat",
    "mengganggu",
    "tolong",
    "segera",
    "ditindaklanjuti",
    "terima",
    "kasih",
    "sejak",
    "minggu",
    "lalu",
];

fn message(rng: &mut Lcg, keyword: Option<usize>, pin: bool) -> RoutingInput {
    let mut words: Vec<String> = (0..40)
        .map(|_| FILLER[rng.next(FILLER.len())].to_string())
        .collect();
    if let Some(k) = keyword {
        let at = rng.next(words.len());
        words.insert(at, word(k));
    }
    if rng.next(3) == 0 {
        words.push(format!("di Taratak {}", word(10_000 + rng.next(AREAS))));
    }
    let pin = pin.then(|| {
        (
            -0.95 + rng.next(50) as f64 * 0.001,
            100.3 + rng.next(100) as f64 * 0.001,
        )
    });
    RoutingInput {
        text: words.join(" "),
        address: None,
        channel: adapters::Channel::Whatsapp,
        account: "wali-kota".into(),
        category: None,
        pin,
        anonim: false,
        rahasia: false,
        has_attachment: false,
        at: chrono::Utc::now(),
    }
}

/// Seconds per decision, over at least two seconds of decisions.
fn time_per_decision(rules: &RuleSet, inputs: &[RoutingInput]) -> f64 {
    for i in inputs.iter().take(100) {
        black_box(rules.decide(i));
    }
    let start = Instant::now();
    let mut decisions = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for i in inputs {
            black_box(rules.decide(black_box(i)));
            decisions += 1;
        }
    }
    start.elapsed().as_secs_f64() / decisions as f64
}

fn measure(name: &str, rules: &RuleSet, inputs: &[RoutingInput]) {
    // Warm up, then run for at least two seconds.
    for i in inputs.iter().take(100) {
        black_box(rules.decide(i));
    }
    let start = Instant::now();
    let mut decisions = 0u64;
    let mut tried = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for i in inputs {
            let d = rules.decide(black_box(i));
            // Rules tried: up to the last matched rule, or all of them.
            tried += match d.matched.last() {
                Some(m) if !d.default_applied => rules
                    .rules()
                    .iter()
                    .position(|r| r.id == m.id)
                    .map_or(RULES, |p| p + 1)
                    as u64,
                _ => RULES as u64,
            };
            decisions += 1;
            black_box(d);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<34} {:>9.0} decisions/s  {:>8.1} µs/decision  {:>6.1} ns/rule tried",
        decisions as f64 / secs,
        secs * 1e6 / decisions as f64,
        secs * 1e9 / tried as f64
    );
}

fn main() {
    let mut rng = Lcg(42);
    let areas = Arc::new(areas());
    let text = rules_toml(&mut rng);
    let ctx = CompileContext {
        destinations: (0..DESTINATIONS)
            .map(|d| format!("d{d}"))
            .collect::<BTreeSet<_>>(),
        default_destination: "d0".into(),
        areas,
        utc_offset: chrono::FixedOffset::east_opt(7 * 3600).expect("offset"),
    };
    let start = Instant::now();
    let rules = compile("generated.toml", &text, version_of(&text), &ctx)
        .expect("generated rules are valid");
    let compile_ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "routing: {} rules ({} lines), {AREAS} areas with polygons; compile {compile_ms:.1} ms",
        rules.rules().len(),
        text.lines().count()
    );
    let none: Vec<_> = (0..500).map(|_| message(&mut rng, None, false)).collect();
    let mixed: Vec<_> = (0..500)
        .map(|_| {
            let k = rng.next(RULES * 4);
            message(&mut rng, Some(k), false)
        })
        .collect();
    let pinned: Vec<_> = (0..500)
        .map(|_| {
            let k = rng.next(RULES * 4);
            message(&mut rng, Some(k), true)
        })
        .collect();
    // The same messages through no rules at all: normalising the text,
    // stemming and finding the area, paid once per message.
    let empty = compile("empty.toml", "", version_of(""), &ctx).expect("empty rules are valid");
    let base = time_per_decision(&empty, &none);
    let all = time_per_decision(&rules, &none);
    println!(
        "per message (normalise, stem, area): {:.1} µs; per rule tried: {:.0} ns ({RULES} rules: {:.1} µs)",
        base * 1e6,
        (all - base) * 1e9 / RULES as f64,
        (all - base) * 1e6
    );
    measure("no rule matches (all 500 tried)", &rules, &none);
    measure("one keyword, random rule matches", &rules, &mixed);
    measure("same, with a location pin", &rules, &pinned);
}

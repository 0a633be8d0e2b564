//! Turning a rules file into a rule set: every value is checked against
//! the configuration (destinations) and the areas, and every problem is
//! reported with its file, line and rule. Nothing is evaluated here.

use super::condition::{parse_day, Condition, Hours, Keyword, KeywordWord};
use super::decision::Priority;
use super::error::{line_of, LoadError, RuleError};
use super::model::{ActionDef, ConditionsDef, RulesFile};
use super::ruleset::{Action, Rule, RuleSet};
use super::view::Vocabulary;
use crate::areas::Areas;
use chrono::FixedOffset;
use regex::RegexSetBuilder;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use toml::Spanned;

/// What a rules file is checked against.
#[derive(Debug, Clone)]
pub struct CompileContext {
    /// Destination names from `[destinations.*]`.
    pub destinations: BTreeSet<String>,
    /// Used when the file has no `[default]`.
    pub default_destination: String,
    pub areas: Arc<Areas>,
    pub utc_offset: FixedOffset,
}

struct Compiler<'a> {
    file: &'a str,
    text: &'a str,
    ctx: &'a CompileContext,
    rule: Option<String>,
    errors: Vec<RuleError>,
    vocabulary: Vocabulary,
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

impl Compiler<'_> {
    fn error(&mut self, offset: usize, kind: &'static str, message: String) {
        self.errors.push(RuleError {
            file: self.file.to_string(),
            line: line_of(self.text, offset),
            rule: self.rule.clone(),
            message,
            kind,
        });
    }

    fn list<T, F>(
        &mut self,
        key: &str,
        values: &Option<Vec<Spanned<String>>>,
        at: usize,
        mut f: F,
    ) -> Option<Vec<T>>
    where
        F: FnMut(&mut Self, &Spanned<String>) -> Option<T>,
    {
        let values = values.as_ref()?;
        if values.is_empty() {
            self.error(
                at,
                "empty",
                format!("`{key}` kosong tidak cocok dengan apa pun; hapus saja / an empty `{key}` matches nothing; leave it out"),
            );
            return None;
        }
        let out: Vec<T> = values.iter().filter_map(|v| f(self, v)).collect();
        (out.len() == values.len()).then_some(out)
    }

    fn keyword(&mut self, raw: &Spanned<String>) -> Option<Keyword> {
        let text = raw.get_ref().trim();
        let (exact, phrase) = match text.strip_prefix('=') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let words = crate::normalize::words(phrase);
        if words.is_empty() {
            self.error(
                raw.span().start,
                "keyword",
                format!("kata kunci `{text}` tidak berisi kata / keyword `{text}` holds no word"),
            );
            return None;
        }
        let words = words
            .iter()
            .map(|w| KeywordWord {
                word: self.vocabulary.intern(w),
                stem: self.vocabulary.intern(&crate::normalize::stem(w)),
                exact,
            })
            .collect();
        Some(Keyword {
            text: text.to_string(),
            words,
        })
    }

    fn condition(&mut self, def: &ConditionsDef, at: usize) -> Condition {
        let mut c = Condition {
            channels: self.list("channel", &def.channel, at, |me, v| {
                match v.get_ref().trim().parse() {
                    Ok(ch) => Some(ch),
                    Err(_) => {
                        me.error(v.span().start, "channel", format!(
                            "kanal `{}` tidak dikenal / unknown channel `{}` (webform, whatsapp, telegram, email, sms, open311)",
                            v.get_ref(), v.get_ref()));
                        None
                    }
                }
            }),
            accounts: self.list("account", &def.account, at, |_, v| Some(v.get_ref().trim().to_string())),
            keywords: self.list("keywords", &def.keywords, at, |me, v| me.keyword(v)),
            categories: self.list("category", &def.category, at, |_, v| {
                Some(v.get_ref().trim().to_lowercase())
            }),
            areas: self.list("area", &def.area, at, |me, v| {
                let found = me.ctx.areas.resolve(v.get_ref());
                if found.is_none() {
                    me.error(v.span().start, "area", format!(
                        "wilayah `{}` tidak dikenal di config/areas / unknown area `{}`: not a kecamatan or kelurahan code or name in the areas files",
                        v.get_ref(), v.get_ref()));
                }
                found
            }),
            days: self.list("days", &def.days, at, |me, v| match parse_day(v.get_ref()) {
                Ok(d) => Some(d),
                Err(e) => {
                    me.error(v.span().start, "days", e);
                    None
                }
            }),
            anonim: def.anonim,
            rahasia: def.rahasia,
            has_attachment: def.has_attachment,
            ..Condition::default()
        };
        if let Some(h) = &def.hours {
            match Hours::parse(h.get_ref()) {
                Ok(hours) => c.hours = Some(hours),
                Err(e) => self.error(h.span().start, "hours", e),
            }
        }
        if let Some(patterns) =
            self.list("regex", &def.regex, at, |me, v| {
                match regex::Regex::new(v.get_ref()) {
                    Ok(_) => Some(v.get_ref().clone()),
                    Err(e) => {
                        me.error(
                            v.span().start,
                            "regex",
                            format!(
                                "pola regex tidak sah / bad regular expression `{}`: {}",
                                v.get_ref(),
                                e.to_string().lines().last().unwrap_or_default()
                            ),
                        );
                        None
                    }
                }
            })
        {
            match RegexSetBuilder::new(&patterns).size_limit(1 << 22).build() {
                Ok(set) => c.regex = Some((set, patterns)),
                Err(e) => self.error(
                    at,
                    "regex",
                    format!("pola regex terlalu besar / regular expressions too large: {e}"),
                ),
            }
        }
        for (groups, out) in [
            (&def.any, &mut c.any),
            (&def.all, &mut c.all),
            (&def.none, &mut c.none),
        ] {
            for g in groups {
                let sub = self.condition(g.get_ref(), g.span().start);
                if sub.is_catch_all() {
                    self.error(
                        g.span().start,
                        "empty",
                        "kelompok syarat kosong / an empty condition group".into(),
                    );
                }
                out.push(sub);
            }
        }
        c
    }

    fn action(&mut self, def: &Spanned<ActionDef>, is_default: bool) -> Action {
        let at = def.span().start;
        let def = def.get_ref();
        let mut destinations: Vec<String> = Vec::new();
        for d in &def.destinations {
            let name = d.get_ref().trim();
            if !self.ctx.destinations.contains(name) {
                let known = self
                    .ctx
                    .destinations
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                self.error(d.span().start, "destination", format!(
                    "tujuan `{name}` tidak ada di [destinations] / unknown destination `{name}` (known: {known})"));
            } else if !destinations.iter().any(|x| x == name) {
                destinations.push(name.to_string());
            }
        }
        let slug = |me: &mut Self, key: &str, v: &Option<Spanned<String>>| {
            let v = v.as_ref()?;
            let s = v.get_ref().trim().to_lowercase();
            if !is_slug(&s) {
                me.error(v.span().start, "value", format!(
                    "`{key}` `{s}`: pakai huruf kecil, angka, `-` / use lower case letters, digits and `-`"));
                return None;
            }
            Some(s)
        };
        let category = slug(self, "category", &def.category);
        let sla_class = slug(self, "sla_class", &def.sla_class);
        let priority = def
            .priority
            .as_ref()
            .and_then(|p| match p.get_ref().parse::<Priority>() {
                Ok(p) => Some(p),
                Err(e) => {
                    self.error(p.span().start, "priority", e);
                    None
                }
            });
        let stop = match &def.stop {
            Some(s) if is_default => {
                self.error(
                    s.span().start,
                    "value",
                    "`stop` tidak berlaku di [default] / `stop` has no meaning in [default]".into(),
                );
                true
            }
            Some(s) => *s.get_ref(),
            None => true,
        };
        let nothing = def.destinations.is_empty()
            && def.category.is_none()
            && def.sla_class.is_none()
            && def.priority.is_none();
        if nothing {
            let what = if is_default { "[default]" } else { "`then`" };
            self.error(at, "action", format!(
                "{what} tidak melakukan apa-apa: beri destinations, category, sla_class atau priority / {what} does nothing: give destinations, category, sla_class or priority"));
        }
        Action {
            destinations,
            category,
            sla_class,
            priority,
            stop,
        }
    }
}

/// Parses and checks a rules file; `file` names it in errors.
pub fn compile(
    file: &str,
    text: &str,
    version: String,
    ctx: &CompileContext,
) -> Result<RuleSet, LoadError> {
    let parsed: RulesFile = toml::from_str(text).map_err(|e| LoadError {
        errors: vec![RuleError {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
            rule: None,
            message: format!("TOML tidak sah / invalid TOML: {}", e.message().trim()),
            kind: "syntax",
        }],
    })?;
    let mut c = Compiler {
        file,
        text,
        ctx,
        rule: None,
        errors: Vec::new(),
        vocabulary: Vocabulary::default(),
    };
    let default = match &parsed.default {
        Some(d) => c.action(d, true),
        None => Action::to(ctx.default_destination.clone()),
    };
    if default.destinations.is_empty() && c.errors.is_empty() {
        let at = parsed.default.as_ref().map(|d| d.span().start).unwrap_or(0);
        c.error(
            at,
            "destination",
            "[default] harus punya destinations / [default] needs destinations".into(),
        );
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::with_capacity(parsed.rule.len());
    for r in &parsed.rule {
        let def = r.get_ref();
        let id = def.id.get_ref().trim().to_string();
        let line = line_of(text, r.span().start);
        c.rule = Some(id.clone());
        if !is_slug(&id) {
            c.error(def.id.span().start, "id", format!(
                "id `{id}`: pakai huruf kecil, angka, `-`, `_`, `.` / use lower case letters, digits, `-`, `_`, `.`"));
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            c.error(def.id.span().start, "id", format!("id dipakai dua kali (juga di baris {first}) / id used twice (also at line {first})"));
        }
        if def.description.get_ref().trim().is_empty() {
            c.error(
                def.description.span().start,
                "value",
                "description kosong / empty description".into(),
            );
        }
        let when = match &def.when {
            Some(w) => c.condition(w.get_ref(), w.span().start),
            None => Condition::default(),
        };
        let then = c.action(&def.then, false);
        rules.push(Rule {
            id,
            description: def.description.get_ref().trim().to_string(),
            line,
            when,
            then,
        });
    }
    c.rule = None;
    // Only a rule set that compiled cleanly can be judged for shadows: a
    // condition dropped for an error would look broader than it is.
    let shadows = if c.errors.is_empty() {
        super::shadow::find(&rules)
    } else {
        Vec::new()
    };
    for (hidden, by) in shadows {
        let (h, b) = (&rules[hidden], &rules[by]);
        c.errors.push(RuleError {
            file: file.to_string(),
            line: h.line,
            rule: Some(h.id.clone()),
            message: format!(
                "tidak akan pernah cocok: aturan `{}` (baris {}) sudah menangkap semua yang cocok dengannya dan berhenti / unreachable: rule `{}` (line {}) matches everything this rule matches and stops",
                b.id, b.line, b.id, b.line),
            kind: "unreachable",
        });
    }
    if !c.errors.is_empty() {
        c.errors.sort_by_key(|e| e.line);
        return Err(LoadError { errors: c.errors });
    }
    Ok(RuleSet::new(
        rules,
        default,
        ctx.areas.clone(),
        ctx.utc_offset,
        c.vocabulary,
        version,
        file.to_string(),
    ))
}

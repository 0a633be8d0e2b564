//! Compiled conditions and how they are matched against one message. A
//! condition only answers "does it hold, and why"; what happens next is
//! the rule set's business.

use super::decision::Reason;
use super::view::MessageView;
use crate::areas::AreaRef;
use adapters::Channel;
use chrono::{NaiveTime, Timelike, Weekday};
use regex::RegexSet;

/// Interned word ids, shared by keywords and message tokens.
pub const NO_ID: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordWord {
    pub word: u32,
    pub stem: u32,
    /// `=word`: the word itself, no affixes.
    pub exact: bool,
}

#[derive(Debug, Clone)]
pub struct Keyword {
    /// As written in the rules file.
    pub text: String,
    pub words: Vec<KeywordWord>,
}

impl Keyword {
    /// A message token at `p` matches keyword word `w` when it is the same
    /// word or, unless `w` is exact, has the same stem.
    fn word_at(view: &MessageView, p: usize, w: &KeywordWord) -> bool {
        let (word, stem) = view.ids[p];
        word == w.word || (!w.exact && stem == w.stem && stem != NO_ID)
    }

    /// The position of the first occurrence of the phrase.
    pub fn find(&self, view: &MessageView) -> Option<usize> {
        let first = self.words.first()?;
        let n = self.words.len();
        let try_at = |p: usize| {
            p + n <= view.ids.len()
                && self
                    .words
                    .iter()
                    .enumerate()
                    .all(|(i, w)| Keyword::word_at(view, p + i, w))
        };
        let mut best: Option<usize> = None;
        for id in [first.word, first.stem] {
            for p in view.occurrences(id) {
                if try_at(p) && best.is_none_or(|b| p < b) {
                    best = Some(p);
                }
            }
        }
        best
    }

    /// True when every occurrence of `other` contains an occurrence of self.
    pub fn implied_by(&self, other: &Keyword) -> bool {
        let n = self.words.len();
        n <= other.words.len()
            && other.words.windows(n).any(|w| {
                w.iter()
                    .zip(&self.words)
                    .all(|(o, s)| o.word == s.word && (!s.exact || o.exact))
            })
    }
}

/// `HH:MM-HH:MM` in the city's local time; the end is not included and the
/// range may wrap midnight (`17:00-07:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Hours {
    pub fn parse(s: &str) -> Result<Hours, String> {
        let bad = || {
            format!(
                "jam `{s}` harus berbentuk HH:MM-HH:MM / hours `{s}` must look like HH:MM-HH:MM"
            )
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (t(a)?, t(b)?);
        if start == end {
            return Err(format!(
                "jam `{s}` kosong; hapus `hours` untuk sepanjang hari / hours `{s}` are empty; leave `hours` out for all day"
            ));
        }
        Ok(Hours { start, end })
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        let t = NaiveTime::from_hms_opt(t.hour(), t.minute(), 0).unwrap_or(t);
        if self.start < self.end {
            t >= self.start && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

pub fn parse_day(s: &str) -> Result<Weekday, String> {
    let day = crate::normalize::words(s).join("");
    Ok(match day.as_str() {
        "senin" | "mon" | "monday" => Weekday::Mon,
        "selasa" | "tue" | "tuesday" => Weekday::Tue,
        "rabu" | "wed" | "wednesday" => Weekday::Wed,
        "kamis" | "thu" | "thursday" => Weekday::Thu,
        "jumat" | "fri" | "friday" => Weekday::Fri,
        "sabtu" | "sat" | "saturday" => Weekday::Sat,
        "minggu" | "ahad" | "sun" | "sunday" => Weekday::Sun,
        _ => {
            return Err(format!(
                "hari `{s}` tidak dikenal / unknown day `{s}` (senin, selasa, rabu, kamis, jumat, sabtu, minggu)"
            ))
        }
    })
}

pub fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "senin",
        Weekday::Tue => "selasa",
        Weekday::Wed => "rabu",
        Weekday::Thu => "kamis",
        Weekday::Fri => "jumat",
        Weekday::Sat => "sabtu",
        Weekday::Sun => "minggu",
    }
}

/// Every field given must hold; lists hold when any value does.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    pub channels: Option<Vec<Channel>>,
    pub accounts: Option<Vec<String>>,
    pub keywords: Option<Vec<Keyword>>,
    pub regex: Option<(RegexSet, Vec<String>)>,
    pub categories: Option<Vec<String>>,
    pub areas: Option<Vec<AreaRef>>,
    pub hours: Option<Hours>,
    pub days: Option<Vec<Weekday>>,
    pub anonim: Option<bool>,
    pub rahasia: Option<bool>,
    pub has_attachment: Option<bool>,
    pub any: Vec<Condition>,
    pub all: Vec<Condition>,
    pub none: Vec<Condition>,
}

fn reason(condition: &str, value: impl Into<String>, found: Option<String>) -> Reason {
    Reason {
        condition: condition.to_string(),
        value: value.into(),
        found,
    }
}

impl Condition {
    pub fn is_catch_all(&self) -> bool {
        self.channels.is_none()
            && self.accounts.is_none()
            && self.keywords.is_none()
            && self.regex.is_none()
            && self.categories.is_none()
            && self.areas.is_none()
            && self.hours.is_none()
            && self.days.is_none()
            && self.anonim.is_none()
            && self.rahasia.is_none()
            && self.has_attachment.is_none()
            && self.any.is_empty()
            && self.all.is_empty()
            && self.none.is_empty()
    }

    /// Whether the condition holds for the message with its current
    /// `category`; when it does, `reasons` gets why.
    pub fn matches(
        &self,
        view: &MessageView,
        category: Option<&str>,
        reasons: &mut Vec<Reason>,
    ) -> bool {
        let mark = reasons.len();
        let ok = self.check(view, category, reasons);
        if !ok {
            reasons.truncate(mark);
        }
        ok
    }

    fn check(&self, view: &MessageView, category: Option<&str>, reasons: &mut Vec<Reason>) -> bool {
        let input = view.input;
        if let Some(want) = self.anonim {
            if input.anonim != want {
                return false;
            }
            reasons.push(reason("anonim", want.to_string(), None));
        }
        if let Some(want) = self.rahasia {
            if input.rahasia != want {
                return false;
            }
            reasons.push(reason("rahasia", want.to_string(), None));
        }
        if let Some(want) = self.has_attachment {
            if input.has_attachment != want {
                return false;
            }
            reasons.push(reason("has_attachment", want.to_string(), None));
        }
        if let Some(channels) = &self.channels {
            if !channels.contains(&input.channel) {
                return false;
            }
            reasons.push(reason("channel", input.channel.as_str(), None));
        }
        if let Some(accounts) = &self.accounts {
            if !accounts.iter().any(|a| *a == input.account) {
                return false;
            }
            reasons.push(reason("account", input.account.clone(), None));
        }
        if let Some(categories) = &self.categories {
            let Some(c) = category.filter(|c| categories.iter().any(|w| w == c)) else {
                return false;
            };
            reasons.push(reason("category", c, None));
        }
        if let Some(days) = &self.days {
            let today = chrono::Datelike::weekday(&view.local);
            if !days.contains(&today) {
                return false;
            }
            reasons.push(reason("days", day_name(today), None));
        }
        if let Some(hours) = &self.hours {
            let t = view.local.time();
            if !hours.contains(t) {
                return false;
            }
            reasons.push(reason(
                "hours",
                format!(
                    "{}-{}",
                    hours.start.format("%H:%M"),
                    hours.end.format("%H:%M")
                ),
                Some(t.format("%H:%M").to_string()),
            ));
        }
        if let Some(areas) = &self.areas {
            let Some(found) = &view.area else {
                return false;
            };
            let Some(area) = areas.iter().find(|a| a.contains(found)) else {
                return false;
            };
            reasons.push(reason("area", area.code(), Some(found.evidence.clone())));
        }
        if let Some(keywords) = &self.keywords {
            let hit = keywords.iter().find_map(|k| k.find(view).map(|p| (k, p)));
            let Some((k, p)) = hit else {
                return false;
            };
            let found = view.words(p, k.words.len());
            let found = (found != k.text).then_some(found);
            reasons.push(reason("keywords", k.text.clone(), found));
        }
        if let Some((set, patterns)) = &self.regex {
            let Some(i) = set.matches(&view.joined).iter().next() else {
                return false;
            };
            reasons.push(reason("regex", patterns[i].clone(), None));
        }
        if !self.all.iter().all(|c| c.matches(view, category, reasons)) {
            return false;
        }
        if !self.any.is_empty() && !self.any.iter().any(|c| c.matches(view, category, reasons)) {
            return false;
        }
        let mut scratch = Vec::new();
        if self
            .none
            .iter()
            .any(|c| c.matches(view, category, &mut scratch))
        {
            return false;
        }
        true
    }

    /// True when this condition holds for every message `other` holds for
    /// (so a stopping rule with it hides a later rule with `other`). It may
    /// answer false when it cannot tell; it never answers true wrongly.
    pub fn covers(&self, other: &Condition) -> bool {
        if !self.any.is_empty() || !self.all.is_empty() || !self.none.is_empty() {
            return false;
        }
        fn subset<T: PartialEq>(mine: &Option<Vec<T>>, theirs: &Option<Vec<T>>) -> bool {
            match (mine, theirs) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(m), Some(t)) => t.iter().all(|x| m.contains(x)),
            }
        }
        fn same<T: PartialEq>(mine: &Option<T>, theirs: &Option<T>) -> bool {
            mine.is_none() || mine == theirs
        }
        let keywords = match (&self.keywords, &other.keywords) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(m), Some(t)) => t.iter().all(|k| m.iter().any(|mk| mk.implied_by(k))),
        };
        let regex = match (&self.regex, &other.regex) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some((_, m)), Some((_, t))) => t.iter().all(|p| m.contains(p)),
        };
        let areas = match (&self.areas, &other.areas) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(m), Some(t)) => t.iter().all(|a| m.iter().any(|ma| ma.covers(a))),
        };
        keywords
            && regex
            && areas
            && subset(&self.channels, &other.channels)
            && subset(&self.accounts, &other.accounts)
            && subset(&self.categories, &other.categories)
            && subset(&self.days, &other.days)
            && same(&self.hours, &other.hours)
            && same(&self.anonim, &other.anonim)
            && same(&self.rahasia, &other.rahasia)
            && same(&self.has_attachment, &other.has_attachment)
    }

    /// True when this condition, or a group in it, tests the category.
    pub fn uses_category(&self) -> bool {
        self.categories.is_some()
            || self
                .any
                .iter()
                .chain(&self.all)
                .chain(&self.none)
                .any(Condition::uses_category)
    }
}

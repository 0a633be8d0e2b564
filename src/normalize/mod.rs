//! Indonesian text normalisation for matching: lower case, punctuation
//! dropped, chat spellings spelled out, affixes tolerated through stems.
//! It only rewrites text into comparable tokens; it never decides anything
//! (routing and duplicate detection compare what it produces).

mod chat;
mod stem;

pub use chat::expand as expand_chat_spelling;
pub use stem::stem;

/// One word of a normalised text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word in lower case, chat spelling spelled out (`yg` -> `yang`).
    pub word: String,
    /// Its root with Indonesian affixes removed (`jalannya` -> `jalan`,
    /// `berlubang` -> `lubang`); equal to `word` for numbers.
    pub stem: String,
}

/// A text as a sequence of comparable words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizedText {
    tokens: Vec<Token>,
}

impl NormalizedText {
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// This text's words followed by `next`'s: the normalised form of the
    /// two texts written one after the other with a space or a line break
    /// between them.
    pub fn then(mut self, next: NormalizedText) -> NormalizedText {
        self.tokens.extend(next.tokens);
        self
    }

    /// The words joined by single spaces: what regular expressions see.
    pub fn joined(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&t.word);
        }
        out
    }
}

/// Normalises `text`: every word becomes a [`Token`].
pub fn normalize(text: &str) -> NormalizedText {
    let tokens = words(text)
        .into_iter()
        .map(|word| Token {
            stem: stem(&word),
            word,
        })
        .collect();
    NormalizedText { tokens }
}

/// The words of `text`, lower-cased, without punctuation, with chat
/// spellings spelled out and reduplication (`anak2`, `lubang-lubang`)
/// written as two words. No stemming: place names are compared like this.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in raw_words(text) {
        let word = collapse_elongation(&raw);
        let (word, repeated) = match split_reduplication(&word) {
            Some(base) => (base.to_string(), true),
            None => (word, false),
        };
        let times = if repeated { 2 } else { 1 };
        for _ in 0..times {
            match chat::expand(&word) {
                Some(expansion) => out.extend(expansion.split(' ').map(str::to_string)),
                None => out.push(word.clone()),
            }
        }
    }
    out
}

/// Splits on anything that is not a letter or digit; apostrophes inside a
/// word (`jum'at`) are dropped rather than splitting it.
fn raw_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            current.extend(ch.to_lowercase());
        } else if matches!(ch, '\'' | '’' | '`') && !current.is_empty() {
            continue;
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `rusakkk` -> `rusak`, `bangeeet` -> `banget`: three or more of the same
/// letter are one letter. Digits are left alone (`1000`).
fn collapse_elongation(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        let mut run = 1;
        while chars.next_if_eq(&c).is_some() {
            run += 1;
        }
        let keep = if run >= 3 && c.is_alphabetic() {
            1
        } else {
            run
        };
        out.extend(std::iter::repeat_n(c, keep));
    }
    out
}

/// `anak2` -> `anak`: the chat way of writing `anak-anak`.
fn split_reduplication(word: &str) -> Option<&str> {
    let base = word.strip_suffix('2')?;
    (base.chars().count() >= 3 && base.chars().all(char::is_alphabetic)).then_some(base)
}

#[cfg(test)]
mod tests;

//! Indonesian stems: the Snowball Indonesian (Tala) stemmer, which removes
//! particles, possessives, prefixes and suffixes without a dictionary.
//! It only maps one lower-case word to its stem.

/// The stem of a lower-case word; numbers and very short words are kept.
pub fn stem(word: &str) -> String {
    if word.chars().count() < 4 || !word.chars().all(char::is_alphabetic) {
        return word.to_string();
    }
    tantivy_stemmers::algorithms::indonesian_tala(word).into_owned()
}

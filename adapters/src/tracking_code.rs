//! Tracking codes citizens read aloud, type on a phone and send by SMS.
//!
//! Ten characters from a 31-letter alphabet with no look-alikes (no 0/O,
//! 1/I/L), the last a check character: the weighted sum of the nine data
//! characters modulo 31 (a prime). Because every weight is distinct and
//! non-zero modulo 31, any single mistyped character and any two swapped
//! characters change the sum and are caught.

use serde::{Deserialize, Serialize};

pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const DATA_LEN: usize = 9;
pub const LEN: usize = DATA_LEN + 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    #[error("a tracking code has {LEN} characters, got {0}")]
    Length(usize),
    #[error("`{0}` is not a tracking code character")]
    Character(char),
    #[error("check character does not match: the code is mistyped")]
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingCode(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn check_value(data: &[u32]) -> u32 {
    data.iter()
        .enumerate()
        .map(|(i, v)| (i as u32 + 1) * v)
        .sum::<u32>()
        % ALPHABET.len() as u32
}

impl TrackingCode {
    /// Builds a code from nine random alphabet indices (each taken modulo 31).
    pub fn from_random(random: [u32; DATA_LEN]) -> Self {
        let data: Vec<u32> = random.iter().map(|r| r % ALPHABET.len() as u32).collect();
        let check = check_value(&data);
        let code = data
            .iter()
            .chain(std::iter::once(&check))
            .map(|&v| ALPHABET[v as usize] as char)
            .collect();
        TrackingCode(code)
    }

    /// Parses what a citizen typed: case, spaces and dashes do not matter.
    pub fn parse(input: &str) -> Result<Self, TrackingCodeError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.chars().count() != LEN {
            return Err(TrackingCodeError::Length(cleaned.chars().count()));
        }
        let mut values = Vec::with_capacity(LEN);
        for c in cleaned.chars() {
            let v = u8::try_from(c)
                .ok()
                .and_then(value_of)
                .ok_or(TrackingCodeError::Character(c))?;
            values.push(v);
        }
        if check_value(&values[..DATA_LEN]) != values[DATA_LEN] {
            return Err(TrackingCodeError::Check);
        }
        Ok(TrackingCode(cleaned))
    }
}

checked_string!(TrackingCode, TrackingCode::parse, TrackingCodeError);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_codes() -> Vec<TrackingCode> {
        // A deterministic spread of codes (a linear congruential walk).
        let mut state: u64 = 0x5eed;
        (0..300)
            .map(|_| {
                let mut r = [0u32; DATA_LEN];
                for v in r.iter_mut() {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    *v = (state >> 33) as u32;
                }
                TrackingCode::from_random(r)
            })
            .collect()
    }

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"01OIL" {
            assert!(!ALPHABET.contains(c));
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 31);
    }

    #[test]
    fn generated_codes_parse_and_are_short() {
        for code in sample_codes() {
            assert!(code.as_str().len() <= 12);
            assert_eq!(TrackingCode::parse(code.as_str()).unwrap(), code);
            let sloppy =
                format!(" {}-{} ", &code.as_str()[..5], &code.as_str()[5..]).to_lowercase();
            assert_eq!(TrackingCode::parse(&sloppy).unwrap(), code);
        }
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for code in sample_codes() {
            let bytes = code.as_str().as_bytes();
            for pos in 0..LEN {
                for &replacement in ALPHABET.iter() {
                    if replacement == bytes[pos] {
                        continue;
                    }
                    let mut typo = bytes.to_vec();
                    typo[pos] = replacement;
                    let typo = String::from_utf8(typo).unwrap();
                    assert_eq!(
                        TrackingCode::parse(&typo),
                        Err(TrackingCodeError::Check),
                        "{typo}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_swap_of_two_characters_is_caught() {
        for code in sample_codes() {
            let bytes = code.as_str().as_bytes();
            for i in 0..LEN {
                for j in (i + 1)..LEN {
                    if bytes[i] == bytes[j] {
                        continue;
                    }
                    let mut swapped = bytes.to_vec();
                    swapped.swap(i, j);
                    let swapped = String::from_utf8(swapped).unwrap();
                    assert!(TrackingCode::parse(&swapped).is_err(), "{swapped}");
                }
            }
        }
    }

    #[test]
    fn malformed_input_is_refused_with_a_reason() {
        assert_eq!(
            TrackingCode::parse("ABC"),
            Err(TrackingCodeError::Length(3))
        );
        assert_eq!(
            TrackingCode::parse("ABCDEFGH0J"),
            Err(TrackingCodeError::Character('0'))
        );
        assert!(matches!(
            TrackingCode::parse("ÄBCDEFGHJK"),
            Err(TrackingCodeError::Character('Ä'))
        ));
    }
}

//! The city: its name and its UTC offset, the clock time-of-day routing
//! rules are read in. Indonesia keeps no daylight saving time, so a fixed
//! offset is the whole truth; no time zone database is needed.

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An offset from UTC written `+07:00` (WIB), `+08:00` (WITA), `+09:00` (WIT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcOffset(FixedOffset);

impl UtcOffset {
    pub fn offset(self) -> FixedOffset {
        self.0
    }
}

impl Default for UtcOffset {
    fn default() -> Self {
        UtcOffset(FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset"))
    }
}

impl FromStr for UtcOffset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<FixedOffset>()
            .map(UtcOffset)
            .map_err(|_| format!("`{s}` is not a UTC offset such as `+07:00`"))
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for UtcOffset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UtcOffset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CityConfig {
    /// The city's name as citizens know it.
    pub name: String,
    /// The city's offset from UTC; time-of-day routing rules use it.
    pub utc_offset: UtcOffset,
}

impl Default for CityConfig {
    fn default() -> Self {
        CityConfig {
            name: "Kota Padang".into(),
            utc_offset: UtcOffset::default(),
        }
    }
}

impl CityConfig {
    /// The offset SLA clocks and reports count local days in.
    pub fn offset(&self) -> Result<FixedOffset, String> {
        Ok(self.utc_offset.offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_print() {
        let wib: UtcOffset = "+07:00".parse().unwrap();
        assert_eq!(wib, UtcOffset::default());
        assert_eq!(wib.to_string(), "+07:00");
        assert_eq!(
            "+09:00"
                .parse::<UtcOffset>()
                .unwrap()
                .offset()
                .local_minus_utc(),
            9 * 3600
        );
        assert!("Asia/Jakarta".parse::<UtcOffset>().is_err());
    }
}

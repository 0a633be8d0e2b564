//! The working-day calendar SLA clocks count in: weekends, national
//! holidays and cuti bersama (from files in `config/holidays/`), and any
//! regional holidays a city adds, in the city's own time zone.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    /// `nasional`, `cuti_bersama` or `daerah` (regional).
    #[serde(default = "regional")]
    pub kind: String,
}

fn regional() -> String {
    "daerah".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    #[serde(default)]
    holiday: Vec<Holiday>,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    offset: FixedOffset,
    holidays: BTreeMap<NaiveDate, Holiday>,
}

impl Calendar {
    pub fn new(offset: FixedOffset, holidays: impl IntoIterator<Item = Holiday>) -> Self {
        Calendar {
            offset,
            holidays: holidays.into_iter().map(|h| (h.date, h)).collect(),
        }
    }

    /// Reads holiday files; an error names the file and the problem.
    pub fn load(
        offset: FixedOffset,
        files: &[impl AsRef<Path>],
        extra: &[Holiday],
    ) -> Result<Self, String> {
        let mut all = Vec::new();
        for file in files {
            let path = file.as_ref();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{}: cannot read holidays: {e}", path.display()))?;
            let parsed: HolidayFile =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            all.extend(parsed.holiday);
        }
        all.extend(extra.iter().cloned());
        Ok(Calendar::new(offset, all))
    }

    pub fn holiday(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays.get(&date)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains_key(&date)
    }

    /// `n` working days after `start`, at the same local time of day. A
    /// start outside working days counts from the next working day's
    /// beginning (a complaint sent on Saturday is due as if sent Monday 00:00).
    pub fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let local = start.with_timezone(&self.offset);
        let mut date = local.date_naive();
        let mut time = local.time();
        if !self.is_working_day(date) {
            while !self.is_working_day(date) {
                date = date.succ_opt().expect("dates stay in range");
            }
            time = chrono::NaiveTime::MIN;
        }
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().expect("dates stay in range");
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        self.offset
            .from_local_datetime(&date.and_time(time))
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    }

    /// Working days between two instants (whole days, by local date), for reports.
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        if to <= from {
            return 0.0;
        }
        let mut days = 0.0;
        let mut cursor = from;
        while cursor < to {
            let next = (cursor + Duration::days(1)).min(to);
            if self.is_working_day(cursor.with_timezone(&self.offset).date_naive()) {
                days += (next - cursor).num_seconds() as f64 / 86_400.0;
            }
            cursor = next;
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wib() -> FixedOffset {
        FixedOffset::east_opt(7 * 3600).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        // Local WIB time to UTC.
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        wib()
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn shipped() -> Calendar {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/holidays/2026.toml");
        Calendar::load(wib(), &[file], &[]).unwrap()
    }

    #[test]
    fn the_shipped_2026_calendar_has_17_holidays_and_8_collective_leave_days() {
        let c = shipped();
        let count = |kind: &str| c.holidays.values().filter(|h| h.kind == kind).count();
        assert_eq!(count("nasional"), 17);
        assert_eq!(count("cuti_bersama"), 8);
        assert!(c
            .holiday(NaiveDate::from_ymd_opt(2026, 8, 17).unwrap())
            .is_some());
    }

    #[test]
    fn due_dates_skip_weekends_and_holidays() {
        let c = shipped();
        let cases = [
            // label, start (WIB), working days, due (WIB)
            ("plain week", "2026-11-02 10:00", 3, "2026-11-05 10:00"),
            (
                "across a weekend",
                "2026-11-06 10:00",
                3,
                "2026-11-11 10:00",
            ),
            (
                "sent on Saturday",
                "2026-11-07 22:00",
                3,
                "2026-11-12 00:00",
            ),
            (
                "across Independence Day",
                "2026-08-14 09:00",
                3,
                "2026-08-20 09:00",
            ),
            (
                "across Idul Fitri and cuti bersama",
                "2026-03-17 08:00",
                3,
                "2026-03-27 08:00",
            ),
            (
                "five days over Christmas",
                "2026-12-21 15:30",
                5,
                "2026-12-30 15:30",
            ),
            ("zero days", "2026-11-02 10:00", 0, "2026-11-02 10:00"),
        ];
        for (label, start, n, want) in cases {
            assert_eq!(c.add_working_days(at(start), n), at(want), "{label}");
        }
    }

    #[test]
    fn a_city_adds_its_own_holidays() {
        let extra = Holiday {
            date: NaiveDate::from_ymd_opt(2026, 11, 4).unwrap(),
            name: "Hari jadi kota".into(),
            kind: "daerah".into(),
        };
        let c = Calendar::new(wib(), [extra]);
        assert_eq!(
            c.add_working_days(at("2026-11-02 10:00"), 3),
            at("2026-11-06 10:00")
        );
        assert!(
            (c.working_days_between(at("2026-11-02 00:00"), at("2026-11-09 00:00")) - 4.0).abs()
                < 1e-9
        );
    }

    #[test]
    fn a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[[holiday]]\ndate = \"2026-13-01\"\nname = \"x\"\n").unwrap();
        let e = Calendar::load(wib(), &[&file], &[]).unwrap_err();
        assert!(e.contains("bad.toml"), "{e}");
    }
}

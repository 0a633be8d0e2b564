//! Duplicate detection settings: similarity thresholds, time windows, the
//! radius for pins and the LSH shape. Only numbers; detection is in `dedup`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Recognise repeats and link duplicates.
    pub enabled: bool,
    /// Estimated Jaccard similarity (0..1) above which the same citizen's
    /// new text repeats their open complaint.
    pub repeat_threshold: f64,
    /// Estimated Jaccard similarity (0..1) above which another citizen's
    /// text about the same place reports the same problem.
    pub duplicate_threshold: f64,
    /// Days a citizen's complaint can be repeated.
    pub repeat_window_days: u32,
    /// Hours within which another citizen's report joins the first.
    pub duplicate_window_hours: u32,
    /// Metres within which two pins are the same place.
    pub radius_m: f64,
    /// LSH bands; a signature has `lsh_bands * lsh_rows` hashes.
    pub lsh_bands: usize,
    /// Hashes per LSH band.
    pub lsh_rows: usize,
    /// Seconds between looks at complaints changed by other processes
    /// (operator link, unlink and status on the command line, another
    /// gateway), so the running index follows the database.
    pub sync_interval_secs: u64,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            enabled: true,
            repeat_threshold: 0.5,
            duplicate_threshold: 0.3,
            repeat_window_days: 7,
            duplicate_window_hours: 72,
            radius_m: 150.0,
            lsh_bands: 32,
            lsh_rows: 2,
            sync_interval_secs: 5,
        }
    }
}

impl DedupConfig {
    /// Problems, each naming its key.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (key, v) in [
            ("dedup.repeat_threshold", self.repeat_threshold),
            ("dedup.duplicate_threshold", self.duplicate_threshold),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                problems.push(format!("{key}: must be above 0 and at most 1 (got {v})"));
            }
        }
        if self.repeat_window_days == 0 {
            problems.push("dedup.repeat_window_days: must be at least 1".into());
        }
        if self.duplicate_window_hours == 0 {
            problems.push("dedup.duplicate_window_hours: must be at least 1".into());
        }
        if !(self.radius_m.is_finite() && self.radius_m >= 0.0) {
            problems.push(format!(
                "dedup.radius_m: must be 0 or more (got {})",
                self.radius_m
            ));
        }
        if self.lsh_bands == 0 || self.lsh_rows == 0 || self.lsh_bands * self.lsh_rows > 1024 {
            problems.push(
                "dedup.lsh_bands and dedup.lsh_rows: must be at least 1, with at most 1024 hashes in all"
                    .into(),
            );
        }
        if self.sync_interval_secs == 0 {
            problems.push("dedup.sync_interval_secs: must be at least 1".into());
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_their_key() {
        let bad = DedupConfig {
            duplicate_threshold: 1.5,
            lsh_rows: 0,
            sync_interval_secs: 0,
            ..Default::default()
        };
        let problems = bad.validate().join("; ");
        assert!(problems.contains("dedup.duplicate_threshold"), "{problems}");
        assert!(problems.contains("dedup.lsh_rows"), "{problems}");
        assert!(problems.contains("dedup.sync_interval_secs"), "{problems}");
        assert!(DedupConfig::default().validate().is_empty());
    }
}

//! The complaint's life cycle: statuses, their order, and how they read to
//! a citizen in Bahasa Indonesia and in English.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Forwarded,
    Verified,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Duplicate,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Received,
        Status::Forwarded,
        Status::Verified,
        Status::Assigned,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
        Status::Duplicate,
        Status::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Forwarded => "forwarded",
            Status::Verified => "verified",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Duplicate => "duplicate",
            Status::Rejected => "rejected",
        }
    }

    pub fn label_id(self) -> &'static str {
        match self {
            Status::Received => "Diterima",
            Status::Forwarded => "Diteruskan",
            Status::Verified => "Diverifikasi",
            Status::Assigned => "Didisposisikan ke instansi",
            Status::InProgress => "Sedang ditindaklanjuti",
            Status::Resolved => "Selesai ditindaklanjuti",
            Status::Closed => "Ditutup",
            Status::Duplicate => "Laporan serupa sudah ada",
            Status::Rejected => "Ditolak",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Received => "Received",
            Status::Forwarded => "Forwarded",
            Status::Verified => "Verified",
            Status::Assigned => "Assigned to an agency",
            Status::InProgress => "In progress",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
            Status::Duplicate => "Duplicate of an earlier report",
            Status::Rejected => "Rejected",
        }
    }

    /// Whether the pipeline may still move the complaint forward.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Duplicate | Status::Rejected)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_have_labels() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            assert!(!s.label_id().is_empty() && !s.label_en().is_empty());
        }
        assert!(!Status::Closed.is_open() && Status::Received.is_open());
    }
}

//! The city's areas: kecamatan and kelurahan names and Kemendagri codes
//! (`config/areas/*.csv`) and any boundary polygons an operator supplies
//! (`config/areas/*.geojson`). It answers "where is this?" from a location
//! pin or from place names in a text; it never routes.

mod gazetteer;
mod names;
mod polygons;

pub use gazetteer::{Gazetteer, Kecamatan, Kelurahan};
pub use polygons::{AreaPolygon, Polygons};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How a complaint's area was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaSource {
    /// The location pin lies in an area's polygon.
    Pin,
    /// The text names the area.
    Text,
}

/// The area a complaint is in, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaFound {
    pub kecamatan_code: String,
    pub kecamatan: String,
    pub kelurahan_code: Option<String>,
    pub kelurahan: Option<String>,
    pub source: AreaSource,
    /// The words found, or the pin's coordinates.
    pub evidence: String,
}

/// An area a routing rule names: a whole kecamatan or one kelurahan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaRef {
    Kecamatan(String),
    Kelurahan(String),
}

impl AreaRef {
    pub fn code(&self) -> &str {
        match self {
            AreaRef::Kecamatan(c) | AreaRef::Kelurahan(c) => c,
        }
    }

    /// True when `found` lies in this area (a kelurahan lies in its kecamatan).
    pub fn contains(&self, found: &AreaFound) -> bool {
        match self {
            AreaRef::Kecamatan(code) => found.kecamatan_code == *code,
            AreaRef::Kelurahan(code) => found.kelurahan_code.as_deref() == Some(code),
        }
    }

    /// True when every complaint in `other` is also in `self`.
    pub fn covers(&self, other: &AreaRef) -> bool {
        match (self, other) {
            (AreaRef::Kecamatan(a), AreaRef::Kelurahan(b)) => b
                .strip_prefix(a.as_str())
                .is_some_and(|r| r.starts_with('.')),
            _ => self == other,
        }
    }
}

/// A problem in an area file, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct AreaError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// Names, codes and polygons of the city's areas.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    gazetteer: Gazetteer,
    polygons: Polygons,
}

impl Areas {
    pub fn new(gazetteer: Gazetteer, polygons: Polygons) -> Areas {
        Areas {
            gazetteer,
            polygons,
        }
    }

    /// Loads every `*.csv` (names and aliases) and then every `*.geojson`
    /// or `*.json` (polygons) in `dir`, in name order. A missing directory
    /// is no areas at all.
    pub fn load(dir: &Path) -> Result<Areas, AreaError> {
        let mut files = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Areas::default()),
            Err(e) => {
                return Err(AreaError {
                    file: dir.to_path_buf(),
                    line: None,
                    message: e.to_string(),
                })
            }
        };
        files.sort();
        let ext = |p: &Path| {
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default()
        };
        let mut builder = gazetteer::Builder::default();
        for file in files.iter().filter(|p| ext(p) == "csv") {
            builder.add_csv(file)?;
        }
        let gazetteer = builder.build()?;
        let mut polygons = Polygons::default();
        for file in files
            .iter()
            .filter(|p| ext(p) == "geojson" || ext(p) == "json")
        {
            let text = std::fs::read_to_string(file).map_err(|e| AreaError {
                file: file.clone(),
                line: None,
                message: e.to_string(),
            })?;
            polygons
                .add_geojson(&text, &gazetteer)
                .map_err(|message| AreaError {
                    file: file.clone(),
                    line: None,
                    message,
                })?;
        }
        Ok(Areas {
            gazetteer,
            polygons,
        })
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    pub fn polygons(&self) -> &Polygons {
        &self.polygons
    }

    /// The area a rule names by code (`13.71.11`, `1371111009`) or by name
    /// (`Koto Tangah`, `Lubuk Buaya`).
    pub fn resolve(&self, code_or_name: &str) -> Option<AreaRef> {
        self.gazetteer.resolve(code_or_name)
    }

    /// The area whose polygon holds the point (see [`Polygons::locate`]).
    pub fn locate(&self, lat: f64, lon: f64) -> Option<AreaFound> {
        let area = self.polygons.locate(lat, lon)?;
        let mut found = self.gazetteer.found(area, AreaSource::Pin)?;
        found.evidence = format!("{lat},{lon}");
        Some(found)
    }

    /// The area a text names, from its normalised words.
    pub fn find_in_words(&self, words: &[String]) -> Option<AreaFound> {
        self.gazetteer.find_in_words(words)
    }

    /// Pin first, then names in the text.
    pub fn find(&self, pin: Option<(f64, f64)>, words: &[String]) -> Option<AreaFound> {
        pin.and_then(|(lat, lon)| self.locate(lat, lon))
            .or_else(|| self.find_in_words(words))
    }
}

#[cfg(test)]
mod tests;

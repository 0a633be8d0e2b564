//! Where routing finds its rules and areas, and how it notices changes.
//! Only paths and timings; the rules themselves live in their own file.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// The routing rules (TOML). When the file does not exist, every
    /// complaint goes to `dispatch.default_destination`.
    pub rules_file: PathBuf,
    /// Kecamatan/kelurahan names (`*.csv`) and polygons (`*.geojson`).
    pub areas_dir: PathBuf,
    /// Reload the rules when the file or the areas change (SIGHUP always does).
    pub watch: bool,
    /// Milliseconds of quiet after a change before reloading, so an editor's
    /// several writes become one reload.
    pub reload_debounce_ms: u64,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            rules_file: "config/rules.toml".into(),
            areas_dir: "config/areas".into(),
            watch: true,
            reload_debounce_ms: 500,
        }
    }
}

//! Area boundaries from GeoJSON: any Feature or FeatureCollection whose
//! (Multi)Polygon features name a kecamatan or kelurahan of the gazetteer
//! by code or by name. Answers which area holds a point; nothing else.

use super::gazetteer::Gazetteer;
use super::AreaRef;
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{BoundingRect, Coord, MultiPolygon, Rect};
use geojson::{Feature, GeoJson, GeometryValue};

/// Properties that may hold an area's code, then its name, in that order.
const CODE_KEYS: &[&str] = &["code", "kode", "kode_wilayah", "kode_kemendagri", "kdepum"];
const NAME_KEYS: &[&str] = &[
    "kelurahan",
    "desa",
    "nama_kelurahan",
    "name",
    "nama",
    "kecamatan",
];

#[derive(Debug, Clone)]
pub struct AreaPolygon {
    pub area: AreaRef,
    shape: MultiPolygon<f64>,
    bbox: Rect<f64>,
}

impl AreaPolygon {
    pub fn new(area: AreaRef, shape: MultiPolygon<f64>) -> Option<AreaPolygon> {
        let bbox = shape.bounding_rect()?;
        Some(AreaPolygon { area, shape, bbox })
    }

    fn position(&self, c: Coord<f64>) -> CoordPos {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        if c.x < min.x || c.x > max.x || c.y < min.y || c.y > max.y {
            return CoordPos::Outside;
        }
        self.shape.coordinate_position(&c)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Polygons {
    items: Vec<AreaPolygon>,
}

fn property_text(feature: &Feature, key: &str) -> Option<String> {
    match feature.property(key)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Polygons {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, polygon: AreaPolygon) {
        self.items.push(polygon);
    }

    /// Adds the polygons of a GeoJSON text; every polygon feature must name
    /// an area the gazetteer knows. Features that are not polygons are
    /// skipped (a file of boundaries may carry labels as points).
    pub fn add_geojson(&mut self, text: &str, gazetteer: &Gazetteer) -> Result<(), String> {
        let geojson: GeoJson = text
            .parse()
            .map_err(|e| format!("not GeoJSON / bukan GeoJSON: {e}"))?;
        let features = match geojson {
            GeoJson::FeatureCollection(fc) => fc.features,
            GeoJson::Feature(f) => vec![f],
            GeoJson::Geometry(_) => {
                return Err("a bare geometry names no area: use Features with a `code` property / geometri tanpa properti `code`".into())
            }
        };
        for (i, feature) in features.iter().enumerate() {
            let Some(geometry) = &feature.geometry else {
                continue;
            };
            if !matches!(
                geometry.value,
                GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. }
            ) {
                continue;
            }
            let area = CODE_KEYS
                .iter()
                .chain(NAME_KEYS)
                .filter_map(|k| property_text(feature, k))
                .find_map(|v| gazetteer.resolve(&v))
                .ok_or_else(|| {
                    format!(
                        "feature {i}: no property ({}) names a known kecamatan or kelurahan; add it to the areas CSV / fitur {i}: wilayah tidak dikenal",
                        CODE_KEYS.iter().chain(NAME_KEYS).copied().collect::<Vec<_>>().join(", ")
                    )
                })?;
            let shape = match &geometry.value {
                GeometryValue::Polygon { .. } => {
                    geo::Polygon::<f64>::try_from(&geometry.value).map(|p| MultiPolygon(vec![p]))
                }
                _ => MultiPolygon::<f64>::try_from(&geometry.value),
            }
            .map_err(|e| format!("feature {i}: {e}"))?;
            let polygon = AreaPolygon::new(area, shape)
                .ok_or_else(|| format!("feature {i}: empty polygon / poligon kosong"))?;
            self.items.push(polygon);
        }
        Ok(())
    }

    /// The area holding the point (a border counts as inside). A kelurahan
    /// wins over a kecamatan; then an area the point is strictly inside
    /// wins over one it is on the border of; then the lowest code, so a
    /// point on a shared border always lands in the same area.
    pub fn locate(&self, lat: f64, lon: f64) -> Option<&AreaRef> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let point = Coord { x: lon, y: lat };
        self.items
            .iter()
            .filter_map(|p| match p.position(point) {
                CoordPos::Outside => None,
                pos => Some((p, pos)),
            })
            .min_by(|(a, pa), (b, pb)| {
                let rank = |p: &AreaPolygon, pos: &CoordPos| {
                    (
                        matches!(p.area, AreaRef::Kecamatan(_)),
                        matches!(pos, CoordPos::OnBoundary),
                    )
                };
                rank(a, pa)
                    .cmp(&rank(b, pb))
                    .then_with(|| a.area.code().cmp(b.area.code()))
            })
            .map(|(p, _)| &p.area)
    }
}

//! Whether two complaints are about the same place: pins within a radius,
//! else the same kelurahan. Pure geometry; knows nothing of texts.

/// Where a complaint is, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Place {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub kelurahan_code: Option<String>,
}

/// Great-circle distance in metres.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Same place: both pinned within `radius_m`, or else the same known
/// kelurahan. Two complaints whose place is unknown are never the same.
pub fn same_place(a: &Place, b: &Place, radius_m: f64) -> bool {
    if let (Some(alat), Some(alon), Some(blat), Some(blon)) = (a.lat, a.lon, b.lat, b.lon) {
        return haversine_m((alat, alon), (blat, blon)) <= radius_m;
    }
    matches!((&a.kelurahan_code, &b.kelurahan_code), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_within_radius_or_same_kelurahan() {
        let pin = |lat, lon| Place {
            lat: Some(lat),
            lon: Some(lon),
            kelurahan_code: None,
        };
        let kel = |k: &str| Place {
            kelurahan_code: Some(k.into()),
            ..Default::default()
        };
        // About 111 m apart.
        assert!(same_place(&pin(-0.95, 100.35), &pin(-0.951, 100.35), 150.0));
        assert!(!same_place(&pin(-0.95, 100.35), &pin(-0.951, 100.35), 50.0));
        assert!(same_place(&kel("a"), &kel("a"), 100.0));
        assert!(!same_place(&kel("a"), &kel("b"), 100.0));
        assert!(!same_place(&Place::default(), &Place::default(), 100.0));
    }
}

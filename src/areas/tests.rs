use super::*;
use geo::{polygon, MultiPolygon};
use proptest::prelude::*;
use std::path::Path;

fn shipped() -> Areas {
    Areas::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/areas")).unwrap()
}

#[test]
fn the_shipped_areas_are_padangs_11_kecamatan_and_104_kelurahan() {
    let areas = shipped();
    assert_eq!(areas.gazetteer().kecamatan().count(), 11);
    assert_eq!(areas.gazetteer().kelurahan().count(), 104);
    assert!(areas.polygons().is_empty());
}

#[test]
fn names_in_text_resolve_to_codes() {
    let areas = shipped();
    // (text, kecamatan code, kelurahan code)
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        (
            "Kel. Air Tawar Barat",
            Some("13.71.04"),
            Some("13.71.04.1002"),
        ),
        (
            "kelurahan air tawar barat",
            Some("13.71.04"),
            Some("13.71.04.1002"),
        ),
        ("kec koto tangah", Some("13.71.11"), None),
        ("Kecamatan Koto Tengah", Some("13.71.11"), None),
        (
            "Puskesmas Lubuk Buaya tutup",
            Some("13.71.11"),
            Some("13.71.11.1009"),
        ),
        (
            "sirine di Pasia Nan Tigo",
            Some("13.71.11"),
            Some("13.71.11.1013"),
        ),
        (
            "jembatan di kampung baru nan xx",
            Some("13.71.06"),
            Some("13.71.06.1002"),
        ),
        (
            "jembatan di Kampung Baru Nan 20",
            Some("13.71.06"),
            Some("13.71.06.1002"),
        ),
        ("dekat Kp. Jao", Some("13.71.03"), Some("13.71.03.1007")),
        (
            "jalan di Aia Pacah",
            Some("13.71.11"),
            Some("13.71.11.1003"),
        ),
        // A shorter name shared by kelurahan of one kecamatan: the kecamatan.
        ("Jalur evakuasi di Ulak Karang", Some("13.71.04"), None),
        // A shorter name of one kelurahan only.
        (
            "Jalan Parak Gadang rusak",
            Some("13.71.02"),
            Some("13.71.02.1009"),
        ),
        // The longest name at a place wins.
        (
            "di Ganting Parak Gadang",
            Some("13.71.02"),
            Some("13.71.02.1010"),
        ),
        // A kecamatan and one of its kelurahan share the name.
        ("warga di Kuranji", Some("13.71.09"), None),
        ("Kelurahan Kuranji", Some("13.71.09"), Some("13.71.09.1007")),
        // A kelurahan mention wins over an earlier kecamatan mention.
        (
            "kec kuranji kel anduring",
            Some("13.71.09"),
            Some("13.71.09.1002"),
        ),
        // One-word names need a cue: they are ordinary words too.
        ("pisang goreng dan kayu jati", None, None),
        ("banjir di Jati", Some("13.71.02"), Some("13.71.02.1003")),
        (
            "sampah di pantai Purus",
            Some("13.71.03"),
            Some("13.71.03.1004"),
        ),
        // Aliases: landmarks and short names.
        (
            "Bak sampah di Pasar Siteba penuh",
            Some("13.71.10"),
            Some("13.71.10.1001"),
        ),
        (
            "banjir di Kelurahan Lapai",
            Some("13.71.10"),
            Some("13.71.10.1006"),
        ),
        ("PKL di Pasar Raya", Some("13.71.03"), Some("13.71.03.1007")),
        // Not a place.
        ("Kota Padang", None, None),
        ("Bus Trans Padang koridor 1", None, None),
    ];
    for (text, kec, kel) in cases {
        let found = areas.find_in_words(&crate::normalize::words(text));
        assert_eq!(
            found.as_ref().map(|f| f.kecamatan_code.as_str()),
            *kec,
            "kecamatan of {text:?}: {found:?}"
        );
        assert_eq!(
            found.as_ref().and_then(|f| f.kelurahan_code.as_deref()),
            *kel,
            "kelurahan of {text:?}: {found:?}"
        );
        if let Some(f) = found {
            assert_eq!(f.source, AreaSource::Text);
            assert!(!f.evidence.is_empty());
        }
    }
}

#[test]
fn rules_name_areas_by_code_or_name() {
    let areas = shipped();
    let cases: &[(&str, Option<AreaRef>)] = &[
        ("13.71.11", Some(AreaRef::Kecamatan("13.71.11".into()))),
        ("137111", Some(AreaRef::Kecamatan("13.71.11".into()))),
        (
            "1371111009",
            Some(AreaRef::Kelurahan("13.71.11.1009".into())),
        ),
        ("Koto Tangah", Some(AreaRef::Kecamatan("13.71.11".into()))),
        (
            "Lubuk Buaya",
            Some(AreaRef::Kelurahan("13.71.11.1009".into())),
        ),
        ("Kuranji", Some(AreaRef::Kecamatan("13.71.09".into()))),
        ("13.71.99", None),
        ("Bukittinggi", None),
    ];
    for (input, want) in cases {
        assert_eq!(areas.resolve(input), *want, "{input}");
    }
}

fn square_gazetteer() -> Gazetteer {
    Gazetteer::from_rows(
        &[
            ("13.71.01.1001", "13.71.01", "Kiri Kanan", "Kiri"),
            ("13.71.01.1002", "13.71.01", "Kiri Kanan", "Kanan"),
            ("13.71.02.1001", "13.71.02", "Berlubang", "Cincin"),
        ],
        &[],
    )
    .unwrap()
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)
    ]])
}

/// Kiri [0,1]x[0,1] and Kanan [1,2]x[0,1] share the border x = 1; their
/// kecamatan covers [0,3]x[0,1]; Cincin is a ring around a hole.
fn squares(reverse: bool) -> Areas {
    let kel = |c: &str| AreaRef::Kelurahan(c.into());
    let mut items = vec![
        AreaPolygon::new(kel("13.71.01.1001"), square(0.0, 0.0, 1.0, 1.0)).unwrap(),
        AreaPolygon::new(kel("13.71.01.1002"), square(1.0, 0.0, 2.0, 1.0)).unwrap(),
        AreaPolygon::new(
            AreaRef::Kecamatan("13.71.01".into()),
            square(0.0, 0.0, 3.0, 1.0),
        )
        .unwrap(),
        AreaPolygon::new(
            kel("13.71.02.1001"),
            MultiPolygon(vec![geo::Polygon::new(
                square(10.0, 10.0, 14.0, 14.0).0[0].exterior().clone(),
                vec![square(11.0, 11.0, 13.0, 13.0).0[0].exterior().clone()],
            )]),
        )
        .unwrap(),
    ];
    if reverse {
        items.reverse();
    }
    let mut polygons = Polygons::default();
    for p in items {
        polygons.push(p);
    }
    Areas::new(square_gazetteer(), polygons)
}

#[test]
fn points_are_located_at_borders_and_inside() {
    for reverse in [false, true] {
        let areas = squares(reverse);
        let at = |lon: f64, lat: f64| {
            areas
                .locate(lat, lon)
                .map(|f| f.kelurahan_code.unwrap_or(f.kecamatan_code))
        };
        let cases: &[((f64, f64), Option<&str>)] = &[
            ((0.5, 0.5), Some("13.71.01.1001")),
            ((1.5, 0.5), Some("13.71.01.1002")),
            // On the shared border: always the lowest code.
            ((1.0, 0.5), Some("13.71.01.1001")),
            ((1.0, 0.0), Some("13.71.01.1001")),
            // On an outer edge and a corner: still inside the city.
            ((0.0, 0.5), Some("13.71.01.1001")),
            ((2.0, 1.0), Some("13.71.01.1002")),
            // Only the kecamatan polygon holds it.
            ((2.5, 0.5), Some("13.71.01")),
            ((3.0, 0.5), Some("13.71.01")),
            // Outside every polygon.
            ((3.0001, 0.5), None),
            ((-0.0001, 0.5), None),
            // In the ring, on the hole's edge, and in the hole.
            ((10.5, 10.5), Some("13.71.02.1001")),
            ((11.0, 12.0), Some("13.71.02.1001")),
            ((12.0, 12.0), None),
            ((f64::NAN, 0.5), None),
        ];
        for ((lon, lat), want) in cases {
            assert_eq!(
                at(*lon, *lat).as_deref(),
                *want,
                "({lon}, {lat}) reverse={reverse}"
            );
        }
        let found = areas.locate(0.5, 1.5).unwrap();
        assert_eq!(found.source, AreaSource::Pin);
        assert_eq!(found.kecamatan, "Kiri Kanan");
        assert_eq!(found.kelurahan.as_deref(), Some("Kanan"));
    }
}

#[test]
fn a_pin_wins_over_a_name_in_the_text() {
    let areas = squares(false);
    let words = crate::normalize::words("banjir di Kelurahan Kanan");
    let by_text = areas.find(None, &words).unwrap();
    assert_eq!(by_text.kelurahan_code.as_deref(), Some("13.71.01.1002"));
    let by_pin = areas.find(Some((0.5, 0.5)), &words).unwrap();
    assert_eq!(by_pin.kelurahan_code.as_deref(), Some("13.71.01.1001"));
    // A pin outside every polygon falls back to the text.
    let outside = areas.find(Some((50.0, 50.0)), &words).unwrap();
    assert_eq!(outside.source, AreaSource::Text);
}

#[test]
fn geojson_features_name_areas_by_code_or_name() {
    let gazetteer = square_gazetteer();
    let text = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"code":"1371011001"},
         "geometry":{"type":"Polygon","coordinates":[[[100.0,-1.0],[100.1,-1.0],[100.1,-0.9],[100.0,-0.9],[100.0,-1.0]]]}},
        {"type":"Feature","properties":{"nama":"Kanan"},
         "geometry":{"type":"MultiPolygon","coordinates":[[[[100.1,-1.0],[100.2,-1.0],[100.2,-0.9],[100.1,-0.9],[100.1,-1.0]]]]}},
        {"type":"Feature","properties":{"label":"a point"},
         "geometry":{"type":"Point","coordinates":[100.05,-0.95]}}
    ]}"#;
    let mut polygons = Polygons::default();
    polygons.add_geojson(text, &gazetteer).unwrap();
    assert_eq!(polygons.len(), 2);
    let areas = Areas::new(gazetteer.clone(), polygons);
    // GeoJSON is [lon, lat]; locate takes (lat, lon).
    assert_eq!(
        areas
            .locate(-0.95, 100.05)
            .unwrap()
            .kelurahan_code
            .as_deref(),
        Some("13.71.01.1001")
    );
    assert_eq!(
        areas
            .locate(-0.95, 100.15)
            .unwrap()
            .kelurahan_code
            .as_deref(),
        Some("13.71.01.1002")
    );
    assert!(areas.locate(100.05, -0.95).is_none());

    let unknown = r#"{"type":"Feature","properties":{"code":"13.71.99.1001"},
        "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#;
    let e = Polygons::default()
        .add_geojson(unknown, &gazetteer)
        .unwrap_err();
    assert!(e.contains("feature 0"), "{e}");
    assert!(Polygons::default().add_geojson("{", &gazetteer).is_err());
}

#[test]
fn area_files_are_loaded_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "# test areas\ncode,kecamatan_code,kecamatan,kelurahan\n13.71.01.1001,13.71.01,Kiri Kanan,Kiri\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.csv"),
        "alias,code\nPasar Kiri,13.71.01.1001\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c.geojson"),
        r#"{"type":"Feature","properties":{"code":"13.71.01.1001"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}"#,
    )
    .unwrap();
    let areas = Areas::load(dir.path()).unwrap();
    assert_eq!(areas.polygons().len(), 1);
    assert!(areas
        .find_in_words(&crate::normalize::words("di Pasar Kiri"))
        .is_some());

    std::fs::write(
        dir.path().join("b.csv"),
        "alias,code\nPasar Kanan,13.71.01.1009\n",
    )
    .unwrap();
    let e = Areas::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("b.csv:2"), "{e}");
    assert!(Areas::load(&dir.path().join("missing"))
        .unwrap()
        .gazetteer()
        .is_empty());
}

proptest! {
    /// Whatever order the polygons come in, a point lands in the same
    /// area, and a point strictly inside one kelurahan lands in it.
    #[test]
    fn location_does_not_depend_on_polygon_order(x in -0.5f64..3.5, y in -0.5f64..1.5) {
        let a = squares(false).locate(y, x).map(|f| (f.kecamatan_code, f.kelurahan_code));
        let b = squares(true).locate(y, x).map(|f| (f.kecamatan_code, f.kelurahan_code));
        prop_assert_eq!(&a, &b);
        let inside = |x0: f64, x1: f64| x > x0 && x < x1 && y > 0.0 && y < 1.0;
        let kelurahan = a.and_then(|f| f.1);
        if inside(0.0, 1.0) {
            prop_assert_eq!(kelurahan.as_deref(), Some("13.71.01.1001"));
        } else if inside(1.0, 2.0) {
            prop_assert_eq!(kelurahan.as_deref(), Some("13.71.01.1002"));
        }
    }
}

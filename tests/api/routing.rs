//! Routing through the real application: complaints submitted on the web
//! form land in the queue the rules choose, with category, area codes and
//! the decision on the timeline.

use crate::helpers::*;
use crate::on_both_backends;
use satupintu::routing::version_of;
use satupintu::store::entity::{complaint, complaint_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::path::Path;

pub const RULES: &str = r#"
[default]
destinations = ["pupr"]
sla_class = "standar"
priority = "normal"

[[rule]]
id = "sampah"
description = "Sampah ke DLH"
when.keywords = ["sampah"]
then.destinations = ["dlh"]
then.category = "lingkungan"
then.priority = "tinggi"

[[rule]]
id = "jalan"
description = "Jalan rusak ke PUPR"
when.keywords = ["jalan rusak", "jalan berlubang"]
then.destinations = ["pupr"]
then.category = "jalan-drainase"
"#;

/// Lubuk Buaya (13.71.11.1009) as a square around (-0.82, 100.31).
const LUBUK_BUAYA: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"code":"13.71.11.1009","name":"Lubuk Buaya"},
 "geometry":{"type":"Polygon","coordinates":[[[100.30,-0.83],[100.32,-0.83],[100.32,-0.81],[100.30,-0.81],[100.30,-0.83]]]}}]}"#;

fn areas_with_polygon(dir: &Path) -> std::path::PathBuf {
    let areas = dir.join("areas");
    std::fs::create_dir_all(&areas).unwrap();
    std::fs::copy(
        repo_path("config/areas/padang-kelurahan.csv"),
        areas.join("padang-kelurahan.csv"),
    )
    .unwrap();
    std::fs::write(areas.join("lubuk-buaya.geojson"), LUBUK_BUAYA).unwrap();
    areas
}

pub async fn submit(app: &TestApp, body: Value) -> String {
    let r = app.post_json(body).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn by_code(app: &TestApp, code: &str) -> complaint::Model {
    complaint::Entity::find()
        .filter(complaint::Column::TrackingCode.eq(code))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
}

pub async fn routed_event(app: &TestApp, complaint_id: i64) -> complaint_event::Model {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(complaint_id))
        .filter(complaint_event::Column::Kind.eq("routed"))
        .one(app.store.db())
        .await
        .unwrap()
        .expect("a routed event on the timeline")
}

async fn queue_items(app: &TestApp, agency: &str, token: &str) -> Vec<Value> {
    let body: Value = app
        .client
        .get(app.url(&format!("/api/v1/queues/{agency}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["items"].as_array().cloned().unwrap_or_default()
}

async fn complaints_land_where_the_rules_send_them(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    std::fs::write(&config.routing.rules_file, RULES).unwrap();
    config.routing.areas_dir = areas_with_polygon(dir.path());
    let app = TestApp::spawn(config).await;

    let garbage = submit(
        &app,
        json!({"text": "Sampahnya numpuk di Kel. Air Tawar Barat, bau!"}),
    )
    .await;
    let road = submit(&app, json!({"text": "JALAN RUSAK!! kec koto tangah"})).await;
    let other = submit(
        &app,
        json!({"text": "anjing liar berkeliaran", "category": "Hewan"}),
    )
    .await;
    let pinned = submit(
        &app,
        json!({"text": "jalan berlubang di Kel. Air Tawar Barat", "lat": -0.82, "lon": 100.31}),
    )
    .await;

    // The DLH queue gets the garbage, with its area codes and priority.
    let dlh = eventually("the garbage complaint in the DLH queue", 15, || async {
        let items = queue_items(&app, "dlh", DLH_TOKEN).await;
        (items.len() == 1).then_some(items)
    })
    .await;
    assert_eq!(dlh[0]["tracking_code"], garbage.as_str());
    assert_eq!(dlh[0]["category"], "lingkungan");
    assert_eq!(dlh[0]["kecamatan_code"], "13.71.04");
    assert_eq!(dlh[0]["kelurahan_code"], "13.71.04.1002");
    assert_eq!(dlh[0]["priority"], "tinggi");
    assert_eq!(dlh[0]["sla_class"], "standar");
    let pupr = eventually("three complaints in the PUPR queue", 15, || async {
        let items = queue_items(&app, "pupr", PUPR_TOKEN).await;
        (items.len() == 3).then_some(items)
    })
    .await;
    let codes: Vec<&str> = pupr
        .iter()
        .map(|i| i["tracking_code"].as_str().unwrap())
        .collect();
    for code in [&road, &other, &pinned] {
        assert!(codes.contains(&code.as_str()), "{code} in {codes:?}");
    }

    // The complaint rows carry what routing found.
    let c = by_code(&app, &road).await;
    assert_eq!(c.category.as_deref(), Some("jalan-drainase"));
    assert_eq!(c.kecamatan_code.as_deref(), Some("13.71.11"));
    assert_eq!(c.kelurahan_code, None);
    assert_eq!(c.priority.as_deref(), Some("normal"));
    let c = by_code(&app, &other).await;
    assert_eq!(
        c.category.as_deref(),
        Some("hewan"),
        "the citizen's category stays"
    );
    let c = by_code(&app, &pinned).await;
    assert_eq!(
        c.kelurahan_code.as_deref(),
        Some("13.71.11.1009"),
        "the pin wins over the name in the text"
    );

    // The timeline says which rules matched and why.
    let c = by_code(&app, &garbage).await;
    let event = routed_event(&app, c.id).await;
    let data = event.data.unwrap();
    assert_eq!(data["destinations"], json!(["dlh"]));
    assert_eq!(data["matched"][0]["id"], "sampah");
    assert_eq!(data["matched"][0]["reasons"][0]["condition"], "keywords");
    assert_eq!(data["matched"][0]["reasons"][0]["found"], "sampahnya");
    assert_eq!(data["area"]["source"], "text");
    assert_eq!(data["rules_version"], version_of(RULES));
    let note = event.note.unwrap();
    assert!(note.contains("Dikirim ke dlh oleh aturan sampah"), "{note}");
    let c = by_code(&app, &other).await;
    let data = routed_event(&app, c.id).await.data.unwrap();
    assert_eq!(data["default_applied"], true);
    assert_eq!(data["matched"], json!([]));
    let c = by_code(&app, &pinned).await;
    let data = routed_event(&app, c.id).await.data.unwrap();
    assert_eq!(data["area"]["source"], "pin");
    app.stop().await;
}

on_both_backends!(complaints_land_where_the_rules_send_them);

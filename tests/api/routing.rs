//! Routing through the real application: complaints submitted on the web
//! form land in the queue the rules choose, with category, area codes and
//! the decision on the timeline; rules reload under load without any
//! complaint seeing half a rule set; the rules commands of the binary.

use crate::helpers::*;
use crate::on_both_backends;
use satupintu::routing::version_of;
use satupintu::store::entity::{complaint, complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::path::Path;

const RULES: &str = r#"
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

async fn submit(app: &TestApp, body: Value) -> String {
    let r = app.post_json(body).await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn by_code(app: &TestApp, code: &str) -> complaint::Model {
    complaint::Entity::find()
        .filter(complaint::Column::TrackingCode.eq(code))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
}

async fn routed_event(app: &TestApp, complaint_id: i64) -> complaint_event::Model {
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

const VERSION_A: &str = r#"
[default]
destinations = ["pupr"]
sla_class = "versi-a"

[[rule]]
id = "a"
description = "A: sampah ke DLH"
when.keywords = ["sampah"]
then.destinations = ["dlh"]
then.category = "kategori-a"
then.priority = "rendah"
"#;

const VERSION_B: &str = r#"
[default]
destinations = ["pupr"]
sla_class = "versi-b"

[[rule]]
id = "b-tandai"
description = "B: tandai"
when.keywords = ["sampah"]
then.priority = "tinggi"
then.stop = false

[[rule]]
id = "b"
description = "B: sampah ke PUPR dan DLH"
when.keywords = ["sampah"]
then.destinations = ["pupr", "dlh"]
then.category = "kategori-b"
"#;

fn write_whole(file: &Path, text: &str) {
    let next = file.with_extension("toml.next");
    std::fs::write(&next, text).unwrap();
    std::fs::rename(&next, file).unwrap();
}

async fn rules_reload_under_load(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.routing.watch = false; // reloads come from this test alone
    let file = config.routing.rules_file.clone();
    std::fs::write(&file, VERSION_A).unwrap();
    let app = TestApp::spawn(config).await;

    let reloader = {
        let routing = app.routing.clone();
        let file = file.clone();
        tokio::task::spawn_blocking(move || {
            for i in 0..40 {
                let text = if i % 2 == 0 { VERSION_B } else { VERSION_A };
                // Written whole (rename), as a SIGHUP from another test may
                // make the application read the file at any moment.
                write_whole(&file, text);
                assert!(routing.reload().is_ok());
                write_whole(&file, &format!("{text}\n[[rule]]\nid = \"rusak\"\n"));
                assert!(routing.reload().is_err(), "a broken file is refused");
            }
        })
    };
    let mut senders = Vec::new();
    for s in 0..4 {
        let client = app.client.clone();
        let url = app.url("/api/v1/complaints");
        senders.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for i in 0..8 {
                let r = client
                    .post(&url)
                    .json(&json!({"text": format!("sampah menumpuk, laporan {s}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let body: Value = r.json().await.unwrap();
                codes.push(body["tracking_code"].as_str().unwrap().to_string());
            }
            codes
        }));
    }
    reloader.await.unwrap();
    let mut codes = Vec::new();
    for s in senders {
        codes.extend(s.await.unwrap());
    }
    assert_eq!(codes.len(), 32);

    for code in &codes {
        let c = by_code(&app, code).await;
        let data = routed_event(&app, c.id).await.data.unwrap();
        let version = data["rules_version"].as_str().unwrap();
        let (destinations, ids, category, sla, priority) = if version == version_of(VERSION_A) {
            (
                json!(["dlh"]),
                json!(["a"]),
                "kategori-a",
                "versi-a",
                "rendah",
            )
        } else {
            assert_eq!(
                version,
                version_of(VERSION_B),
                "{code}: unknown rules version"
            );
            (
                json!(["pupr", "dlh"]),
                json!(["b-tandai", "b"]),
                "kategori-b",
                "versi-b",
                "tinggi",
            )
        };
        assert_eq!(data["destinations"], destinations, "{code}");
        let matched: Vec<&Value> = data["matched"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["id"])
            .collect();
        assert_eq!(json!(matched), ids, "{code}");
        assert_eq!(c.category.as_deref(), Some(category), "{code}");
        assert_eq!(c.sla_class.as_deref(), Some(sla), "{code}");
        assert_eq!(c.priority.as_deref(), Some(priority), "{code}");
        let rows: Vec<String> = outbox::Entity::find()
            .filter(outbox::Column::ComplaintId.eq(c.id))
            .order_by_asc(outbox::Column::Id)
            .all(app.store.db())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.destination)
            .collect();
        assert_eq!(json!(rows), destinations, "{code}: outbox rows");
    }
    assert_eq!(app.routing.current().version(), version_of(VERSION_A));
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rules_reloads_total{outcome=\"refused\""),
        "refusals are counted:\n{metrics}"
    );
    app.stop().await;
}

on_both_backends!(
    complaints_land_where_the_rules_send_them,
    rules_reload_under_load
);

async fn refused_reloads(app: &TestApp) -> u64 {
    let m = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    m.lines()
        .filter(|l| l.starts_with("satupintu_rules_reloads_total{outcome=\"refused\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Editing the file reloads it; a broken edit is refused and the rules in
/// force stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rules_file_is_watched() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let config = test_config(&db, dir.path(), None);
    let file = config.routing.rules_file.clone();
    std::fs::write(&file, VERSION_A).unwrap();
    let app = TestApp::spawn(config).await;
    assert_eq!(app.routing.current().version(), version_of(VERSION_A));

    std::fs::write(&file, VERSION_B).unwrap();
    eventually("the edited rules to be in force", 20, || async {
        (app.routing.current().version() == version_of(VERSION_B)).then_some(())
    })
    .await;
    let code = submit(&app, json!({"text": "sampah di mana-mana"})).await;
    let c = by_code(&app, &code).await;
    assert_eq!(c.category.as_deref(), Some("kategori-b"));

    std::fs::write(
        &file,
        "[[rule]]\nid = \"tanpa-deskripsi\"\nthen.destinations = [\"pupr\"]\n",
    )
    .unwrap();
    eventually("the broken edit to be refused", 20, || async {
        (refused_reloads(&app).await >= 1).then_some(())
    })
    .await;
    assert_eq!(app.routing.current().version(), version_of(VERSION_B));
    app.stop().await;
}

/// SIGHUP reloads the rules (here with file watching off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_rules() {
    // Listen for SIGHUP before sending it, so it can never end the test
    // process, whatever the application's task is doing yet.
    let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).unwrap();
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.routing.watch = false;
    let file = config.routing.rules_file.clone();
    std::fs::write(&file, VERSION_A).unwrap();
    let app = TestApp::spawn(config).await;
    std::fs::write(&file, VERSION_B).unwrap();
    eventually("SIGHUP to put the new rules in force", 20, || async {
        std::process::Command::new("kill")
            .args(["-HUP", &std::process::id().to_string()])
            .status()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        (app.routing.current().version() == version_of(VERSION_B)).then_some(())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn rules_check_test_and_eval_commands() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let config = write_config(
        &test_config(&db, dir.path(), None),
        &dir.path().join("satupintu.toml"),
    );
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let rules = rules.to_str().unwrap();

    let (ok, out, _) = run_cli(&config, &["rules", "check", rules]);
    assert!(ok, "{out}");
    assert!(out.contains("2 rule(s)"), "{out}");

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!("{RULES}\n[[rule]]\nid = \"salah\"\ndescription = \"d\"\nwhen.regex = [\"(\"]\nthen.destinations = [\"dinas-x\"]\n"),
    )
    .unwrap();
    let (ok, _, err) = run_cli(&config, &["rules", "check", broken.to_str().unwrap()]);
    assert!(!ok);
    let at = format!("{}:", broken.display());
    let regex_line = RULES.lines().count() + 5;
    assert!(
        err.contains(&format!("{at}{regex_line}: aturan/rule `salah`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{at}{}: aturan/rule `salah`", regex_line + 1)),
        "{err}"
    );
    assert!(err.contains("dinas-x"), "{err}");

    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "test",
            "--rules",
            rules,
            "--message",
            r#"{"text": "jalannya berlubang di Kel. Lubuk Buaya", "channel": "whatsapp"}"#,
        ],
    );
    assert!(ok, "{err}");
    let decision: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(decision["destinations"], json!(["pupr"]));
    assert_eq!(decision["matched"][0]["id"], "jalan");
    assert_eq!(decision["kelurahan_code"], "13.71.11.1009");

    // --against prints only what changes.
    let messages = dir.path().join("messages.jsonl");
    std::fs::write(
        &messages,
        "{\"text\": \"sampah menumpuk\"}\n{\"text\": \"jalan rusak\"}\n\n{\"text\": \"lampu mati\"}\n",
    )
    .unwrap();
    let changed = dir.path().join("changed.toml");
    std::fs::write(
        &changed,
        RULES.replace(
            "then.destinations = [\"dlh\"]",
            "then.destinations = [\"pupr\"]",
        ),
    )
    .unwrap();
    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "test",
            "--rules",
            changed.to_str().unwrap(),
            "--messages",
            messages.to_str().unwrap(),
            "--against",
            rules,
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["before"]["destinations"], json!(["dlh"]));
    assert_eq!(lines[0]["after"]["destinations"], json!(["pupr"]));
    assert!(err.contains("3 message(s), 1 decision(s) change"), "{err}");

    let labelled = dir.path().join("labelled.jsonl");
    std::fs::write(
        &labelled,
        "{\"text\": \"sampah menumpuk\", \"agency\": \"dlh\"}\n{\"text\": \"jalan rusak\", \"agency\": \"pupr\"}\n{\"text\": \"lampu mati\", \"agency\": \"dishub\"}\n",
    )
    .unwrap();
    let (ok, out, err) = run_cli(
        &config,
        &[
            "rules",
            "eval",
            "--rules",
            rules,
            "--labelled",
            labelled.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["overall"]["total"], 3);
    assert_eq!(report["overall"]["correct"], 2);
    assert_eq!(report["overall"]["to_default"], 1);
    assert_eq!(report["misses"][0]["label"], "dishub");
}

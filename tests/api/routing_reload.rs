//! Rules reloaded while the gateway runs: under load no complaint sees
//! half a rule set; a file change and SIGHUP reload; a broken file is
//! refused and the rules in force stay.

use crate::helpers::*;
use crate::on_both_backends;
use crate::routing::{by_code, routed_event, submit};
use satupintu::routing::version_of;
use satupintu::store::entity::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::path::Path;

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
    app.taken_in().await;

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
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("rules_reloads_total{outcome=\"refused\""),
        "refusals are counted:\n{metrics}"
    );
    app.stop().await;
}

on_both_backends!(rules_reload_under_load);

async fn refused_reloads(app: &TestApp) -> u64 {
    let m = app.metrics().await;
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

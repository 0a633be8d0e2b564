//! Operators link, unlink and close on the command line while the real
//! binary runs: the running gateway's duplicate index follows the
//! database within seconds, without a restart.

use crate::helpers::*;
use crate::on_both_backends;
use satupintu::store::entity::complaint;
use satupintu::store::Store;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::path::Path;

const STREET_LAMP: &str =
    "Lampu jalan mati di Jl. Purus III kelurahan Purus sejak 3 hari, gelap dan rawan maling";
const PARK_LAMP: &str =
    "Lampu taman mati di Taman Purus kelurahan Purus sejak 3 hari, gelap dan rawan maling";

async fn row(store: &Store, code: &str) -> complaint::Model {
    complaint::Entity::find()
        .filter(complaint::Column::TrackingCode.eq(code))
        .one(store.db())
        .await
        .unwrap()
        .unwrap()
}

/// First reports in the running gateway's index, from its metrics.
async fn indexed(base: &str) -> Option<i64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("satupintu_dedup_indexed "))
        .and_then(|v| v.trim().parse().ok())
}

async fn wait_indexed(base: &str, n: i64) {
    eventually(
        &format!("the running gateway to index {n} first reports"),
        30,
        || async { (indexed(base).await == Some(n)).then_some(()) },
    )
    .await;
}

fn cli(config: &Path, args: &[&str]) {
    let (ok, out, err) = run_cli(config, args);
    assert!(ok, "{args:?}: {out}{err}");
}

/// A look at the database reads in full only the complaints changed
/// since they were written: not the first reports this gateway indexed
/// on intake, nor the reports joined to another from the start (which no
/// index holds), however many there are.
async fn a_look_reads_only_what_changed_after_it_was_written(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.dedup.enabled = true;
    // Nothing forwards the complaints meanwhile (a forward changes them).
    config.dispatch.enabled = false;
    let app = TestApp::spawn(config).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let first = app
        .intake
        .accept(sms("s1", "081277770001", STREET_LAMP))
        .await
        .unwrap();
    let joined = app
        .intake
        .accept(sms("s2", "081277770002", STREET_LAMP))
        .await
        .unwrap();
    let (first, joined) = (
        row(&app.store, first.tracking_code.unwrap().as_str()).await,
        row(&app.store, joined.tracking_code.unwrap().as_str()).await,
    );
    assert_eq!(
        joined.duplicate_of,
        Some(first.id),
        "the second joins the first"
    );

    // An index built from the database, as at start, followed by looks.
    let config = satupintu::config::DedupConfig {
        enabled: true,
        ..Default::default()
    };
    let dedup = std::sync::Arc::new(satupintu::dedup::Dedup::new(config));
    assert_eq!(dedup.rebuild(app.store.db()).await.unwrap(), 1);
    let mut sync = satupintu::dedup::sync::IndexSync::new(
        app.store.clone(),
        dedup,
        satupintu::metrics::Metrics::new(),
        std::time::Duration::from_secs(1),
        before,
    );
    let pass = sync.pass().await.unwrap();
    assert_eq!(
        pass.read, 0,
        "nothing changed after it was written: {pass:?}"
    );

    // A change after writing is read, once.
    satupintu::store::complaints::set_status(
        app.store.db(),
        &first,
        satupintu::complaint::Status::Closed,
        "operator:tester",
        None,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    let pass = sync.pass().await.unwrap();
    assert_eq!(
        (pass.read, pass.indexed),
        (1, 0),
        "the closed report leaves the index"
    );
    assert_eq!(sync.pass().await.unwrap().read, 0);
    app.stop().await;
}

async fn command_line_changes_reach_the_running_gateway(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.dedup.enabled = true;
    config.dedup.sync_interval_secs = 1;
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let gateway = Gateway::start(&config_path, free_port(), &log).await;
    let base = gateway.base.clone();
    let store = Store::connect(&db.url, 2).await.unwrap();

    let street = gateway.submit("081211110001", STREET_LAMP).await;
    let park = gateway.submit("081211110002", PARK_LAMP).await;
    let street_id = row(&store, &street).await.id;
    let park_id = row(&store, &park).await.id;
    assert_eq!(
        row(&store, &park).await.duplicate_of,
        Some(street_id),
        "the park lamp is taken for the street lamp"
    );
    wait_indexed(&base, 1).await;

    // A false match: unlinked on the command line, the park lamp becomes
    // a first report in the running gateway too, and the next citizen
    // telling of it joins it rather than the street lamp.
    cli(
        &config_path,
        &["complaint", "unlink", &park, "--operator", "rina"],
    );
    wait_indexed(&base, 2).await;
    let third = gateway
        .submit(
            "081211110003",
            "lampu taman mati di taman purus kel purus sejak 3 hari, gelap rawan maling",
        )
        .await;
    assert_eq!(row(&store, &third).await.duplicate_of, Some(park_id));

    // Linked after all: the park lamp is no longer a first report to join.
    cli(&config_path, &["complaint", "link", &park, "--to", &street]);
    wait_indexed(&base, 1).await;
    assert_eq!(row(&store, &third).await.duplicate_of, Some(street_id));
    let fourth = gateway.submit("081211110004", PARK_LAMP).await;
    assert_eq!(row(&store, &fourth).await.duplicate_of, Some(street_id));

    // Closed on the command line: nothing is left to join.
    cli(
        &config_path,
        &[
            "complaint",
            "status",
            &street,
            "closed",
            "--note",
            "Sudah diperbaiki",
        ],
    );
    wait_indexed(&base, 0).await;
    let fifth = gateway.submit("081211110005", STREET_LAMP).await;
    let fifth = row(&store, &fifth).await;
    assert_eq!(fifth.duplicate_of, None);
    assert_ne!(fifth.status, "duplicate");
    wait_indexed(&base, 1).await;

    assert!(gateway.terminate().success());
}

on_both_backends!(
    command_line_changes_reach_the_running_gateway,
    a_look_reads_only_what_changed_after_it_was_written,
);

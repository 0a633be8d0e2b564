//! The real binary stopped between commit and delivery, then started
//! again on the same database: the complaint is delivered, once.

use crate::helpers::*;
use crate::lapor_standin::{LaporStandin, Mode};
use crate::on_both_backends;

const PHONE: &str = "081311112222";
const LANDSLIDE: &str = "Tanah longsor di Jl. Sitinjau Lauik";

async fn lapor_id(base: &str, code: &str) -> Option<String> {
    let view: serde_json::Value = reqwest::get(format!("{base}/api/v1/complaints/{code}"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    view["lapor_tracking_id"].as_str().map(str::to_string)
}

async fn killed_during_delivery_delivers_once_after_restart(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Hang).await;
    let config = test_config(&db, dir.path(), Some(&lapor));
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let port = free_port();

    let gateway = Gateway::start(&config_path, port, &log).await;
    let code = gateway.submit(PHONE, LANDSLIDE).await;
    // The delivery is in flight: LAPOR has the request but has not answered.
    eventually("LAPOR to receive the first attempt", 15, || async {
        (!lapor.received().is_empty()).then_some(())
    })
    .await;
    gateway.kill();

    lapor.set_mode(Mode::Accept);
    let gateway = Gateway::start(&config_path, port, &log).await;
    let base = gateway.base.clone();
    let id = eventually("the complaint to be delivered after restart", 30, || {
        lapor_id(&base, &code)
    })
    .await;
    assert!(!id.is_empty());
    let received = lapor.received();
    assert_eq!(
        received.len(),
        2,
        "the interrupted attempt and the one after restart"
    );
    assert_eq!(received[0].idempotency_key, received[1].idempotency_key);
    assert_eq!(lapor.reports_created(), 1, "LAPOR holds one report");
    let status = gateway.terminate();
    assert!(status.success(), "graceful stop exits 0: {status:?}");
}

async fn stopped_before_delivery_delivers_once_after_restart(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let mut config = test_config(&db, dir.path(), Some(&lapor));
    config.dispatch.enabled = false;
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let log = dir.path().join("gateway.log");
    let port = free_port();

    let gateway = Gateway::start(&config_path, port, &log).await;
    let code = gateway.submit(PHONE, LANDSLIDE).await;
    assert!(gateway.terminate().success());
    assert!(
        lapor.received().is_empty(),
        "nothing sent while dispatch was off"
    );

    config.dispatch.enabled = true;
    write_config(&config, &config_path);
    let gateway = Gateway::start(&config_path, port, &log).await;
    let base = gateway.base.clone();
    eventually("the complaint to be delivered after restart", 30, || {
        lapor_id(&base, &code)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(lapor.received().len(), 1);
    assert_eq!(lapor.reports_created(), 1);
    assert!(gateway.terminate().success());
}

on_both_backends!(
    killed_during_delivery_delivers_once_after_restart,
    stopped_before_delivery_delivers_once_after_restart,
);

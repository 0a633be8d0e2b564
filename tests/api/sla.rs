//! SLA clocks: they start and stop with the complaint's life, restart on
//! reopening, warn the coordinator once, close unanswered resolutions,
//! and add up in the compliance report.

use crate::helpers::*;
use crate::on_both_backends;
use adapters::Channel;
use satupintu::notify::{MessagePayload, Notifier};
use satupintu::sla::watch::{Coordinator, Watcher};
use satupintu::store::entity::{complaint, outbox, sla_clock};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::sync::Arc;

async fn clocks(app: &TestApp, id: i64) -> Vec<sla_clock::Model> {
    sla_clock::Entity::find()
        .filter(sla_clock::Column::ComplaintId.eq(id))
        .order_by_asc(sla_clock::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
}

async fn clocks_follow_the_complaint_and_restart_on_reopening(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let config = test_config(&db, dir.path(), None);
    let sla = config.sla.build(&config.city).unwrap();
    let app = TestApp::spawn(config).await;
    let a = app
        .intake
        .accept(sms("k1", "081277770000", "Jalan berlubang di Jl. Hamka"))
        .await
        .unwrap();
    let id = a.complaint_id.unwrap();
    let code = a.tracking_code.unwrap().to_string();
    let verify = &clocks(&app, id).await[0];
    assert_eq!(verify.clock, "verifikasi");
    assert_eq!(
        verify.due_at,
        sla.calendar.add_working_days(verify.started_at, 3)
    );
    // Its nearest due time is set from the start (the dispatcher may
    // already have moved it on to the follow-up clock's).
    assert!(due(&app, id).await.is_some());

    // Delivered to the PUPR queue: verification met, follow-up starts.
    let all = eventually("the follow-up clock", 15, || async {
        let all = clocks(&app, id).await;
        (all.len() == 2).then_some(all)
    })
    .await;
    assert_eq!(all[0].outcome.as_deref(), Some("met"));
    assert_eq!(all[1].clock, "tindak_lanjut");
    assert_eq!(
        all[1].due_at,
        sla.calendar.add_working_days(all[1].started_at, 5)
    );
    // The complaint's nearest due time follows the running clock.
    assert_eq!(due(&app, id).await, Some(all[1].due_at));

    app.agency_posts_status(&code, "in_progress", None).await;
    assert_eq!(due(&app, id).await, None, "no clock runs while in progress");
    app.agency_posts_status(&code, "resolved", Some("Sudah ditambal"))
        .await;
    let all = clocks(&app, id).await;
    assert_eq!(all[1].outcome.as_deref(), Some("met"));
    assert_eq!(all[2].clock, "penutupan");
    assert!(all[2].stopped_at.is_none());
    assert_eq!(due(&app, id).await, Some(all[2].due_at));

    // The reporter says it is not fixed: closure cancelled, follow-up restarts.
    app.intake
        .accept(sms("k2", "081277770000", "Belum"))
        .await
        .unwrap();
    let all = clocks(&app, id).await;
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[2].outcome.as_deref(), Some("cancelled"));
    assert_eq!(all[3].clock, "tindak_lanjut");
    assert!(all[3].stopped_at.is_none());
    assert_eq!(due(&app, id).await, Some(all[3].due_at));
    app.stop().await;
}

async fn due(app: &TestApp, id: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    complaint::Entity::find_by_id(id)
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
        .sla_due_at
}

async fn watcher_warns_once_and_closes_unanswered(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None);
    config.sla.enabled = false; // this test drives the watcher itself
    let coordinator = Coordinator {
        channel: Channel::Email,
        account: "pengaduan".into(),
        recipient: "koordinator@padang.go.id".into(),
    };
    let sla = Arc::new(config.sla.build(&config.city).unwrap());
    let notifier = Arc::new(Notifier {
        city: config.city.name.clone(),
        public_url: config.server.public_url.clone(),
        language: config.notify.language,
        fallback: vec![],
    });
    let config_path = write_config(&config, &dir.path().join("satupintu.toml"));
    let app = TestApp::spawn(config).await;
    let watcher = Watcher {
        store: app.store.clone(),
        sla: sla.clone(),
        notifier,
        coordinator: Some(coordinator),
        warn_before: chrono::Duration::hours(24),
        interval: std::time::Duration::from_secs(3600),
    };
    let a = app
        .intake
        .accept(sms("w1", "081288880000", "Sampah tidak diangkut seminggu"))
        .await
        .unwrap();
    let id = a.complaint_id.unwrap();
    let code = a.tracking_code.unwrap().to_string();
    let follow_up = eventually("the follow-up clock", 15, || async {
        clocks(&app, id)
            .await
            .into_iter()
            .find(|c| c.clock == "tindak_lanjut")
    })
    .await;

    let sla_messages = || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("message"))
            .all(app.store.db())
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| {
                let p: MessagePayload = serde_json::from_value(r.payload.clone()?).ok()?;
                (p.purpose == "sla").then_some((r, p))
            })
            .collect::<Vec<_>>()
    };
    let near = follow_up.due_at - chrono::Duration::hours(2);
    let pass = watcher.pass(near).await.unwrap();
    assert_eq!((pass.warned, pass.overdue), (1, 0));
    assert_eq!(watcher.pass(near).await.unwrap().warned, 0, "warned once");
    let late = follow_up.due_at + chrono::Duration::hours(1);
    assert_eq!(watcher.pass(late).await.unwrap().overdue, 1);
    assert_eq!(
        watcher.pass(late).await.unwrap().overdue,
        0,
        "overdue told once"
    );
    let told = sla_messages().await;
    assert_eq!(told.len(), 2);
    assert_eq!(
        told[0].0.recipient.as_deref(),
        Some("koordinator@padang.go.id")
    );
    assert!(told[1].1.text.contains("melewati batas waktu") && told[1].1.text.contains(&code));

    // Metrics count the overdue clock by agency.
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(
            "satupintu_sla_clocks{agency=\"pupr\",clock=\"tindak_lanjut\",state=\"running\"} 1"
        ),
        "{metrics}"
    );

    // Resolved and never answered: closed by the clock.
    app.agency_posts_status(&code, "resolved", Some("Sudah diangkut"))
        .await;
    let closure = clocks(&app, id)
        .await
        .into_iter()
        .find(|c| c.clock == "penutupan")
        .unwrap();
    assert_eq!(
        watcher
            .pass(closure.due_at - chrono::Duration::minutes(1))
            .await
            .unwrap()
            .closed,
        0
    );
    assert_eq!(
        watcher
            .pass(closure.due_at + chrono::Duration::minutes(1))
            .await
            .unwrap()
            .closed,
        1
    );
    let c = complaint::Entity::find_by_id(id)
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, "closed");
    let closure = clocks(&app, id)
        .await
        .into_iter()
        .find(|c| c.clock == "penutupan")
        .unwrap();
    assert_eq!(closure.outcome.as_deref(), Some("expired"));

    // The compliance report: verification met, follow-up missed, for PUPR.
    let from = chrono::Utc::now() - chrono::Duration::days(1);
    let to = chrono::Utc::now() + chrono::Duration::days(1);
    let rows = satupintu::sla::report::compute(app.store.db(), &sla, from, to, chrono::Utc::now())
        .await
        .unwrap();
    let verify = rows
        .iter()
        .find(|r| r.agency == "pupr" && r.clock == "verifikasi")
        .unwrap();
    assert_eq!((verify.total, verify.met), (1, 1));
    let day = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d").to_string();
    let (ok, out, err) = run_cli(
        &config_path,
        &[
            "report",
            "sla",
            "--from",
            &day(from),
            "--to",
            &day(to + chrono::Duration::days(1)),
            "--csv",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("agency,clock,total,met"), "{out}");
    assert!(out.contains("pupr,verifikasi,1,1,0,0,0,1.0000"), "{out}");
    app.stop().await;
}

on_both_backends!(
    clocks_follow_the_complaint_and_restart_on_reopening,
    watcher_warns_once_and_closes_unanswered,
);

//! The loop back to the citizen: LAPOR!'s stages, agencies' answers and
//! reporters' own SELESAI/BELUM change the status, and every reporter is
//! told on their channel.

use crate::helpers::*;
use crate::lapor_standin::{LaporStandin, Mode};
use crate::on_both_backends;
use adapters::Channel;
use satupintu::config::{DestinationConfig, LaporStatusConfig};
use satupintu::notify::{FallbackRoute, MessagePayload};
use satupintu::store::entity::{complaint, complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

async fn messages(app: &TestApp, purpose: &str) -> Vec<(outbox::Model, MessagePayload)> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("message"))
        .order_by_asc(outbox::Column::Id)
        .all(app.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let p: MessagePayload = serde_json::from_value(r.payload.clone().unwrap()).unwrap();
            (r, p)
        })
        .filter(|(_, p)| p.purpose == purpose)
        .collect()
}

/// The update the dispatcher sends when it forwarded the complaint.
fn r_is_forwarded(r: &outbox::Model) -> bool {
    r.payload
        .as_ref()
        .and_then(|p| p["text"].as_str())
        .is_some_and(|t| t.contains("Diteruskan"))
}

async fn status_of(app: &TestApp, id: i64) -> String {
    complaint::Entity::find_by_id(id)
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn lapor_stages_reach_every_reporter(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let mut config = test_config(&db, dir.path(), Some(&lapor));
    if let Some(DestinationConfig::Lapor(l)) = config.destinations.get_mut("lapor") {
        l.status = Some(LaporStatusConfig {
            interval_secs: 1,
            ..Default::default()
        });
    }
    config.notify.fallback = vec![FallbackRoute {
        channel: Channel::Email,
        account: "pengaduan".into(),
    }];
    let app = TestApp::spawn(config).await;

    // Reporter one writes by SMS; reporter two uses the web form with an e-mail address.
    let first = app
        .intake
        .accept(sms(
            "s1",
            "081211112222",
            "Jembatan di Lubuk Minturun retak",
        ))
        .await
        .unwrap();
    let id = first.complaint_id.unwrap();
    let r = app.post_json(serde_json::json!({"text": "Jembatan retak juga saya laporkan", "email": "warga@contoh.id"})).await;
    assert_eq!(r.status(), 201);
    // Treat the web-form report as a duplicate of the first (as duplicate detection will).
    let second = app
        .complaints()
        .await
        .into_iter()
        .find(|c| c.id != id)
        .unwrap();
    let mut dup: complaint::ActiveModel = second.into();
    dup.duplicate_of = sea_orm::Set(Some(id));
    sea_orm::ActiveModelTrait::update(dup, app.store.db())
        .await
        .unwrap();

    let tracking = eventually("the LAPOR tracking id", 15, || async {
        complaint::Entity::find_by_id(id)
            .one(app.store.db())
            .await
            .unwrap()
            .unwrap()
            .lapor_tracking_id
    })
    .await;
    for (stage, answer, want) in [
        ("Terverifikasi", None, "verified"),
        ("Disposisi", None, "assigned"),
        (
            "Tindak Lanjut",
            Some("Tim sudah meninjau lokasi"),
            "in_progress",
        ),
        ("Selesai", Some("Jembatan sudah diperbaiki"), "resolved"),
    ] {
        lapor.set_stage(&tracking, stage, answer);
        eventually(&format!("status {want}"), 20, || async {
            (status_of(&app, id).await == want).then_some(())
        })
        .await;
    }
    assert!(lapor.status_reads() >= 4, "LAPOR was asked for the stage");
    let updates: Vec<_> = messages(&app, "status")
        .await
        .into_iter()
        .filter(|(r, _)| r.complaint_id == Some(id))
        .collect();
    let forwarded: Vec<_> = updates.iter().filter(|(r, _)| r_is_forwarded(r)).collect();
    assert!(
        forwarded
            .iter()
            .any(|(r, _)| r.channel.as_deref() == Some("sms")),
        "the SMS reporter hears the complaint was forwarded: {updates:?}"
    );
    let stages: Vec<_> = updates.iter().filter(|(r, _)| !r_is_forwarded(r)).collect();
    let by_sms: Vec<_> = stages
        .iter()
        .filter(|(r, _)| r.channel.as_deref() == Some("sms"))
        .collect();
    let by_email: Vec<_> = stages
        .iter()
        .filter(|(r, _)| r.channel.as_deref() == Some("email"))
        .collect();
    // The four LAPOR stages reach both reporters; the web-form reporter by
    // e-mail, the fallback channel.
    assert_eq!(by_sms.len(), 4, "{updates:?}");
    assert_eq!(by_email.len(), 4, "{updates:?}");
    assert_eq!(by_sms[0].0.recipient.as_deref(), Some("+6281211112222"));
    assert_eq!(by_email[0].0.recipient.as_deref(), Some("warga@contoh.id"));
    let last = &by_sms[3].1;
    assert!(
        last.text.contains("Jembatan sudah diperbaiki") && last.text.contains("SELESAI"),
        "{}",
        last.text
    );
    let events = complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(id))
        .filter(complaint_event::Column::Kind.eq("status"))
        .all(app.store.db())
        .await
        .unwrap();
    assert!(events
        .iter()
        .any(|e| e.actor == "destination:lapor" && e.to_status.as_deref() == Some("resolved")));

    // The reporter says it is not fixed: reopened, told once, no status echo to them.
    let for_id = |all: Vec<(outbox::Model, MessagePayload)>| {
        all.into_iter()
            .filter(|(r, _)| r.complaint_id == Some(id) && !r_is_forwarded(r))
            .collect::<Vec<_>>()
    };
    let before = for_id(messages(&app, "status").await).len();
    let reopened = app
        .intake
        .accept(sms("s2", "081211112222", "belum"))
        .await
        .unwrap();
    assert_eq!(reopened.complaint_id, Some(id));
    assert_eq!(status_of(&app, id).await, "in_progress");
    let confirm = messages(&app, "confirm").await;
    assert_eq!(confirm.len(), 1);
    assert!(confirm[0].1.text.contains("dibuka kembali"));
    let after = for_id(messages(&app, "status").await);
    assert_eq!(
        after.len(),
        before + 1,
        "only the other reporter hears of the reopening"
    );
    assert_eq!(after.last().unwrap().0.channel.as_deref(), Some("email"));
    app.stop().await;
}

async fn agencies_answer_and_hand_back(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let mut config = test_config(&db, dir.path(), None); // default: the PUPR queue
    config.dispatch.return_destination = Some("dlh".into());
    let app = TestApp::spawn(config).await;
    let post = |agency: &str, token: &str, code: &str, body: serde_json::Value| {
        app.client
            .post(app.url(&format!("/api/v1/queues/{agency}/{code}/status")))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let a = app
        .intake
        .accept(sms(
            "a1",
            "081233334444",
            "Drainase tersumbat di Jl. Ahmad Yani",
        ))
        .await
        .unwrap();
    let code_a = a.tracking_code.unwrap().to_string();
    let b = app
        .intake
        .accept(sms("b1", "081255556666", "Pohon tumbang di taman kota"))
        .await
        .unwrap();
    let code_b = b.tracking_code.unwrap().to_string();
    eventually("both in the PUPR queue", 15, || async {
        let r = app
            .client
            .get(app.url("/api/v1/queues/pupr"))
            .bearer_auth(PUPR_TOKEN)
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = r.json().await.ok()?;
        (body["items"].as_array()?.len() == 2).then_some(())
    })
    .await;

    // Bad updates: another agency's token, a missing answer, an unknown status.
    assert_eq!(
        post(
            "pupr",
            DLH_TOKEN,
            &code_a,
            serde_json::json!({"status": "resolved", "note": "x"})
        )
        .await
        .unwrap()
        .status(),
        403
    );
    assert_eq!(
        post(
            "pupr",
            PUPR_TOKEN,
            &code_a,
            serde_json::json!({"status": "resolved"})
        )
        .await
        .unwrap()
        .status(),
        422
    );
    assert_eq!(
        post(
            "pupr",
            PUPR_TOKEN,
            &code_a,
            serde_json::json!({"status": "done"})
        )
        .await
        .unwrap()
        .status(),
        400
    );
    assert_eq!(
        post(
            "dlh",
            DLH_TOKEN,
            &code_a,
            serde_json::json!({"status": "in_progress"})
        )
        .await
        .unwrap()
        .status(),
        404,
        "not in DLH's queue"
    );

    for (status, note, want) in [
        ("received", None, "assigned"),
        ("in_progress", None, "in_progress"),
        ("resolved", Some("Saluran sudah dibersihkan"), "resolved"),
    ] {
        let r = post(
            "pupr",
            PUPR_TOKEN,
            &code_a,
            serde_json::json!({"status": status, "note": note}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(status_of(&app, a.complaint_id.unwrap()).await, want);
    }
    let told: Vec<_> = messages(&app, "status")
        .await
        .into_iter()
        .filter(|(r, _)| r.complaint_id == a.complaint_id && !r_is_forwarded(r))
        .collect();
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(told[2].1.text.contains("Saluran sudah dibersihkan"));

    // Not theirs: it leaves PUPR's queue and lands in the return destination.
    let r = post(
        "pupr",
        PUPR_TOKEN,
        &code_b,
        serde_json::json!({"status": "not_ours", "note": "Pohon urusan DLH"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    eventually("the complaint in DLH's queue", 15, || async {
        let r = app
            .client
            .get(app.url("/api/v1/queues/dlh"))
            .bearer_auth(DLH_TOKEN)
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = r.json().await.ok()?;
        let items = body["items"].as_array()?.clone();
        items
            .iter()
            .any(|i| i["tracking_code"] == code_b.as_str())
            .then_some(())
    })
    .await;
    let pupr: serde_json::Value = app
        .client
        .get(app.url("/api/v1/queues/pupr"))
        .bearer_auth(PUPR_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pupr["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["tracking_code"] != code_b.as_str()));
    let returned = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("returned"))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(returned.actor, "agency:pupr");
    assert_eq!(returned.note.as_deref(), Some("Pohon urusan DLH"));
    app.stop().await;
}

async fn lapor_callback_needs_its_token(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let lapor = LaporStandin::start(Mode::Accept).await;
    let mut config = test_config(&db, dir.path(), Some(&lapor));
    if let Some(DestinationConfig::Lapor(l)) = config.destinations.get_mut("lapor") {
        l.callback_token = Some(secret_file(dir.path(), "callback.token", "panggil-balik"));
    }
    let app = TestApp::spawn(config).await;
    let a = app
        .intake
        .accept(sms("l1", "081266667777", "Lampu PJU padam satu jalur"))
        .await
        .unwrap();
    let id = a.complaint_id.unwrap();
    let tracking = eventually("the LAPOR tracking id", 15, || async {
        complaint::Entity::find_by_id(id)
            .one(app.store.db())
            .await
            .unwrap()
            .unwrap()
            .lapor_tracking_id
    })
    .await;
    let call = |token: &str, body: serde_json::Value| {
        app.client
            .post(app.url("/webhooks/lapor/lapor"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let body = serde_json::json!({"trackingid": tracking, "status": "Tindak Lanjut", "tanggapan": "Petugas PLN dijadwalkan"});
    assert_eq!(call("salah", body.clone()).await.unwrap().status(), 401);
    assert_eq!(status_of(&app, id).await, "forwarded");
    assert_eq!(call("panggil-balik", body).await.unwrap().status(), 200);
    assert_eq!(status_of(&app, id).await, "in_progress");
    let unknown = serde_json::json!({"trackingid": "000", "status": "Selesai"});
    assert_eq!(call("panggil-balik", unknown).await.unwrap().status(), 404);
    app.stop().await;
}

on_both_backends!(
    lapor_stages_reach_every_reporter,
    agencies_answer_and_hand_back,
    lapor_callback_needs_its_token,
);

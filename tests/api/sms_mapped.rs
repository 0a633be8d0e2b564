//! Gateways described by mapping (the two recorded shapes) through the
//! running gateway: header and HMAC authentication, ignored payloads,
//! templated replies, parts joined after a timeout; and every SMS webhook
//! answers 503 (retry) while the database is down.

use crate::helpers::{eventually, secret_file, tempdir, Backend, TestApp, TestDb};
use crate::sms_standin::Standin;
use crate::sms_support::*;
use adapters::sms::auth::{hmac_signature, HmacAlgorithm, SignatureEncoding};
use satupintu::channels::sms::{InstanceConfig, RateLimits, SmsSyncConfig};
use serde_json::json;

async fn mapped_flow(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let api = Standin::start(200, json!({"sid": "", "status": true})).await;
    let app = TestApp::spawn(config_with(
        &db,
        dir.path(),
        vec![gateway_a(dir.path(), &api.base), gateway_b(dir.path())],
    ))
    .await;

    let r = app
        .client
        .post(app.url("/webhooks/sms/wa-a"))
        .header("x-gateway-key", "kunci-a")
        .body(fixture("generic-gateway-a.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c = complaint_with_body(
        &app,
        "Pak, selokan depan rumah saya di Siteba mampet, kalau hujan banjir",
    )
    .await;
    let sent = eventually("the reply at the gateway", 20, || async {
        api.received()
            .into_iter()
            .find(|r| r.body.contains(&c.tracking_code))
    })
    .await;
    assert_eq!((sent.method.as_str(), sent.uri.as_str()), ("POST", "/send"));
    assert_eq!(sent.headers.get("authorization").unwrap(), "token-balasan");
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["target"], "6281374567890");
    // The same number on another gateway is the same citizen.
    assert!(c.citizen_id.is_some());

    let sign = |body: &str| {
        format!(
            "sha256={}",
            hmac_signature(
                HmacAlgorithm::Sha256,
                SignatureEncoding::Hex,
                b"kunci-b",
                body.as_bytes()
            )
        )
    };
    let post_b = |body: String| {
        let sig = sign(&body);
        app.client
            .post(app.url("/webhooks/sms/wa-b"))
            .header("x-signature", sig)
            .body(body)
            .send()
    };
    // A group message is acknowledged and ignored.
    let group =
        fixture("generic-gateway-b.json").replace(r#""isGroup": false"#, r#""isGroup": true"#);
    assert_eq!(post_b(group).await.unwrap().status(), 200);
    assert_eq!(
        post_b(fixture("generic-gateway-b.json"))
            .await
            .unwrap()
            .status(),
        200
    );
    complaint_with_body(
        &app,
        "izin lapor, ada kabel listrik putus menjuntai di Jl. Hamka",
    )
    .await;
    // The group message made no complaint.
    assert_eq!(app.complaints().await.len(), 2);
    // The person of gateway A writes through gateway B, their number
    // spelled the national way: the same citizen.
    let same = json!({"id": "x2", "phone": "0813-7456-7890", "message": "Selokan masih mampet", "isGroup": false});
    assert_eq!(post_b(same.to_string()).await.unwrap().status(), 200);
    let again = complaint_with_body(&app, "Selokan masih mampet").await;
    assert_eq!(again.citizen_id, c.citizen_id);
    // A bad signature is refused.
    let r = app
        .client
        .post(app.url("/webhooks/sms/wa-b"))
        .header("x-signature", "sha256=00")
        .body(fixture("generic-gateway-b.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // An empty SMS and a status question make no complaint; intake answers
    // them, and the answers go out through the gateway.
    let before = app.complaints().await.len();
    for (id, text) in [("e1", "   "), ("q1", &*format!("cek {}", c.tracking_code))] {
        let body = json!({"sender": "6281311112222", "message": text, "inboxid": id});
        let r = app
            .client
            .post(app.url("/webhooks/sms/wa-a"))
            .header("x-gateway-key", "kunci-a")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    eventually("both answers at the gateway", 20, || async {
        let to_them: Vec<_> = api
            .received()
            .into_iter()
            .filter(|r| r.body.contains("6281311112222"))
            .collect();
        (to_them.len() == 2).then_some(())
    })
    .await;
    assert_eq!(app.complaints().await.len(), before);
    // Two parts of three arrive; after the timeout what came is taken in.
    for (seq, text) in [(1, "Lampu jalan mati "), (3, " sudah seminggu")] {
        let part = json!({"id": format!("p{seq}"), "phone": "6281298765432", "message": text,
                          "isGroup": false, "ref": "77", "parts": 3, "part": seq});
        assert_eq!(post_b(part.to_string()).await.unwrap().status(), 200);
    }
    complaint_with_body(&app, "Lampu jalan mati  […]  sudah seminggu").await;
    app.stop().await;
}

async fn database_outage_is_a_retry(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let phone = InstanceConfig::Smssync(SmsSyncConfig {
        name: "android".into(),
        secret: secret_file(dir.path(), "smssync.secret", SMSSYNC_SECRET),
        batch: 20,
        confirm_timeout_secs: 300,
        limits: RateLimits::default(),
    });
    let api = Standin::start(200, json!({})).await;
    let config = config_with(
        &db,
        dir.path(),
        vec![
            phone,
            gateway_a(dir.path(), &api.base),
            gateway_b(dir.path()),
        ],
    );
    let app = TestApp::spawn(config).await;
    app.store.clone().close().await.unwrap();
    let message = app
        .client
        .post(app.url("/webhooks/sms/wa-a"))
        .header("x-gateway-key", "kunci-a")
        .body(fixture("generic-gateway-a.json"))
        .send()
        .await
        .unwrap();
    let part = json!({"id": "p1", "phone": "6281298765432", "message": "x", "isGroup": false, "ref": "1", "parts": 2, "part": 1})
        .to_string();
    let sig = format!(
        "sha256={}",
        hmac_signature(
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
            b"kunci-b",
            part.as_bytes()
        )
    );
    let part = app
        .client
        .post(app.url("/webhooks/sms/wa-b"))
        .header("x-signature", sig)
        .body(part)
        .send()
        .await
        .unwrap();
    let poll = app
        .client
        .get(app.url(&format!(
            "/webhooks/sms/android?task=send&secret={SMSSYNC_SECRET}"
        )))
        .send()
        .await
        .unwrap();
    for r in [message, part, poll] {
        assert_eq!(r.status(), 503);
        assert!(r.headers().contains_key("retry-after"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
    }
}

crate::on_both_backends!(mapped_flow, database_outage_is_a_retry);

//! Agency queues: complaints land in the configured agency's queue, each
//! agency reads only its own, and anonymous reporters stay hidden.

use crate::helpers::*;
use crate::on_both_backends;

async fn queue(app: &TestApp, agency: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(&format!("/api/v1/queues/{agency}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn each_agency_reads_only_its_own_queue(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await; // default: pupr
    app.post_json(serde_json::json!({"text": "Jalan amblas di Lubuk Begalung", "name": "Dedi", "phone": "081233334444"})).await;
    app.post_json(serde_json::json!({"text": "Gorong-gorong tersumbat", "name": "Rahasia Saya", "phone": "081255556666", "anonim": true})).await;

    let items = eventually("both complaints in the PUPR queue", 15, || async {
        let body: serde_json::Value = queue(&app, "pupr", Some(PUPR_TOKEN))
            .await
            .json()
            .await
            .ok()?;
        let items = body["items"].as_array()?.clone();
        (items.len() == 2).then_some(items)
    })
    .await;
    let named = items
        .iter()
        .find(|i| i["body"].as_str().unwrap().contains("amblas"))
        .unwrap();
    assert_eq!(named["reporter"]["name"], "Dedi");
    assert_eq!(named["reporter"]["phone"], "+6281233334444");
    let anonymous = items.iter().find(|i| i["anonim"] == true).unwrap();
    assert!(
        anonymous["reporter"].is_null(),
        "anonymous reporter hidden from the agency: {anonymous}"
    );
    assert!(
        !anonymous.to_string().contains("Rahasia Saya")
            && !anonymous.to_string().contains("5556666")
    );

    // Agency DLH's token on PUPR's queue is refused; its own queue is empty.
    assert_eq!(queue(&app, "pupr", Some(DLH_TOKEN)).await.status(), 403);
    let own: serde_json::Value = queue(&app, "dlh", Some(DLH_TOKEN))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["items"].as_array().unwrap().len(), 0);
    assert_eq!(queue(&app, "dlh", Some(PUPR_TOKEN)).await.status(), 403);
    assert_eq!(queue(&app, "pupr", None).await.status(), 401);
    assert_eq!(queue(&app, "pupr", Some("tebakan")).await.status(), 401);
    assert_eq!(
        queue(&app, "tidak-ada", Some(PUPR_TOKEN)).await.status(),
        403
    );

    // Paging.
    let first = items
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .min()
        .unwrap();
    let page: serde_json::Value = app
        .client
        .get(app.url(&format!("/api/v1/queues/pupr?after={first}&limit=10")))
        .bearer_auth(PUPR_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let bad = app
        .client
        .get(app.url("/api/v1/queues/pupr?after=x"))
        .bearer_auth(PUPR_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    app.stop().await;
}

on_both_backends!(each_agency_reads_only_its_own_queue);

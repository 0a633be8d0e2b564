//! The public pages work as plain HTML forms, without JavaScript.

use crate::helpers::*;
use crate::on_both_backends;

async fn form_post_without_javascript(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let page = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"id\""));
    assert!(page.contains("action=\"/api/v1/complaints\"") && page.contains("name=\"text\""));
    assert!(page.contains("Kirim pengaduan") && !page.contains("<script"));
    let english = app
        .client
        .get(app.url("/?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Send complaint"));

    // A browser posts the form and follows the redirect to the status page.
    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let r = app
        .client
        .post(app.url("/api/v1/complaints"))
        .header("accept", browser_accept)
        .form(&[
            ("text", "Trotoar rusak <b>parah</b>"),
            ("title", "<script>alert(1)</script>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/pengaduan/"));
    // Right after the answer the submission may still be being taken in;
    // either way the page shows its code as received.
    let status = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(status.status(), 200);
    let html = status.text().await.unwrap();
    let code = location["/pengaduan/".len()..].split('?').next().unwrap();
    assert!(html.contains(code) && html.contains("Diterima"), "{html}");
    app.taken_in().await;
    assert_eq!(app.complaints().await[0].tracking_code, code);
    let status = app.client.get(app.url(&location)).send().await.unwrap();
    let html = status.text().await.unwrap();
    assert!(html.contains(code) && html.contains("Diterima"));
    assert!(
        !html.contains("<script>alert(1)</script>") && html.contains("&lt;script&gt;"),
        "escaped"
    );

    // An error is shown on the form, in Indonesian, with the right status.
    let r = app
        .client
        .post(app.url("/api/v1/complaints"))
        .header("accept", browser_accept)
        .form(&[("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Isi pengaduan wajib diisi"));

    // The lookup page.
    let r = app
        .client
        .get(app.url(&format!("/cek?kode={}", code.to_lowercase())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("/pengaduan/{code}")
    );
    let r = app
        .client
        .get(app.url("/cek?kode=SALAH"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .get(app.url("/pengaduan/ABCDEFGHJK"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    app.stop().await;
}

on_both_backends!(form_post_without_javascript);

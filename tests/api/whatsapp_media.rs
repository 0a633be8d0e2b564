//! WhatsApp media end to end, on both backends: a photo becomes a complaint
//! with its image stored, a failed download is retried without holding up
//! the text, and a 20 MB file is refused, noted, and never stored.

use crate::helpers::*;
use crate::on_both_backends;
use crate::whatsapp_support::*;
use satupintu::store::entity::{attachment, complaint_event, outbox};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

async fn events_of(app: &TestApp, kind: &str) -> Vec<complaint_event::Model> {
    complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq(kind))
        .all(app.store.db())
        .await
        .unwrap()
}

async fn photo_becomes_a_complaint_with_its_image_stored(backend: Backend) {
    let (dir, _db, graph, config) = setup(backend).await;
    let photo = jpeg(48 * 1024);
    graph.add_media("media-foto-1", "image/jpeg", photo.clone(), true);
    let app = TestApp::spawn(config).await;
    let body = webhook(
        CENTER,
        vec![image(
            SITI,
            "wamid.IN-FOTO",
            "media-foto-1",
            "Jalan berlubang di depan pasar",
        )],
        vec![],
    );
    let r = post(&app, &body).await;
    assert_eq!(r.status(), 200);

    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), 1);
    let c = &complaints[0];
    assert_eq!(
        (c.channel.as_str(), c.channel_account.as_str()),
        ("whatsapp", CENTER)
    );
    assert_eq!(c.body, "Jalan berlubang di depan pasar");

    let stored = eventually("the photo to be downloaded and stored", 20, || async {
        attachment::Entity::find()
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|a| !a.storage_path.is_empty())
    })
    .await;
    assert_eq!(stored.complaint_id, Some(c.id));
    assert_eq!(stored.sha256, hex::encode(Sha256::digest(&photo)));
    assert_eq!(
        (stored.size, stored.mime.as_str()),
        (photo.len() as i64, "image/jpeg")
    );
    let on_disk = std::fs::read(dir.path().join("attachments").join(&stored.storage_path)).unwrap();
    assert_eq!(on_disk, photo);
    assert_eq!(events_of(&app, "attachment_stored").await.len(), 1);

    // The acknowledgment leaves from the number that received the photo,
    // to the sender, quoting the photo, with the tracking code.
    let sent = sends(&graph, 1).await;
    assert_eq!(sent[0].phone_number_id, CENTER);
    assert_eq!(sent[0].to(), SITI);
    assert!(
        sent[0].text().contains(&c.tracking_code),
        "{}",
        sent[0].text()
    );
    assert!(
        sent[0].text().contains("Kode pelacakan"),
        "Indonesian first"
    );
    assert_eq!(sent[0].body["context"]["message_id"], "wamid.IN-FOTO");
    let (_, downloads, unauthorized) = graph.media_counts();
    assert_eq!((downloads, unauthorized), (1, 0));
    app.stop().await;
}

async fn oversized_media_is_refused_noted_and_never_stored(backend: Backend) {
    let (dir, _db, graph, config) = setup(backend).await;
    graph.add_media("media-besar", "image/jpeg", jpeg(20 * 1024 * 1024), true);
    let app = TestApp::spawn(config).await;
    let body = webhook(
        MAYOR,
        vec![image(SITI, "wamid.BIG", "media-besar", "Video banjir")],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    assert_eq!(app.complaints().await.len(), 1, "the text is taken at once");
    let refused = eventually("the refusal on the timeline", 20, || async {
        events_of(&app, "attachment_refused").await.pop()
    })
    .await;
    assert_eq!(refused.data.as_ref().unwrap()["reason"], "too_large");
    assert!(refused.note.as_deref().unwrap().contains("melebihi batas"));
    assert!(attachment::Entity::find()
        .all(app.store.db())
        .await
        .unwrap()
        .is_empty());
    let files = walk(&dir.path().join("attachments"));
    assert!(files.is_empty(), "nothing stored: {files:?}");
    let (_, downloads, _) = graph.media_counts();
    assert_eq!(
        downloads, 0,
        "a declared 20 MB file is not downloaded at all"
    );
    // A refusal is final: the row is settled, not dead-lettered.
    eventually("the media row to be settled", 20, || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("media"))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    app.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    entries
        .flatten()
        .flat_map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                vec![e.path()]
            }
        })
        .collect()
}

async fn failed_download_is_retried_and_never_blocks_the_text(backend: Backend) {
    let (_dir, _db, graph, config) = setup(backend).await;
    graph.add_media("media-lambat", "image/jpeg", jpeg(4096), true);
    graph.fail_media_times(2);
    let app = TestApp::spawn(config).await;
    let body = webhook(
        MAYOR,
        vec![image(
            SITI,
            "wamid.SLOW",
            "media-lambat",
            "Saluran tersumbat",
        )],
        vec![],
    );
    assert_eq!(post(&app, &body).await.status(), 200);
    assert_eq!(app.complaints().await.len(), 1);
    sends(&graph, 1).await;
    let row = eventually("the download to succeed on the third try", 20, || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("media"))
            .one(app.store.db())
            .await
            .unwrap()
            .filter(|r| r.state == "delivered")
    })
    .await;
    assert_eq!(row.attempts, 3);
    let a = attachment::Entity::find()
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap();
    assert!(!a.storage_path.is_empty());
    app.stop().await;
}

on_both_backends!(
    photo_becomes_a_complaint_with_its_image_stored,
    oversized_media_is_refused_noted_and_never_stored,
    failed_download_is_retried_and_never_blocks_the_text,
);

//! The intake journal, on both backends: an enqueued message is durable
//! before it is taken in, is taken in exactly once however often it is
//! delivered, keeps its sender's order, and is never dropped: an entry
//! left from before (a stop, another instance) is taken in, and one that
//! cannot be read stays, with its error.

use crate::helpers::*;
use crate::on_both_backends;
use crate::whatsapp_support::{text, webhook};
use adapters::{InboundMessage, Location};
use satupintu::store::entity::{complaint, inbound_message, intake_journal};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use std::time::Duration;

async fn count<E>(app: &TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(app.store.db()).await.unwrap()
}

/// The stored inbound message with `external_id`, once taken in.
async fn inbound(app: &TestApp, external_id: &str) -> Option<inbound_message::Model> {
    inbound_message::Entity::find()
        .filter(inbound_message::Column::ExternalId.eq(external_id))
        .one(app.store.db())
        .await
        .unwrap()
}

/// A journal row as another instance, or this one before a stop, left it.
pub fn entry(msg: &InboundMessage) -> intake_journal::ActiveModel {
    intake_journal::ActiveModel {
        channel: Set(msg.channel.as_str().into()),
        external_id: Set(msg.external_id.to_string()),
        message: Set(serde_json::to_string(msg).unwrap()),
        attempts: Set(0),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
}

/// A WhatsApp text message as the adapter reads it from a webhook.
fn whatsapp(wamid: &str, from: &str, body: &str) -> InboundMessage {
    let hook = webhook("106540352242922", vec![text(from, wamid, body)], vec![]);
    let body = serde_json::to_vec(&hook).unwrap();
    match adapters::whatsapp::parse(&body, chrono::Utc::now())
        .unwrap()
        .remove(0)
    {
        adapters::whatsapp::Event::Message(m) => *m,
        other => panic!("not a message: {other:?}"),
    }
}

async fn journaled_messages_are_taken_in_once(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    // Three messages, the first delivered twice side by side.
    let messages: Vec<InboundMessage> = (0..3)
        .map(|i| {
            sms(
                &format!("j{i}"),
                &format!("+6281200000{i:03}"),
                &format!("Laporan {i}: lampu jalan mati di gang {i}"),
            )
        })
        .collect();
    let mut tasks = Vec::new();
    for m in messages.iter().chain(std::iter::once(&messages[0])) {
        let (intake, m) = (app.intake.clone(), m.clone());
        tasks.push(tokio::spawn(async move { intake.enqueue(m).await }));
    }
    for t in tasks {
        t.await.unwrap().expect("journaled");
    }
    app.taken_in().await;
    assert_eq!(count::<inbound_message::Entity>(&app).await, 3);
    assert_eq!(count::<complaint::Entity>(&app).await, 3);
    // Delivered again once taken in: nothing new.
    app.intake.enqueue(messages[1].clone()).await.unwrap();
    app.taken_in().await;
    assert_eq!(count::<inbound_message::Entity>(&app).await, 3);
    assert_eq!(count::<complaint::Entity>(&app).await, 3);
    app.stop().await;
}

async fn entries_left_in_the_journal_are_taken_in(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    // A sender's text and then their location, both in the journal before
    // the pipeline looks, and an entry that cannot be read between them.
    let text = sms("left-1", "+6281377770001", "Got tersumbat di depan pasar");
    let mut pin = sms("left-3", "+6281377770001", "lokasinya di sini");
    pin.location = Some(Location {
        lat: Some(-0.95),
        lon: Some(100.35),
        address: Some("Pasar Raya".into()),
    });
    let mut broken = entry(&sms("left-2", "+6281377770002", "x"));
    broken.message = Set("{\"channel\": \"sms\", \"text\": ".into());
    // WhatsApp entries: one kept as the whole message (as every entry was
    // before), one as its raw payload alone (as they are now).
    let whole = whatsapp(
        "wamid.left-whole",
        "6281377770031",
        "Jalan berlubang di Jl. Veteran",
    );
    let in_raw = whatsapp(
        "wamid.left-raw",
        "6281377770032",
        "Sampah menumpuk di Jl. Hamka",
    );
    let mut raw = entry(&in_raw);
    raw.message = Set(in_raw.raw.body.clone());
    let journal = journal_db(&app).await;
    entry(&text).insert(&journal).await.unwrap();
    broken.insert(&journal).await.unwrap();
    entry(&pin).insert(&journal).await.unwrap();
    entry(&whole).insert(&journal).await.unwrap();
    raw.insert(&journal).await.unwrap();
    let complaint_of = |id: &'static str| {
        let app = &app;
        async move { inbound(app, id).await.and_then(|m| m.complaint_id) }
    };
    let opened = eventually("the left text is taken in", 10, || complaint_of("left-1")).await;
    let joined = eventually("the left location is taken in", 10, || {
        complaint_of("left-3")
    })
    .await;
    assert_eq!(
        joined, opened,
        "the location joins the complaint its text opened"
    );
    for id in ["wamid.left-whole", "wamid.left-raw"] {
        eventually(id, 10, || complaint_of(id)).await;
    }
    assert_eq!(count::<complaint::Entity>(&app).await, 3);

    let kept = eventually("the unreadable entry is marked", 10, || {
        let journal = journal.clone();
        async move {
            intake_journal::Entity::find()
                .one(&journal)
                .await
                .unwrap()
                .filter(|e| e.attempts > 0)
        }
    })
    .await;
    assert_eq!(kept.external_id, "left-2");
    assert!(kept.last_error.is_some_and(|e| !e.is_empty()));
    assert!(kept.not_before.is_some_and(|t| t > kept.created_at));
    // It stays; the others are deleted once their pass settles, which
    // may come a moment after their complaints are visible.
    eventually("only the unreadable entry left", 10, || {
        let journal = journal.clone();
        async move {
            let left = intake_journal::Entity::find()
                .count(&journal)
                .await
                .unwrap();
            (left == 1).then_some(())
        }
    })
    .await;
    let metrics = app.metrics().await;
    for line in [
        "satupintu_intake_journal_entries{state=\"failing\"} 1",
        "satupintu_intake_journal_entries{state=\"waiting\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    app.stop().await;
}

on_both_backends!(
    journaled_messages_are_taken_in_once,
    entries_left_in_the_journal_are_taken_in,
);

/// On SQLite the journal is a file of its own; entries found in the
/// database's `intake_journal` table (journaled before the file existed)
/// are moved into it, in their order, and taken in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_entries_in_the_table_move_into_the_journal_file() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Sqlite, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let path = app.intake.journal_path().expect("a file on SQLite");
    assert!(path.starts_with(dir.path()), "{}", path.display());
    app.intake
        .enqueue(sms("file-1", "+6281377770020", "Banjir di Jl. Sudirman"))
        .await
        .unwrap();
    app.taken_in().await;
    assert!(path.exists(), "{} exists", path.display());
    let text = sms(
        "table-1",
        "+6281377770021",
        "Drainase tersumbat di Ulak Karang",
    );
    let mut pin = sms("table-2", "+6281377770021", "ini lokasinya");
    pin.location = Some(Location {
        lat: Some(-0.91),
        lon: Some(100.35),
        address: None,
    });
    entry(&text).insert(app.store.db()).await.unwrap();
    entry(&pin).insert(app.store.db()).await.unwrap();
    eventually("the table's entries are moved", 10, || async {
        (count::<intake_journal::Entity>(&app).await == 0).then_some(())
    })
    .await;
    app.taken_in().await;
    let complaints = complaint::Entity::find().all(app.store.db()).await.unwrap();
    assert_eq!(complaints.len(), 2, "{complaints:?}");
    let pinned = inbound(&app, "table-2")
        .await
        .expect("the location is taken in");
    let opened = inbound(&app, "table-1")
        .await
        .expect("the text is taken in");
    assert_eq!(pinned.complaint_id, opened.complaint_id, "kept in order");
    app.stop().await;
}

/// Gateways sharing one PostgreSQL take the journal in by turns: while
/// another one holds the turn, this one leaves the entries alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_one_gateway_at_a_time_takes_the_journal_in() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Postgres, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    // Another gateway's pass, as far as the lock goes.
    let other = app.store.db().begin().await.unwrap();
    other
        .execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({})",
            satupintu::intake::pipeline::PG_TURN_LOCK
        ))
        .await
        .unwrap();
    entry(&sms(
        "turn-1",
        "+6281377770009",
        "Jalan berlubang di Jl. Veteran",
    ))
    .insert(app.store.db())
    .await
    .unwrap();
    app.intake
        .enqueue(sms("turn-2", "+6281377770010", "Sampah di pasar"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count::<intake_journal::Entity>(&app).await, 2, "left alone");
    assert_eq!(count::<complaint::Entity>(&app).await, 0);
    other.commit().await.unwrap();
    app.taken_in().await;
    assert_eq!(count::<complaint::Entity>(&app).await, 2);
    app.stop().await;
}

/// The journal's writers keep their PostgreSQL connections between
/// batches. When the server ends those sessions (a restart, an
/// administrator), the next batches are still stored and answered: none
/// of them fails on a connection that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_journal_writes_outlive_their_connections() {
    let dir = tempdir();
    let db = TestDb::new(Backend::Postgres, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let admin = sea_orm::Database::connect(postgres_admin_url())
        .await
        .unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut sent = 0;
    for round in 0..3 {
        // One after another, so that each writer gets batches of its own.
        for _ in 0..4 {
            let id = format!("conn-{sent}");
            let from = format!("+62813555{sent:05}");
            app.intake
                .enqueue(sms(&id, &from, "Lampu jalan mati di Jl. Khatib Sulaiman"))
                .await
                .unwrap_or_else(|e| panic!("round {round}: {id} not journaled: {e}"));
            sent += 1;
        }
        let ended = admin
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                ),
            ))
            .await
            .unwrap();
        assert!(!ended.is_empty(), "the gateway had connections to end");
    }
    app.taken_in().await;
    assert_eq!(count::<inbound_message::Entity>(&app).await, sent);
    admin.close().await.ok();
    app.stop().await;
}

/// An id that comes again while its first message waits in the journal:
/// an identical retry adds nothing; different content is refused and
/// counted, and the first message is the one taken in. (The first waits
/// because an earlier try failed: it is held back for a few seconds.)
async fn an_id_reused_while_its_first_waits_keeps_the_first(backend: Backend) {
    let dir = tempdir();
    let db = TestDb::new(backend, dir.path()).await;
    let app = TestApp::spawn(test_config(&db, dir.path(), None)).await;
    let first = sms("reused-1", "+6281377770011", "Pohon tumbang di Jl. Khatib");
    let mut held = entry(&first);
    held.attempts = Set(1);
    held.not_before = Set(Some(chrono::Utc::now() + chrono::Duration::seconds(3)));
    let journal = journal_db(&app).await;
    held.insert(&journal).await.unwrap();
    let mut changed = first.clone();
    changed.text = "Isi lain dengan id yang sama".into();
    changed.raw.body = "Body=Isi lain dengan id yang sama".into();
    app.intake.enqueue(first.clone()).await.unwrap();
    let reused = "satupintu_intake_rejected_total{channel=\"sms\",reason=\"external_id_reused\"}";
    assert!(!app.metrics().await.contains(reused), "a retry is no reuse");
    app.intake.enqueue(changed).await.unwrap();
    assert!(app.metrics().await.contains(&format!("{reused} 1")));
    assert_eq!(
        intake_journal::Entity::find()
            .count(&journal)
            .await
            .unwrap(),
        1
    );
    app.taken_in().await;
    let kept = complaint::Entity::find().all(app.store.db()).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].body.contains("Pohon tumbang"), "{}", kept[0].body);
    app.stop().await;
}

on_both_backends!(an_id_reused_while_its_first_waits_keeps_the_first);

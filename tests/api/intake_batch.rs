//! Batched intake: messages arriving together are written in one
//! transaction, first-time senders' complaints with one statement per
//! table. Each message must still come out as if written alone: its own
//! citizen, code, timeline, clock and acknowledgment; a second message of
//! the same sender a follow-up; a repeated delivery the first answer; and a
//! message whose writes fail undone alone.

use crate::helpers::*;
use crate::on_both_backends;
use adapters::{InboundMessage, Location};
use satupintu::intake::{Accepted, IntakeError, Outcome};
use satupintu::store::entity::{
    citizen, citizen_address, complaint, complaint_event, inbound_message, outbox, sla_clock,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Statement, TransactionTrait,
};
use std::collections::HashSet;

/// Accepts every message at once, each on its own task; each of `then`
/// as soon as the message it follows (by index) is answered, while the
/// rest are still being written (a citizen's location right after their
/// text). Results in the order given, `then` last.
async fn accept_all(
    app: &TestApp,
    messages: Vec<InboundMessage>,
    then: Vec<(usize, InboundMessage)>,
) -> Vec<Result<Accepted, IntakeError>> {
    let mut answered = Vec::new();
    let mut tasks = Vec::new();
    for m in messages {
        let (done, wait) = tokio::sync::watch::channel(false);
        answered.push(wait);
        let intake = app.intake.clone();
        tasks.push(tokio::spawn(async move {
            let result = intake.accept(m).await;
            let _ = done.send(true);
            result
        }));
    }
    for (after, m) in then {
        let mut wait = answered[after].clone();
        let intake = app.intake.clone();
        tasks.push(tokio::spawn(async move {
            let _ = wait.wait_for(|done| *done).await;
            intake.accept(m).await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

fn phone(i: usize) -> String {
    format!("+62812{i:08}")
}

/// Texts far apart, so that none is judged a duplicate of another: most
/// of their words are made up for each one.
fn text(i: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ba", "ci", "du", "fe", "go", "hu", "ja", "ke", "li", "mo", "nu", "pa", "ri", "sa", "tu",
        "we",
    ];
    let word = |k: usize| -> String {
        let n = i * 131 + k * 977 + 7;
        (0..3).map(|d| SYLLABLES[(n >> (4 * d)) % 16]).collect()
    };
    let problem = [
        "lampu jalan mati",
        "sampah menumpuk",
        "got tersumbat",
        "jalan berlubang",
    ];
    format!(
        "Laporan nomor {i}: {} di gang {} dekat {} {}, kata pak {} dan bu {}",
        problem[i % 4],
        word(0),
        word(1),
        word(2),
        word(3),
        word(4),
    )
}

async fn a_burst_comes_out_as_if_written_one_by_one(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    let senders = 60;
    let mut messages: Vec<_> = (0..senders)
        .map(|i| sms(&format!("m{i}"), &phone(i), &text(i)))
        .collect();
    // Five senders send their location right after their text; one
    // message is delivered twice at once and once more later.
    let mut then = Vec::new();
    for i in 0..5 {
        then.push((i, pin(&format!("again{i}"), &phone(i))));
    }
    messages.push(sms("m7", &phone(7), &text(7)));
    then.push((7, sms("m7", &phone(7), &text(7))));
    let results = accept_all(&app, messages, then).await;
    let accepted: Vec<Accepted> = results.into_iter().map(|r| r.unwrap()).collect();

    let outcomes = |o: Outcome| accepted.iter().filter(|a| a.outcome == o).count();
    assert_eq!(outcomes(Outcome::Created), senders);
    assert_eq!(outcomes(Outcome::Joined), 5);
    assert_eq!(outcomes(Outcome::Replayed), 2);

    // The second message of a sender joined that sender's complaint; the
    // repeated deliveries answer with the first's code.
    for i in 0..5 {
        let first = &accepted[i];
        let again = &accepted[senders + 1 + i];
        assert_eq!(first.complaint_id, again.complaint_id, "sender {i}");
    }
    for a in [&accepted[senders], &accepted[senders + 6]] {
        assert_eq!(a.tracking_code, accepted[7].tracking_code);
    }

    // Every complaint stands whole: its own citizen with its own number,
    // its timeline, its clock, its acknowledgment and its delivery.
    let complaints = app.complaints().await;
    assert_eq!(complaints.len(), senders);
    let codes: HashSet<_> = complaints.iter().map(|c| &c.tracking_code).collect();
    assert_eq!(codes.len(), senders);
    assert_eq!(
        citizen::Entity::find().count(app.store.db()).await.unwrap(),
        senders as u64
    );
    let addresses = citizen_address::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    assert_eq!(addresses.len(), senders);
    let inbound = inbound_message::Entity::find()
        .all(app.store.db())
        .await
        .unwrap();
    for c in &complaints {
        // The complaint holds its sender's text; a location joined it.
        let mine: Vec<_> = inbound
            .iter()
            .filter(|m| m.complaint_id == Some(c.id))
            .collect();
        assert!(
            mine.iter()
                .any(|m| m.raw_payload.ends_with(&format!("|{}", c.body))),
            "complaint {} holds a text none of its messages carried",
            c.id
        );
        let from = mine[0].sender.clone().unwrap();
        assert!(mine.iter().all(|m| m.sender.as_ref() == Some(&from)));
        let own = addresses
            .iter()
            .find(|a| Some(a.citizen_id) == c.citizen_id)
            .expect("the complaint's citizen has an address");
        assert_eq!(
            own.address, from,
            "complaint {} has the wrong citizen",
            c.id
        );
        let clocks = sla_clock::Entity::find()
            .filter(sla_clock::Column::ComplaintId.eq(c.id))
            .filter(sla_clock::Column::Clock.eq(satupintu::sla::VERIFY))
            .count(app.store.db())
            .await
            .unwrap();
        // The texts share a pattern: where batches run side by side
        // (PostgreSQL), a later one may link a text to an earlier one's.
        let linked = c.duplicate_of.is_some();
        assert_eq!(clocks, u64::from(!linked), "complaint {}: clocks", c.id);
        let kinds: Vec<String> = complaint_event::Entity::find()
            .filter(complaint_event::Column::ComplaintId.eq(c.id))
            .order_by_asc(complaint_event::Column::Id)
            .all(app.store.db())
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        let second = if linked { "ikut_melapor" } else { "routed" };
        assert!(
            kinds.starts_with(&["received".to_string(), second.to_string()]),
            "{kinds:?}"
        );
        let acks = outbox::Entity::find()
            .filter(outbox::Column::ComplaintId.eq(c.id))
            .filter(outbox::Column::Kind.eq("message"))
            .filter(outbox::Column::Recipient.eq(from.clone()))
            .count(app.store.db())
            .await
            .unwrap();
        assert!(acks >= 1, "complaint {} has no acknowledgment", c.id);
    }
    // Every message is kept once, linked to its complaint.
    assert_eq!(inbound.len(), senders + 5);
    assert!(inbound.iter().all(|m| m.complaint_id.is_some()));

    // Operators see how intake wrote them.
    let metrics = app.metrics().await;
    let written = |how: &str| -> u64 {
        let key = format!("satupintu_intake_written_total{{how=\"{how}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} in\n{metrics}"))
    };
    assert!(written("bulk") > 0, "{metrics}");
    // Each message once (the repeated deliveries once more, as failed
    // singles answered from the first).
    assert!(written("bulk") + written("single") >= (senders + 5) as u64);

    // A later message of a sender from the burst is that sender's again.
    let mut later = sms("later", &phone(30), "ini fotonya");
    later.location = Some(Location {
        lat: Some(-0.95),
        lon: Some(100.35),
        address: None,
    });
    let later = app.intake.accept(later).await.unwrap();
    assert_eq!(later.outcome, Outcome::Joined);
    assert_eq!(later.complaint_id, accepted[30].complaint_id);
    app.stop().await;
}

/// Makes storing a complaint with this body fail inside the database.
async fn refuse_body(app: &TestApp, body: &str) {
    let db = app.store.db();
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON complaints WHEN NEW.body = '{body}' \
                 BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
            ))
            .await
            .unwrap();
        }
        _ => {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
                 IF NEW.body = '{body}' THEN RAISE EXCEPTION 'refused by test'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ))
            .await
            .unwrap();
            db.execute_unprepared(
                "CREATE TRIGGER refuse BEFORE INSERT ON complaints \
                 FOR EACH ROW EXECUTE FUNCTION refuse()",
            )
            .await
            .unwrap();
        }
    }
}

async fn a_failing_message_is_undone_alone(backend: Backend) {
    let (app, _db, _dir) = spawn_with_dedup(backend).await;
    refuse_body(&app, "TOLAK").await;
    let mut messages: Vec<_> = (0..40)
        .map(|i| sms(&format!("m{i}"), &phone(i), &text(i)))
        .collect();
    messages.insert(20, sms("bad", &phone(999), "TOLAK"));
    let results = accept_all(&app, messages, Vec::new()).await;
    for (i, r) in results.iter().enumerate() {
        match i {
            20 => assert!(
                matches!(r, Err(IntakeError::Storage(_))),
                "the refused message must fail: {r:?}"
            ),
            _ => assert_eq!(r.as_ref().unwrap().outcome, Outcome::Created, "message {i}"),
        }
    }
    assert_eq!(app.complaints().await.len(), 40);
    // Nothing of the failed message is left: no raw message, no citizen.
    assert_eq!(
        inbound_message::Entity::find()
            .count(app.store.db())
            .await
            .unwrap(),
        40
    );
    assert_eq!(
        citizen::Entity::find().count(app.store.db()).await.unwrap(),
        40
    );
    let stray = citizen_address::Entity::find()
        .filter(citizen_address::Column::Address.eq(phone(999)))
        .count(app.store.db())
        .await
        .unwrap();
    assert_eq!(stray, 0);
    assert!(complaint::Entity::find()
        .filter(complaint::Column::Body.eq("TOLAK"))
        .one(app.store.db())
        .await
        .unwrap()
        .is_none());

    // Its sender's retry, once the cause is gone, is taken.
    let drop = match backend {
        Backend::Sqlite => "DROP TRIGGER refuse",
        Backend::Postgres => "DROP TRIGGER refuse ON complaints",
    };
    app.store.db().execute_unprepared(drop).await.unwrap();
    let retry = app
        .intake
        .accept(sms("bad", &phone(999), "TOLAK"))
        .await
        .unwrap();
    assert_eq!(retry.outcome, Outcome::Created);
    app.stop().await;
}

fn pin(id: &str, from: &str) -> InboundMessage {
    let mut pin = sms(id, from, "lokasinya di sini");
    pin.location = Some(Location {
        lat: Some(-0.95),
        lon: Some(100.35),
        address: Some("Pasar Raya".into()),
    });
    pin
}

/// Accepts `messages` so that they are written as one batch (SQLite):
/// while the writer's seat is held, the batch writer takes a filler
/// message ("e0") and waits for the seat; `messages` then queue in order,
/// and once the seat is free they join the filler's batch. Results in
/// order.
async fn in_one_batch(
    app: &TestApp,
    messages: Vec<InboundMessage>,
) -> Vec<Result<Accepted, IntakeError>> {
    let accept = |m: InboundMessage| {
        let intake = app.intake.clone();
        tokio::spawn(async move { intake.accept(m).await })
    };
    let settled = |what: &'static str, writers: usize, queued: usize| {
        let intake = app.intake.clone();
        eventually(what, 10, move || {
            let done = intake.batches_writing() == writers && intake.queued_writes() == queued;
            async move { done.then_some(()) }
        })
    };
    let holder = app.store.begin_write().await.unwrap();
    let filler = accept(sms("e0", &phone(100), &text(0)));
    settled("the batch writer waits for the seat", 1, 0).await;
    let mut queued = Vec::new();
    for (i, m) in messages.into_iter().enumerate() {
        queued.push(accept(m));
        settled("a message queues", 1, i + 1).await;
    }
    holder.commit().await.unwrap();
    assert_eq!(filler.await.unwrap().unwrap().outcome, Outcome::Created);
    let mut results = Vec::new();
    for q in queued {
        results.push(q.await.unwrap());
    }
    results
}

async fn received_at(app: &TestApp, external_id: &str) -> chrono::DateTime<chrono::Utc> {
    inbound_message::Entity::find()
        .filter(inbound_message::Column::ExternalId.eq(external_id))
        .one(app.store.db())
        .await
        .unwrap()
        .unwrap()
        .created_at
}

/// Within one batch a sender's messages keep their order: the location
/// right behind a first text joins the complaint that text opens, though
/// the text is written with the other first-time senders' and the
/// location on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_senders_messages_in_one_batch_keep_their_order() {
    let (app, _db, _dir) = spawn_with_dedup(Backend::Sqlite).await;
    let before = app.intake.accept(sms("b0", &phone(199), &text(9))).await;
    assert_eq!(before.unwrap().outcome, Outcome::Created);
    let mut messages: Vec<InboundMessage> = (0..3)
        .map(|i| sms(&format!("o{i}"), &phone(200 + i), &text(10 + i)))
        .collect();
    messages.push(sms("t", &phone(300), &text(20)));
    messages.push(pin("p", &phone(300)));
    let results = in_one_batch(&app, messages).await;
    let answers: Vec<Accepted> = results.into_iter().map(Result::unwrap).collect();
    for other in &answers[..3] {
        assert_eq!(other.outcome, Outcome::Created);
    }
    let (first, location) = (&answers[3], &answers[4]);
    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(location.outcome, Outcome::Joined);
    assert_eq!(location.complaint_id, first.complaint_id);
    // They were written in one batch (a batch writes at one time),
    // together with the message whose batch waited for the writer's seat
    // while they came.
    let t = received_at(&app, "t").await;
    assert_eq!(t, received_at(&app, "p").await);
    assert_eq!(t, received_at(&app, "o0").await);
    assert_eq!(t, received_at(&app, "e0").await);
    assert_ne!(t, received_at(&app, "b0").await);
    app.stop().await;
}

/// Two citizens reporting one problem in the same batch: the second joins
/// the first ("ikut melapor"), though neither was in the duplicate index
/// when the batch was formed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_problem_reported_twice_in_one_batch_is_linked() {
    let (app, _db, _dir) = spawn_with_dedup(Backend::Sqlite).await;
    let first_text =
        "Lampu jalan di Jl. Purus III kelurahan Purus mati total sejak 3 hari, rawan maling";
    let again = "min lampu jln di jl purus 3 mati total udh 3 hari, rawan maling. kel Purus";
    let results = in_one_batch(
        &app,
        vec![
            sms("a", &phone(400), first_text),
            sms("x", &phone(401), &text(30)),
            sms("b", &phone(402), again),
        ],
    )
    .await;
    let answers: Vec<Accepted> = results.into_iter().map(Result::unwrap).collect();
    assert!(answers.iter().all(|a| a.outcome == Outcome::Created));
    assert_eq!(
        received_at(&app, "a").await,
        received_at(&app, "b").await,
        "written in one batch"
    );
    let first = answers[0].complaint_id.unwrap();
    let all = app.complaints().await;
    let row = |id: Option<i64>| all.iter().find(|c| Some(c.id) == id).unwrap().clone();
    let linked = row(answers[2].complaint_id);
    assert_eq!(linked.duplicate_of, Some(first));
    assert_eq!(linked.status, "duplicate");
    assert_eq!(row(answers[1].complaint_id).duplicate_of, None);
    assert_eq!(row(Some(first)).duplicate_of, None);
    // The first is delivered and clocked for both; each citizen has a code
    // and an acknowledgment.
    let db = app.store.db();
    let deliveries = |id: i64| {
        outbox::Entity::find()
            .filter(outbox::Column::ComplaintId.eq(id))
            .filter(outbox::Column::Kind.ne("message"))
            .count(db)
    };
    assert!(deliveries(first).await.unwrap() > 0);
    assert_eq!(deliveries(linked.id).await.unwrap(), 0);
    let clocks = |id: i64| {
        sla_clock::Entity::find()
            .filter(sla_clock::Column::ComplaintId.eq(id))
            .count(db)
    };
    assert_eq!(clocks(first).await.unwrap(), 1);
    assert_eq!(clocks(linked.id).await.unwrap(), 0);
    let joined = complaint_event::Entity::find()
        .filter(complaint_event::Column::Kind.eq("ikut_melapor"))
        .order_by_asc(complaint_event::Column::Id)
        .all(db)
        .await
        .unwrap();
    let on: Vec<i64> = joined.iter().map(|e| e.complaint_id).collect();
    assert_eq!(on, [first, linked.id]);
    assert_ne!(answers[0].tracking_code, answers[2].tracking_code);
    app.stop().await;
}

/// On PostgreSQL a failed statement aborts the whole transaction. When a
/// batch's lookups fail (here: cancelled while they wait for a lock),
/// its messages are still written, one by one, in the same transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_lookup_leaves_the_batch_written() {
    let (app, db, _dir) = spawn_with_dedup(Backend::Postgres).await;
    let blocker = sea_orm::Database::connect(&db.url).await.unwrap();
    let lock = blocker.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE inbound_messages IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let messages: Vec<InboundMessage> = (0..6)
        .map(|i| sms(&format!("n{i}"), &phone(600 + i), &text(50 + i)))
        .collect();
    let tasks: Vec<_> = messages
        .into_iter()
        .map(|m| {
            let intake = app.intake.clone();
            tokio::spawn(async move { intake.accept(m).await })
        })
        .collect();
    // Cancel this database's batch lookups (tagged reads, see
    // `store::reads`) waiting for the lock; nothing else.
    let cancelled = eventually("a batch lookup waits for the lock", 10, || async {
        let rows = blocker
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_cancel_backend(pid) AS done FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock' \
                 AND query LIKE '%satupintu_read%' AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap();
        (!rows.is_empty()).then_some(rows.len())
    })
    .await;
    assert!(cancelled > 0);
    lock.commit().await.unwrap();
    for (i, t) in tasks.into_iter().enumerate() {
        let result = t.await.unwrap();
        assert_eq!(result.unwrap().outcome, Outcome::Created, "message {i}");
    }
    assert_eq!(app.complaints().await.len(), 6);
    app.stop().await;
}

on_both_backends!(
    a_burst_comes_out_as_if_written_one_by_one,
    a_failing_message_is_undone_alone,
);

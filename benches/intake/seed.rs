//! A gateway holding many complaints: a SQLite database migrated by the
//! gateway itself, then filled in bulk with SQL (one statement per table)
//! with the rows intake and delivery leave behind: citizens and their
//! numbers, complaints routed by Padang's rules (texts from `texts`, their
//! routing decided by the real rule set), inbound messages with their raw
//! payloads, timelines, settled outbox rows, delivery attempts, agency queue
//! items and SLA clocks. Complaints are spread evenly over the last 365
//! days, so the 72-hour duplicate window holds 3/365 of them (0.8%); one in
//! 33 is linked to the report before it. Older than 14 days they are
//! closed, older than 3 days in progress, the newest forwarded.

use crate::bodies::{self, Kind};
use crate::gateway_config::{self, Options};
use crate::report::Seeded;
use crate::texts::Texts;
use crate::{cases, load, procs, Params};
use adapters::Channel;
use satupintu::config::Config;
use satupintu::routing::{Routing, RoutingInput, RoutingSource};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use std::path::Path;
use std::time::Instant;

/// Distinct texts the complaints cycle through (fewer for small seeds).
fn texts_for(n: u64) -> usize {
    (n as usize / 4).clamp(64, 4096)
}
const SPAN_SECS: i64 = 365 * 86_400;
const DAY: i64 = 86_400;

/// Routes `count` generated reports with the configured rules and keeps
/// them in a temporary table `t` for the bulk statements.
async fn texts_table(root: &Path, config: &Path, db: &DatabaseConnection, count: usize) {
    let config = Config::load(Some(config)).expect("bench configuration");
    let rules = RoutingSource::from_config(&config)
        .load()
        .expect("routing rules load")
        .expect("a rules file");
    let routing = Routing::fixed(rules);
    db.execute_unprepared(
        "CREATE TEMP TABLE t (k INTEGER PRIMARY KEY, channel TEXT, account TEXT, name TEXT, title TEXT, \
         body TEXT, category TEXT, lat REAL, lon REAL, address TEXT, kec TEXT, kel TEXT, dest TEXT, \
         note TEXT, data TEXT, raw TEXT)",
    )
    .await
    .expect("texts table");
    let mut texts = Texts::new(root, 7);
    let now = chrono::Utc::now();
    let mut rows: Vec<Value> = Vec::new();
    for k in 0..count {
        let whatsapp = k % 2 == 1;
        let r = texts.next(!whatsapp && k % 4 == 0);
        let (channel, account) = if whatsapp {
            (Channel::Whatsapp, crate::bodies::WA_ACCOUNT)
        } else {
            (Channel::Webform, "web")
        };
        let d = routing.decide_input(&RoutingInput {
            text: format!("{}\n{}", r.title, r.text),
            address: Some(r.address.clone()),
            channel,
            account: account.into(),
            category: None,
            pin: r.pin,
            anonim: false,
            rahasia: false,
            has_attachment: false,
            at: now,
        });
        let raw = serde_json::json!({"text": r.text, "title": r.title, "name": r.name, "address": r.address,
            "lat": r.pin.map(|p| p.0), "lon": r.pin.map(|p| p.1), "attachments": []});
        rows.extend([
            Value::from(k as i64),
            channel.as_str().into(),
            account.into(),
            r.name.into(),
            r.title.into(),
            r.text.into(),
            d.category.clone().into(),
            r.pin.map(|p| p.0).into(),
            r.pin.map(|p| p.1).into(),
            r.address.into(),
            d.kecamatan_code.clone().into(),
            d.kelurahan_code.clone().into(),
            d.destinations
                .first()
                .cloned()
                .unwrap_or_else(|| "koordinator".into())
                .into(),
            d.summary().into(),
            serde_json::to_string(&d).expect("decision JSON").into(),
            raw.to_string().into(),
        ]);
        if rows.len() >= 16 * 50 || k + 1 == count {
            let marks = vec!["(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"; rows.len() / 16].join(",");
            let sql = format!("INSERT INTO t VALUES {marks}");
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                sql,
                std::mem::take(&mut rows),
            ))
            .await
            .expect("texts rows");
        }
    }
}

/// The bulk statements for `n` complaints at `now` (unix seconds).
fn statements(n: i64, now: i64, k: usize) -> Vec<String> {
    let citizens = (n * 7 / 10).max(1);
    // Seconds since the epoch of complaint `id`, oldest first.
    let at = |id: &str| format!("({now} - ({n} - {id}) * {SPAN_SECS} / {n})");
    let ts = |secs: String| {
        format!("(strftime('%Y-%m-%dT%H:%M:%f', {secs}, 'unixepoch') || '000000+00:00')")
    };
    let seq =
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})");
    let event = |kind: &str, from: &str, to: &str, offset: i64, actor: &str, filter: &str| {
        format!(
            "INSERT INTO complaint_events (complaint_id, at, actor, kind, from_status, to_status, note, data) \
             SELECT c.id, {}, {actor}, '{kind}', {from}, {to}, NULL, NULL FROM complaints c WHERE {filter}",
            ts(format!("{} + {offset}", at("c.id")))
        )
    };
    let open = "c.duplicate_of IS NULL";
    vec![
        format!(
            "{seq} INSERT INTO citizens (id, display_name, created_at) \
             SELECT i, (SELECT name FROM t WHERE t.k = i % {k}), {} FROM n WHERE i <= {citizens}",
            ts(at("i"))
        ),
        format!(
            "INSERT INTO citizen_addresses (id, citizen_id, kind, address, created_at) \
             SELECT id, id, 'phone', '+62813' || printf('%08d', id), created_at FROM citizens"
        ),
        format!(
            "{seq} INSERT INTO complaints (id, tracking_code, citizen_id, channel, channel_account, title, body, \
             category, lat, lon, address_text, kecamatan_code, kelurahan_code, anonim, rahasia, status, duplicate_of, \
             sla_due_at, created_at, updated_at, priority, sla_class) \
             SELECT i, 'S' || printf('%09X', i), (i - 1) % {citizens} + 1, t.channel, t.account, t.title, t.body, \
             t.category, t.lat, t.lon, t.address, t.kec, t.kel, 0, 0, \
             CASE WHEN i % 33 = 0 THEN 'duplicate' WHEN {now} - {a} > 14 * {DAY} THEN 'closed' \
                  WHEN {now} - {a} > 3 * {DAY} THEN 'in_progress' ELSE 'forwarded' END, \
             CASE WHEN i % 33 = 0 THEN i - 1 END, \
             CASE WHEN i % 33 <> 0 AND {now} - {a} <= 14 * {DAY} THEN {due} END, {c}, {c}, 'normal', 'standar' \
             FROM n JOIN t ON t.k = (CASE WHEN i % 33 = 0 THEN i - 1 ELSE i END) % {k}",
            a = at("i"),
            due = ts(format!("{} + 10 * {DAY}", at("i"))),
            c = ts(at("i")),
        ),
        format!(
            "INSERT INTO inbound_messages (id, channel, channel_account, external_id, sender, fingerprint, \
             raw_content_type, raw_payload, complaint_id, received_at, created_at) \
             SELECT c.id, c.channel, c.channel_account, \
             CASE c.channel WHEN 'whatsapp' THEN 'wamid.SEED' || c.id ELSE 'auto:' || lower(hex(randomblob(16))) END, \
             '+62813' || printf('%08d', c.citizen_id), lower(hex(randomblob(32))), 'application/json', t.raw, \
             c.id, c.created_at, c.created_at FROM complaints c JOIN t ON t.k = c.id % {k}"
        ),
        format!(
            "INSERT INTO outbox (id, complaint_id, destination, idempotency_key, state, attempts, next_attempt_at, \
             external_ref, delivered_at, created_at, updated_at, kind) \
             SELECT c.id, c.id, t.dest, lower(hex(randomblob(16))), 'delivered', 1, c.created_at, 'queue:' || t.dest, \
             {d}, c.created_at, {d}, 'delivery' FROM complaints c JOIN t ON t.k = c.id % {k} WHERE {open}",
            d = ts(format!("{} + 2", at("c.id")))
        ),
        format!(
            "INSERT INTO delivery_attempts (outbox_id, attempt, outcome, instance, started_at, finished_at) \
             SELECT o.id, 1, 'delivered', 'satupintu-seed', o.created_at, o.delivered_at FROM outbox o"
        ),
        "INSERT INTO agency_queue_items (agency, complaint_id, outbox_id, created_at) \
         SELECT CASE o.destination WHEN 'lapor' THEN 'lapor-manual' ELSE o.destination END, o.complaint_id, o.id, \
         o.delivered_at FROM outbox o"
            .to_string(),
        "INSERT INTO complaint_events (complaint_id, at, actor, kind, from_status, to_status, note, data) \
         SELECT c.id, c.created_at, 'channel:' || c.channel, 'received', NULL, c.status, NULL, \
         json_object('channel', c.channel, 'account', c.channel_account, 'attachments', 0) FROM complaints c"
            .to_string(),
        format!(
            "INSERT INTO complaint_events (complaint_id, at, actor, kind, from_status, to_status, note, data) \
             SELECT c.id, c.created_at, 'system', 'routed', NULL, NULL, t.note, t.data \
             FROM complaints c JOIN t ON t.k = c.id % {k} WHERE {open}"
        ),
        event("delivered", "NULL", "NULL", 2, "'destination:' || (SELECT destination FROM outbox o WHERE o.id = c.id)", open),
        event("status", "'received'", "'forwarded'", 2, "'system'", open),
        event("status", "'forwarded'", "'in_progress'", DAY, "'operator'", &format!("{open} AND c.status IN ('in_progress', 'closed')")),
        event("status", "'in_progress'", "'closed'", 9 * DAY, "'operator'", &format!("{open} AND c.status = 'closed'")),
        format!(
            "INSERT INTO sla_clocks (complaint_id, clock, started_at, due_at, stopped_at, outcome) \
             SELECT c.id, 'verifikasi', c.created_at, {}, {}, 'met' FROM complaints c WHERE {open}",
            ts(format!("{} + 3 * {DAY}", at("c.id"))),
            ts(format!("{} + 2", at("c.id")))
        ),
        format!(
            "INSERT INTO sla_clocks (complaint_id, clock, started_at, due_at, stopped_at, outcome) \
             SELECT c.id, 'tindak_lanjut', {}, {}, CASE WHEN c.status = 'closed' THEN {} END, \
             CASE WHEN c.status = 'closed' THEN 'met' END FROM complaints c WHERE {open}",
            ts(format!("{} + 2", at("c.id"))),
            ts(format!("{} + 10 * {DAY}", at("c.id"))),
            ts(format!("{} + 9 * {DAY}", at("c.id")))
        ),
    ]
}

/// Seeds the database at `db_url` (already migrated) with `n` complaints.
async fn seed(root: &Path, config: &Path, db_url: &str, n: u64) {
    let mut options = sea_orm::ConnectOptions::new(db_url.to_string());
    options.max_connections(1).sqlx_logging(false);
    let db = sea_orm::Database::connect(options)
        .await
        .expect("seed connection");
    db.execute_unprepared("PRAGMA synchronous = OFF")
        .await
        .expect("pragma");
    let k = texts_for(n);
    texts_table(root, config, &db, k).await;
    for sql in statements(n as i64, chrono::Utc::now().timestamp(), k) {
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    db.execute_unprepared("DROP TABLE t")
        .await
        .expect("drop texts");
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .ok();
    db.close().await.ok();
}

fn file_bytes(dir: &Path) -> u64 {
    ["bench.db", "bench.db-wal", "bench.db-shm"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// Seeds, starts the gateway on the result, and loads it with web forms.
pub async fn case(p: &Params) -> Seeded {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bench.db");
    let db_url = format!("sqlite://{}?mode=rwc", path.display());
    let port = procs::free_port();
    let options = Options {
        db_url: &db_url,
        port,
        dispatch: true,
        whatsapp: None,
        standin: None,
    };
    let config = gateway_config::write(&p.root, dir.path(), &options);
    let started = Instant::now();
    let migrated = std::process::Command::new(env!("CARGO_BIN_EXE_satupintu"))
        .arg("--config")
        .arg(&config)
        .arg("migrate")
        .current_dir(dir.path())
        .output()
        .expect("satupintu migrate");
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    seed(&p.root, &config, &db_url, p.seeded).await;
    // The bulk load leaves gigabytes the kernel has not written yet; the
    // gateway's first commit would wait for all of them and be counted
    // as its latency. Part of seeding, not of serving.
    for name in ["bench.db", "bench.db-wal"] {
        if let Ok(f) = std::fs::File::open(dir.path().join(name)) {
            f.sync_all().expect("sync the seeded database");
        }
    }
    let seed_seconds = started.elapsed().as_secs_f64();
    let db_bytes = file_bytes(dir.path());
    println!(
        "  seeded {} complaints in {seed_seconds:.0} s ({:.0} MB)",
        p.seeded,
        db_bytes as f64 / 1e6
    );

    let started = Instant::now();
    let server = procs::Server::gateway(&config, dir.path(), port).await;
    let ready_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(p.settle).await;
    let rss_ready_kb = server.rss_kb();
    let url = format!("{}{}", server.base, Kind::WebForm.path());
    // Fewer requests than the other cases: each one costs more here.
    let batch = bodies::batch(
        &p.root,
        Kind::WebForm,
        (p.requests / 30).max(8),
        21,
        &p.app_secret,
    );
    let before = cases::cpu(&server);
    let out = load::closed(&url, &batch, p.concurrency).await;
    let after = cases::cpu(&server);
    let load = cases::row(
        format!("intake, web form, SQLite, {} complaints", p.seeded),
        &out,
        before,
        after,
        &server,
    );
    let rss_after_load_kb = server.rss_kb();
    let peak_rss_kb = server.peak_kb();
    server.stop();
    Seeded {
        complaints: p.seeded,
        seed_seconds,
        db_bytes,
        in_window_share: 72.0 * 3600.0 / SPAN_SECS as f64,
        ready_seconds,
        rss_ready_kb,
        rss_after_load_kb,
        peak_rss_kb,
        load,
    }
}

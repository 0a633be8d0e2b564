//! New complaints of first-time senders, written together: one multi-row
//! statement per table for a whole batch, sent as one script. Such a
//! message needs only three lookups, each made once for the whole batch
//! and all sent together (see [`Reads`]): are its addresses known, was it
//! delivered before, and which live first report of the same problem, if
//! any, it joins ("ikut melapor"). Its sender has no complaint to follow
//! up or repeat, no held replies to wake and no record to merge. Anything
//! else (commands, attachments, a polling cursor, a known sender, a
//! retry) is written on its own by the caller.

use super::batch::Job;
use super::{
    candidates, create, duplicates, fresh::Ahead, inbound_row, Accepted, Intake, Outcome, Plan,
    Processed,
};
use crate::identity;
use crate::store::complaints::event_rows;
use crate::store::entity::{citizen_address, inbound_message};
use crate::store::keys::{self, ids_after, reserve_ids};
use crate::store::lists;
use crate::store::reads::{Answers, Reads};
use crate::store::script::Script;
use adapters::{Address, TrackingCode};
use candidates::Candidate;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, QueryTrait, Select, Set,
};
use std::collections::{HashMap, HashSet};

/// The tables a bulk write takes new keys of, in the order it reserves them.
const KEYED: [&str; 2] = ["citizens", "complaints"];

/// The tags of [`choose`]'s reads.
const DELIVERED: &str = "delivered";
const KNOWN: &str = "known";
const CANDIDATES: &str = "candidates";
const LAST_IDS: &str = "last_ids";

/// What [`choose`] picked, and what writing it needs that was read along.
#[derive(Debug, Default)]
pub struct Chosen {
    pub picks: Vec<Pick>,
    /// SQLite: the last keys of [`KEYED`], read in the writer's turn, so
    /// that [`write`] reserves keys without reading them again.
    last_ids: Option<HashMap<String, i64>>,
}

/// A job to write together with others: its index in the batch, and the
/// first report it joins, if it reports a problem already reported.
#[derive(Debug, Clone)]
pub struct Pick {
    pub index: usize,
    pub first: Option<First>,
}

/// The first report a linked report joins.
#[derive(Debug, Clone)]
pub enum First {
    /// A live first report stored before this batch.
    Stored { id: i64, tracking_code: String },
    /// An earlier pick of this batch (its position among the picks).
    InBatch(usize),
}

/// The jobs to write together, in batch order. A job whose addresses or
/// external id an earlier job of the batch carries is left to be written
/// on its own, after the bulk, so that it sees what the earlier one wrote.
pub async fn choose<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    jobs: &[&Job],
    now: DateTime<Utc>,
) -> Result<Chosen, DbErr> {
    let mut seen_addresses: HashSet<(&str, String)> = HashSet::new();
    let mut seen_ids: HashSet<(&str, &str)> = HashSet::new();
    let mut chosen = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let msg = &job.msg;
        let fresh_id = seen_ids.insert((msg.channel.as_str(), msg.external_id.as_str()));
        let mut fresh_addresses = true;
        for a in job.msg.addresses() {
            fresh_addresses &= seen_addresses.insert((a.kind(), a.value()));
        }
        let simple = job.cursor.is_none()
            && msg.attachments.is_empty()
            && matches!(job.plan, Some(Plan::Message(_)));
        if fresh_id && fresh_addresses && simple {
            chosen.push(i);
        }
    }
    if chosen.is_empty() {
        return Ok(Chosen::default());
    }
    let backend = db.get_database_backend();
    // Every lookup is made for every job chosen so far; those a lookup
    // rules out are dropped afterwards.
    let mut reads = Reads::new(backend);
    reads.add(
        DELIVERED,
        delivered_query(backend, jobs, &chosen).build(backend),
    );
    let wanted: Vec<Address> = chosen
        .iter()
        .flat_map(|&i| jobs[i].msg.addresses())
        .cloned()
        .collect();
    if !wanted.is_empty() {
        reads.add(
            KNOWN,
            identity::known_addresses_query(backend, &wanted).build(backend),
        );
    }
    let candidates = lsh_candidates(jobs, &chosen);
    let ids: HashSet<i64> = candidates
        .iter()
        .flat_map(|(_, ids)| ids)
        .copied()
        .collect();
    if !ids.is_empty() {
        reads.add(CANDIDATES, candidates::candidates_statement(backend, ids));
    }
    if backend == DbBackend::Sqlite {
        reads.add(LAST_IDS, keys::last_ids_query(&KEYED));
    }
    let mut answers = reads.run(db).await?;

    let delivered = delivered_before(&mut answers)?;
    chosen.retain(|&i| {
        let msg = &jobs[i].msg;
        !delivered.contains(&(
            msg.channel.as_str().to_string(),
            msg.external_id.to_string(),
        ))
    });
    let known: HashSet<(String, String)> = answers
        .take(KNOWN)
        .iter()
        .map(|row| citizen_address::Model::from_query_result(row, "").map(|r| (r.kind, r.address)))
        .collect::<Result<_, _>>()?;
    chosen.retain(|&i| {
        jobs[i]
            .msg
            .addresses()
            .all(|a| !known.contains(&(a.kind().to_string(), a.value())))
    });
    // Read once per batch; each job looks its candidates up by id.
    let rows = candidates::by_id(candidates::candidates_from(
        backend,
        &answers.take(CANDIDATES),
    )?);
    let mut firsts = firsts(intake, jobs, &chosen, candidates, &rows, now);
    let mut picks: Vec<Pick> = chosen
        .into_iter()
        .map(|index| Pick {
            index,
            first: firsts.remove(&index),
        })
        .collect();
    link_within(intake, jobs, &mut picks, now);
    let last_ids = match backend {
        DbBackend::Sqlite => Some(keys::last_ids(&answers.take(LAST_IDS))?),
        _ => None,
    };
    Ok(Chosen { picks, last_ids })
}

/// Links a pick that joins no stored report to the earlier first report
/// of the same batch it is nearest to, when they report the same problem:
/// the batch's first reports reach the duplicate index only once it
/// commits, so the index cannot tell. On a day many people write at once
/// about one flood, they arrive together.
fn link_within(intake: &Intake, jobs: &[&Job], picks: &mut [Pick], now: DateTime<Utc>) {
    let dedup = &intake.dedup;
    let judged: Vec<_> = picks
        .iter()
        .map(|pick| match &jobs[pick.index].plan {
            Some(Plan::Message(Ahead {
                sig: Some(sig),
                decision,
                ..
            })) => Some((
                sig,
                duplicates::report_of(None, &jobs[pick.index].msg, decision, now),
            )),
            _ => None,
        })
        .collect();
    for i in 0..picks.len() {
        if picks[i].first.is_some() {
            continue;
        }
        let Some((sig, report)) = &judged[i] else {
            continue;
        };
        let nearest = (0..i)
            .filter(|&j| picks[j].first.is_none())
            .filter_map(|j| {
                let (first_sig, first) = judged[j].as_ref()?;
                let similarity = dedup.near(sig, first_sig)?;
                dedup.same_problem(report, first).then_some((j, similarity))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((j, _)) = nearest {
            picks[i].first = Some(First::InBatch(j));
        }
    }
}

/// The query for those of `chosen` whose message is stored already (a
/// provider's retry): written on their own, they fail on the unique key,
/// and intake answers them as the first time.
fn delivered_query(
    backend: DbBackend,
    jobs: &[&Job],
    chosen: &[usize],
) -> Select<inbound_message::Entity> {
    let pairs: Vec<(String, String)> = chosen
        .iter()
        .map(|&i| {
            let msg = &jobs[i].msg;
            (
                msg.channel.as_str().to_string(),
                msg.external_id.to_string(),
            )
        })
        .collect();
    inbound_message::Entity::find()
        .select_only()
        .column(inbound_message::Column::Channel)
        .column(inbound_message::Column::ExternalId)
        .filter(lists::pair_of(
            backend,
            (
                inbound_message::Column::Channel,
                inbound_message::Column::ExternalId,
            ),
            &pairs,
        ))
}

/// The (channel, external id) pairs [`delivered_query`] found.
fn delivered_before(answers: &mut Answers) -> Result<HashSet<(String, String)>, DbErr> {
    answers
        .take(DELIVERED)
        .iter()
        .map(|row| Ok((row.try_get("", "channel")?, row.try_get("", "external_id")?)))
        .collect()
}

/// The first reports the duplicate index found near each of `chosen` when
/// it arrived, most similar first; only jobs with any.
fn lsh_candidates(jobs: &[&Job], chosen: &[usize]) -> Vec<(usize, Vec<i64>)> {
    chosen
        .iter()
        .filter_map(|&i| match &jobs[i].plan {
            Some(Plan::Message(Ahead { near, .. })) if !near.is_empty() => Some((i, near.clone())),
            _ => None,
        })
        .collect()
}

/// The first report each of `chosen` joins, for those that report a
/// problem already reported, judged on the candidates' `rows`.
fn firsts(
    intake: &Intake,
    jobs: &[&Job],
    chosen: &[usize],
    candidates: Vec<(usize, Vec<i64>)>,
    rows: &HashMap<i64, Candidate>,
    now: DateTime<Utc>,
) -> HashMap<usize, First> {
    let dedup = &intake.dedup;
    let chosen: HashSet<usize> = chosen.iter().copied().collect();
    candidates
        .into_iter()
        .filter(|(i, _)| chosen.contains(i))
        .filter_map(|(i, ids)| {
            let Some(Plan::Message(ahead)) = &jobs[i].plan else {
                return None;
            };
            // A first-time sender has no report of their own to exclude.
            let first = duplicates::first_among(
                dedup,
                None,
                &jobs[i].msg,
                &ahead.decision,
                &ids,
                rows,
                now,
            )?;
            Some((
                i,
                First::Stored {
                    id: first.id,
                    tracking_code: first.tracking_code.clone(),
                },
            ))
        })
        .collect()
}

/// Writes the picked jobs (see [`choose`]), all or none; one result per
/// pick, in order. Keys are reserved first, so that every row is known
/// before the first insert and the inserts go as one script (one round
/// trip on SQLite).
pub async fn write(
    intake: &Intake,
    txn: &DatabaseTransaction,
    jobs: &[&Job],
    chosen: &Chosen,
    now: DateTime<Utc>,
) -> Result<Vec<Processed>, DbErr> {
    let picks = &chosen.picks;
    let aheads: Vec<(&Job, &Ahead)> = picks
        .iter()
        .map(|p| match &jobs[p.index].plan {
            Some(Plan::Message(ahead)) => Ok((jobs[p.index], ahead)),
            _ => Err(DbErr::Custom("bulk intake takes new messages only".into())),
        })
        .collect::<Result<_, _>>()?;
    // A new citizen for every job with an address; none for an anonymous
    // web form.
    let named: Vec<usize> = (0..aheads.len())
        .filter(|&i| aheads[i].0.msg.addresses().next().is_some())
        .collect();
    let wanted = [(KEYED[0], named.len()), (KEYED[1], aheads.len())];
    let keys = match &chosen.last_ids {
        Some(last) => ids_after(last, &wanted),
        None => reserve_ids(txn, &wanted).await?,
    };
    let (citizen_keys, ids) = (&keys[0], &keys[1]);
    let mut script = Script::new(txn.get_database_backend());

    let mut citizens = vec![None; aheads.len()];
    let mut citizen_rows = Vec::new();
    let mut address_rows = Vec::new();
    for (&i, &id) in named.iter().zip(citizen_keys) {
        let job = aheads[i].0;
        citizens[i] = Some(id);
        let mut row = identity::citizen_row(job.msg.display_name.as_deref(), now);
        row.id = Set(id);
        citizen_rows.push(row);
        let mut seen = HashSet::new();
        for a in job.msg.addresses() {
            if seen.insert((a.kind(), a.value())) {
                address_rows.push(identity::address_row(id, a, now));
            }
        }
    }
    script.insert(citizen_rows);
    script.insert(address_rows);

    // A first report's verification clock is its nearest due time; a
    // linked report has none (the first's clocks stand for both).
    let due = intake.sla.verify_due(now);
    let codes: Vec<TrackingCode> = aheads.iter().map(|(_, a)| a.code.clone()).collect();
    // Each pick with the first report it joins: (id, tracking code).
    let picked: Vec<(&Job, &Ahead, Option<(i64, &str)>)> = aheads
        .iter()
        .zip(picks)
        .map(|(&(job, ahead), pick)| {
            let first = match &pick.first {
                None => None,
                Some(First::Stored { id, tracking_code }) => Some((*id, tracking_code.as_str())),
                Some(First::InBatch(k)) => Some((ids[*k], codes[*k].as_str())),
            };
            (job, ahead, first)
        })
        .collect();
    script.insert(picked.iter().zip(citizens.iter().zip(ids)).zip(&codes).map(
        |(((job, ahead, first), (citizen_id, &id)), code)| {
            let mut row = create::complaint_row(
                &ahead.decision,
                first.map(|(id, _)| id),
                first.is_none().then_some(due),
                &job.msg,
                *citizen_id,
                code,
                now,
            );
            row.id = Set(id);
            row
        },
    ));
    script.insert(picked.iter().zip(ids).map(|((job, _, _), &id)| {
        let mut row = inbound_row(&job.msg, &job.fingerprint, now);
        row.complaint_id = Set(Some(id));
        row
    }));

    // The acknowledgment to every citizen; deliveries for first reports
    // only (a linked report's first is delivered already).
    let mut messages = Vec::new();
    for ((job, ahead, first), (&id, code)) in picked.iter().zip(ids.iter().zip(&codes)) {
        if let Some(ack) = intake.notifier.acknowledgment(&job.msg, id, code.as_str()) {
            messages.push(crate::notify::outbox_row(ack, now));
        }
        if first.is_none() {
            for destination in &ahead.decision.destinations {
                messages.push(crate::store::outbox::new_row(Some(id), destination, now));
            }
        }
    }
    script.insert(messages);

    let actors: Vec<String> = picked
        .iter()
        .map(|(j, _, _)| create::actor(&j.msg))
        .collect();
    let mut events = Vec::new();
    for (((job, ahead, first), actor), (&id, code)) in
        picked.iter().zip(&actors).zip(ids.iter().zip(&codes))
    {
        let status = create::initial_status(first.is_some());
        events.push(create::received_event(id, actor, status, &job.msg, now));
        match first {
            Some(first) => events.extend(duplicates::link_event_rows(
                *first,
                (id, code.as_str()),
                actor,
                now,
            )),
            None => events.push(create::routed_event(id, &ahead.decision, now)),
        }
    }
    script.insert(event_rows(events));
    script.insert(
        picked
            .iter()
            .zip(ids)
            .filter(|((_, _, first), _)| first.is_none())
            .map(|(_, &id)| crate::sla::Sla::verify_clock(id, due, now)),
    );
    script.run(txn).await?;

    Ok(picked
        .iter()
        .zip(ids.iter().zip(&codes))
        .map(|((_, ahead, first), (&id, code))| {
            intake.routing.count(&ahead.decision);
            let status = create::initial_status(first.is_some());
            Processed {
                accepted: Accepted {
                    complaint_id: Some(id),
                    tracking_code: Some(code.clone()),
                    status: Some(status),
                    outcome: Outcome::Created,
                },
                // Only first reports are indexed.
                remember: match first {
                    None => ahead.sig.clone().map(|sig| (id, sig)),
                    Some(_) => None,
                },
            }
        })
        .collect())
}

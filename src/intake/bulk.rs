//! New complaints of first-time senders, written together: one multi-row
//! statement per table for a whole batch. Such a message needs only three
//! lookups, each made once for the whole batch: are its addresses known,
//! was it delivered before, and do its duplicate candidates hold the same
//! problem. Its sender has no complaint to follow up or repeat, no held
//! replies to wake and no record to merge. Anything else (commands,
//! attachments, a polling cursor, a known sender, a retry, another
//! citizen's problem reported again) is written on its own by the caller.

use super::batch::Job;
use super::{
    create, duplicates, fresh::Ahead, inbound_row, Accepted, Intake, Outcome, Plan, Processed,
};
use crate::complaint::Status;
use crate::identity;
use crate::store::complaints::add_events;
use crate::store::entity::{
    citizen, citizen_address, complaint, inbound_message, outbox, sla_clock,
};
use adapters::{Address, TrackingCode};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};

/// The indices of the jobs to write together. A job whose addresses or
/// external id an earlier job of the batch carries is left to be written
/// on its own, after the bulk, so that it sees what the earlier one wrote.
pub async fn choose<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    jobs: &[&Job],
    now: DateTime<Utc>,
) -> Result<Vec<usize>, DbErr> {
    let mut seen_addresses: HashSet<(&str, String)> = HashSet::new();
    let mut seen_ids: HashSet<(&str, &str)> = HashSet::new();
    let mut chosen = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let msg = &job.msg;
        let fresh_id = seen_ids.insert((msg.channel.as_str(), msg.external_id.as_str()));
        let mut fresh_addresses = true;
        for a in addresses(job) {
            fresh_addresses &= seen_addresses.insert((a.kind(), a.value()));
        }
        let simple = job.cursor.is_none()
            && msg.attachments.is_empty()
            && matches!(job.plan, Some(Plan::Message(_)));
        if fresh_id && fresh_addresses && simple {
            chosen.push(i);
        }
    }
    let delivered = delivered_before(db, jobs, &chosen).await?;
    chosen.retain(|i| !delivered.contains(i));
    let firsts = firsts(intake, db, jobs, &chosen, now).await?;
    chosen.retain(|i| !firsts.contains(i));
    let wanted: Vec<Address> = chosen
        .iter()
        .flat_map(|&i| addresses(jobs[i]))
        .cloned()
        .collect();
    let known: HashSet<(String, String)> = identity::known_addresses(db, &wanted)
        .await?
        .into_iter()
        .map(|r| (r.kind, r.address))
        .collect();
    chosen.retain(|&i| {
        addresses(jobs[i]).all(|a| !known.contains(&(a.kind().to_string(), a.value())))
    });
    Ok(chosen)
}

fn addresses(job: &Job) -> impl Iterator<Item = &Address> {
    job.msg.sender.iter().chain(&job.msg.other_addresses)
}

/// Those of `chosen` whose message is stored already (a provider's
/// retry): written on their own, they fail on the unique key, and intake
/// answers them as the first time.
async fn delivered_before<C: ConnectionTrait>(
    db: &C,
    jobs: &[&Job],
    chosen: &[usize],
) -> Result<HashSet<usize>, DbErr> {
    if chosen.is_empty() {
        return Ok(HashSet::new());
    }
    let any_of = chosen.iter().fold(Condition::any(), |any, &i| {
        let msg = &jobs[i].msg;
        any.add(
            Condition::all()
                .add(inbound_message::Column::Channel.eq(msg.channel.as_str()))
                .add(inbound_message::Column::ExternalId.eq(msg.external_id.as_str())),
        )
    });
    let stored: HashSet<(String, String)> = inbound_message::Entity::find()
        .select_only()
        .column(inbound_message::Column::Channel)
        .column(inbound_message::Column::ExternalId)
        .filter(any_of)
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(chosen
        .iter()
        .copied()
        .filter(|&i| {
            let msg = &jobs[i].msg;
            stored.contains(&(
                msg.channel.as_str().to_string(),
                msg.external_id.to_string(),
            ))
        })
        .collect())
}

/// Those of `chosen` that report a problem already reported: they are
/// linked to the first report, which the single path does. The candidate
/// rows of the whole batch are read in one statement.
async fn firsts<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    jobs: &[&Job],
    chosen: &[usize],
    now: DateTime<Utc>,
) -> Result<HashSet<usize>, DbErr> {
    let dedup = &intake.dedup;
    let candidates: Vec<(usize, Vec<i64>)> = chosen
        .iter()
        .filter_map(|&i| match &jobs[i].plan {
            Some(Plan::Message(Ahead { sig: Some(sig), .. })) => {
                let ids: Vec<i64> = dedup.candidates(sig).into_iter().map(|c| c.0).collect();
                (!ids.is_empty()).then_some((i, ids))
            }
            _ => None,
        })
        .collect();
    let ids: HashSet<i64> = candidates
        .iter()
        .flat_map(|(_, ids)| ids)
        .copied()
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = duplicates::candidates(db, ids).await?;
    Ok(candidates
        .into_iter()
        .filter(|(i, ids)| {
            let Some(Plan::Message(ahead)) = &jobs[*i].plan else {
                return false;
            };
            // A first-time sender has no report of their own to exclude.
            duplicates::first_among(dedup, None, &jobs[*i].msg, &ahead.decision, ids, &rows, now)
                .is_some()
        })
        .map(|(i, _)| i)
        .collect())
}

/// Writes the chosen jobs (see [`choose`]); one result per job, in order.
pub async fn write<C: ConnectionTrait>(
    intake: &Intake,
    db: &C,
    jobs: &[&Job],
    now: DateTime<Utc>,
) -> Result<Vec<Processed>, DbErr> {
    let aheads: Vec<&Ahead> = jobs
        .iter()
        .map(|j| match &j.plan {
            Some(Plan::Message(ahead)) => Ok(ahead),
            _ => Err(DbErr::Custom("bulk intake takes new messages only".into())),
        })
        .collect::<Result<_, _>>()?;
    let citizens = citizens(db, jobs, now).await?;

    let due = intake.sla.verify_due(now);
    let codes: Vec<TrackingCode> = jobs
        .iter()
        .map(|_| create::random_tracking_code())
        .collect();
    let rows = jobs.iter().zip(&aheads).zip(&citizens).zip(&codes).map(
        |(((job, ahead), citizen_id), code)| {
            create::complaint_row(
                &ahead.decision,
                None,
                Some(due),
                &job.msg,
                *citizen_id,
                code,
                now,
            )
        },
    );
    // Matched back by tracking code: RETURNING promises no row order.
    let stored = complaint::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?;
    let by_code: HashMap<&str, i64> = stored
        .iter()
        .map(|c| (c.tracking_code.as_str(), c.id))
        .collect();
    let ids: Vec<i64> = codes
        .iter()
        .map(|code| {
            by_code
                .get(code.as_str())
                .copied()
                .ok_or_else(|| DbErr::Custom(format!("complaint {code} was not returned")))
        })
        .collect::<Result<_, _>>()?;

    inbound_message::Entity::insert_many(jobs.iter().zip(&ids).map(|(job, &id)| {
        let mut row = inbound_row(&job.msg, &job.fingerprint, now);
        row.complaint_id = Set(Some(id));
        row
    }))
    .exec_without_returning(db)
    .await?;

    let mut messages = Vec::new();
    for ((job, ahead), (&id, code)) in jobs.iter().zip(&aheads).zip(ids.iter().zip(&codes)) {
        if let Some(ack) = intake.notifier.acknowledgment(&job.msg, id, code.as_str()) {
            messages.push(crate::notify::outbox_row(ack, now));
        }
        for destination in &ahead.decision.destinations {
            messages.push(crate::store::outbox::new_row(Some(id), destination, now));
        }
    }
    outbox::Entity::insert_many(messages)
        .exec_without_returning(db)
        .await?;

    let actors: Vec<String> = jobs.iter().map(|j| create::actor(&j.msg)).collect();
    let events = jobs
        .iter()
        .zip(&aheads)
        .zip(ids.iter().zip(&actors))
        .flat_map(|((job, ahead), (&id, actor))| {
            [
                create::received_event(id, actor, Status::Received, &job.msg, now),
                create::routed_event(id, &ahead.decision, now),
            ]
        });
    add_events(db, events).await?;

    sla_clock::Entity::insert_many(
        ids.iter()
            .map(|&id| crate::sla::Sla::verify_clock(id, due, now)),
    )
    .exec_without_returning(db)
    .await?;

    Ok(jobs
        .iter()
        .zip(aheads)
        .zip(ids.into_iter().zip(codes))
        .map(|((_, ahead), (id, code))| {
            intake.routing.count(&ahead.decision);
            Processed {
                accepted: Accepted {
                    complaint_id: Some(id),
                    tracking_code: Some(code),
                    status: Some(Status::Received),
                    outcome: Outcome::Created,
                },
                remember: ahead.sig.clone().map(|sig| (id, sig)),
            }
        })
        .collect())
}

/// A new citizen for every job with an address, and their addresses; the
/// citizen of each job (none for an anonymous web form).
async fn citizens<C: ConnectionTrait>(
    db: &C,
    jobs: &[&Job],
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>, DbErr> {
    let named: Vec<usize> = (0..jobs.len())
        .filter(|&i| addresses(jobs[i]).next().is_some())
        .collect();
    let rows = named
        .iter()
        .map(|&i| identity::citizen_row(jobs[i].msg.display_name.as_deref(), now));
    let mut ids = citizen::Entity::insert_many(rows)
        .exec_with_returning_keys(db)
        .await?;
    if ids.len() != named.len() {
        return Err(DbErr::Custom(format!(
            "{} citizens inserted, {} returned",
            named.len(),
            ids.len()
        )));
    }
    // Keys are drawn in the order of the VALUES rows (SQLite's rowid and
    // PostgreSQL's sequence both count up row by row), though RETURNING
    // may list them in any order.
    ids.sort_unstable();
    let mut citizens = vec![None; jobs.len()];
    let mut address_rows = Vec::new();
    for (&i, id) in named.iter().zip(ids) {
        citizens[i] = Some(id);
        let mut seen = HashSet::new();
        for a in addresses(jobs[i]) {
            if seen.insert((a.kind(), a.value())) {
                address_rows.push(identity::address_row(id, a, now));
            }
        }
    }
    citizen_address::Entity::insert_many(address_rows)
        .exec_without_returning(db)
        .await?;
    Ok(citizens)
}

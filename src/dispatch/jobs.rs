//! Building a delivery job from an outbox row: the complaint as it is now,
//! its reporter and its attachments, and for messages the text to send.

use super::destination::{
    AttachmentPayload, ComplaintPayload, Job, LocationPayload, MediaJob, MessageJob, Reporter,
};
use crate::store::complaints::linked_count_query;
use crate::store::entity::{attachment, citizen, citizen_address, complaint, outbox};
use crate::store::reads::Reads;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult,
    QueryTrait,
};

/// The tags of the reads a complaint's payload needs besides its row.
const CITIZEN: &str = "citizen";
const ADDRESSES: &str = "addresses";
const ATTACHMENTS: &str = "attachments";
const LINKED: &str = "linked";

/// `Ok(None)` when the row names a complaint that no longer exists.
pub async fn load<C: ConnectionTrait>(db: &C, row: &outbox::Model) -> Result<Option<Job>, DbErr> {
    let (complaint, reporter) = match row.complaint_id {
        Some(id) => match complaint::Entity::find_by_id(id).one(db).await? {
            Some(c) => {
                let (payload, reporter) = complaint_payload(db, c).await?;
                (Some(payload), reporter)
            }
            None => return Ok(None),
        },
        None => (None, Reporter::default()),
    };
    Ok(Some(Job {
        outbox_id: row.id,
        complaint_id: row.complaint_id,
        destination: row.destination.clone(),
        idempotency_key: row.idempotency_key.clone(),
        attempt: row.attempts,
        complaint,
        reporter_for_lapor: reporter,
        message: message_job(row)?,
        media: media_job(row)?,
    }))
}

fn message_job(row: &outbox::Model) -> Result<Option<MessageJob>, DbErr> {
    if row.kind != crate::store::outbox::KIND_MESSAGE {
        return Ok(None);
    }
    match (
        &row.channel,
        &row.channel_account,
        &row.recipient,
        &row.payload,
    ) {
        (Some(channel), Some(account), Some(recipient), Some(payload)) => {
            let payload = serde_json::from_value(payload.clone()).map_err(|e| {
                DbErr::Custom(format!("outbox row {}: bad message payload: {e}", row.id))
            })?;
            Ok(Some(MessageJob {
                channel: channel.clone(),
                channel_account: account.clone(),
                recipient: recipient.clone(),
                payload,
            }))
        }
        _ => Err(DbErr::Custom(format!(
            "outbox row {}: message without recipient",
            row.id
        ))),
    }
}

fn media_job(row: &outbox::Model) -> Result<Option<MediaJob>, DbErr> {
    if row.kind != crate::store::outbox::KIND_MEDIA {
        return Ok(None);
    }
    match (&row.channel, &row.channel_account, &row.payload) {
        (Some(channel), Some(account), Some(payload)) => {
            let payload = serde_json::from_value(payload.clone()).map_err(|e| {
                DbErr::Custom(format!("outbox row {}: bad media payload: {e}", row.id))
            })?;
            Ok(Some(MediaJob {
                channel: channel.clone(),
                channel_account: account.clone(),
                payload,
            }))
        }
        _ => Err(DbErr::Custom(format!(
            "outbox row {}: media without payload",
            row.id
        ))),
    }
}

/// The models in `rows`, in key order.
fn models<M: FromQueryResult>(rows: Vec<QueryResult>, id: fn(&M) -> i64) -> Result<Vec<M>, DbErr> {
    let mut models = rows
        .iter()
        .map(|row| M::from_query_result(row, ""))
        .collect::<Result<Vec<M>, _>>()?;
    models.sort_by_key(id);
    Ok(models)
}

/// The complaint's payload and its reporter: the citizen, their addresses,
/// the attachments and the linked reports are read together.
async fn complaint_payload<C: ConnectionTrait>(
    db: &C,
    c: complaint::Model,
) -> Result<(ComplaintPayload, Reporter), DbErr> {
    let backend = db.get_database_backend();
    let mut reads = Reads::new(backend);
    if let Some(citizen_id) = c.citizen_id {
        reads.add(
            CITIZEN,
            citizen::Entity::find_by_id(citizen_id).build(backend),
        );
        reads.add(
            ADDRESSES,
            citizen_address::Entity::find()
                .filter(citizen_address::Column::CitizenId.eq(citizen_id))
                .build(backend),
        );
    }
    reads.add(
        ATTACHMENTS,
        attachment::Entity::find()
            .filter(attachment::Column::ComplaintId.eq(c.id))
            .build(backend),
    );
    reads.add(LINKED, linked_count_query(c.id).build(backend));
    let mut answers = reads.run(db).await?;

    let mut reporter = Reporter::default();
    if let Some(person) = models::<citizen::Model>(answers.take(CITIZEN), |p| p.id)?.pop() {
        reporter.name = person.display_name;
    }
    let addresses = models::<citizen_address::Model>(answers.take(ADDRESSES), |a| a.id)?;
    let first = |kind: &str| {
        addresses
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.address.clone())
    };
    reporter.phone = first("phone");
    reporter.email = first("email");
    let attachments = models::<attachment::Model>(answers.take(ATTACHMENTS), |a| a.id)?
        .into_iter()
        .map(|a| AttachmentPayload {
            filename: a.filename,
            mime: a.mime,
            size: a.size,
            sha256: a.sha256,
        })
        .collect();
    let linked: i64 = match answers.take(LINKED).first() {
        Some(row) => row.try_get("", "linked")?,
        None => 0,
    };
    let reporter_count = 1 + linked as u64;
    let has_location = c.lat.is_some() || c.address_text.is_some() || c.kelurahan_code.is_some();
    let payload = ComplaintPayload {
        reporter_count,
        tracking_code: c.tracking_code.clone(),
        title: c.title.clone(),
        body: c.body.clone(),
        category: c.category.clone(),
        status: c.status.clone(),
        channel: c.channel.clone(),
        channel_account: c.channel_account.clone(),
        created_at: c.created_at,
        location: has_location.then(|| LocationPayload {
            lat: c.lat,
            lon: c.lon,
            address: c.address_text.clone(),
            kecamatan_code: c.kecamatan_code.clone(),
            kelurahan_code: c.kelurahan_code.clone(),
        }),
        anonim: c.anonim,
        rahasia: c.rahasia,
        reporter: (!c.anonim && c.citizen_id.is_some()).then(|| reporter.clone()),
        attachments,
    };
    Ok((payload, reporter))
}

//! Building a delivery job from an outbox row: the complaint as it is now,
//! its reporter and its attachments.

use super::destination::{
    AttachmentPayload, ComplaintPayload, Job, LocationPayload, MediaJob, MessageJob, Reporter,
};
use crate::store::entity::{attachment, citizen, citizen_address, complaint, outbox};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

pub async fn load<C: ConnectionTrait>(db: &C, row: &outbox::Model) -> Result<Option<Job>, DbErr> {
    let Some(c) = complaint::Entity::find_by_id(row.complaint_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut reporter = Reporter::default();
    if let Some(citizen_id) = c.citizen_id {
        if let Some(person) = citizen::Entity::find_by_id(citizen_id).one(db).await? {
            reporter.name = person.display_name;
        }
        let addresses = citizen_address::Entity::find()
            .filter(citizen_address::Column::CitizenId.eq(citizen_id))
            .order_by_asc(citizen_address::Column::Id)
            .all(db)
            .await?;
        reporter.phone = addresses
            .iter()
            .find(|a| a.kind == "phone")
            .map(|a| a.address.clone());
        reporter.email = addresses
            .iter()
            .find(|a| a.kind == "email")
            .map(|a| a.address.clone());
    }
    let attachments = attachment::Entity::find()
        .filter(attachment::Column::ComplaintId.eq(c.id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| AttachmentPayload {
            filename: a.filename,
            mime: a.mime,
            size: a.size,
            sha256: a.sha256,
        })
        .collect();
    let has_location = c.lat.is_some() || c.address_text.is_some() || c.kelurahan_code.is_some();
    let payload = ComplaintPayload {
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
    let message = match (
        &row.channel,
        &row.channel_account,
        &row.recipient,
        &row.payload,
    ) {
        (Some(channel), Some(account), Some(recipient), Some(payload))
            if row.kind == crate::store::outbox::KIND_MESSAGE =>
        {
            let payload = serde_json::from_value(payload.clone()).map_err(|e| {
                DbErr::Custom(format!("outbox row {}: bad message payload: {e}", row.id))
            })?;
            Some(MessageJob {
                channel: channel.clone(),
                channel_account: account.clone(),
                recipient: recipient.clone(),
                payload,
            })
        }
        _ => None,
    };
    let media = match (&row.channel, &row.channel_account, &row.payload) {
        (Some(channel), Some(account), Some(payload))
            if row.kind == crate::store::outbox::KIND_MEDIA =>
        {
            let payload = serde_json::from_value(payload.clone()).map_err(|e| {
                DbErr::Custom(format!("outbox row {}: bad media payload: {e}", row.id))
            })?;
            Some(MediaJob {
                channel: channel.clone(),
                channel_account: account.clone(),
                payload,
            })
        }
        _ => None,
    };
    Ok(Some(Job {
        outbox_id: row.id,
        complaint_id: c.id,
        destination: row.destination.clone(),
        idempotency_key: row.idempotency_key.clone(),
        attempt: row.attempts,
        complaint: payload,
        reporter_for_lapor: reporter,
        message,
        media,
    }))
}

//! Agency queue destination: the complaint lands in a named agency's
//! queue in this database, read by the agency through the queue API.

use super::destination::{DeliveryError, Destination, Job, Receipt};
use crate::store::entity::agency_queue_item;
use crate::store::Store;
use chrono::Utc;
use sea_orm::{EntityTrait, Set};

pub struct AgencyQueue {
    agency: String,
    store: Store,
}

impl AgencyQueue {
    pub fn new(agency: impl Into<String>, store: Store) -> Self {
        AgencyQueue {
            agency: agency.into(),
            store,
        }
    }
}

#[async_trait::async_trait]
impl Destination for AgencyQueue {
    fn kind(&self) -> &'static str {
        "agency_queue"
    }

    async fn deliver(&self, job: &Job) -> Result<Receipt, DeliveryError> {
        let (complaint_id, _) = job.complaint()?;
        let fail =
            |e: sea_orm::DbErr| DeliveryError::retryable(format!("queue insert failed: {e}"));
        let txn = self.store.begin_write().await.map_err(fail)?;
        // One queue item per (agency, complaint), however often this runs.
        agency_queue_item::Entity::insert(agency_queue_item::ActiveModel {
            agency: Set(self.agency.clone()),
            complaint_id: Set(complaint_id),
            outbox_id: Set(job.outbox_id),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            agency_queue_item::Column::Agency,
            agency_queue_item::Column::ComplaintId,
        ])
        .exec(&*txn)
        .await
        .map_err(fail)?;
        txn.commit().await.map_err(fail)?;
        Ok(Receipt {
            external_ref: Some(format!("queue:{}", self.agency)),
            ..Default::default()
        })
    }
}

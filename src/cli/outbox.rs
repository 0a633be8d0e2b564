//! `satupintu outbox`: see and retry deliveries.

use super::{connect, fail};
use crate::config::Config;
use crate::store::complaints;
use crate::store::entity::outbox as outbox_row;
use crate::store::outbox;
use clap::Subcommand;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries, dead-lettered ones by default.
    List {
        /// pending, leased, delivered or dead.
        #[arg(long, default_value = "dead")]
        state: String,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Put a dead-lettered delivery back in line.
    Retry {
        /// Outbox row id (see `outbox list`).
        id: i64,
    },
}

pub async fn run(config: &Config, cmd: OutboxCommand) -> ExitCode {
    let Some(store) = connect(config).await else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = store.migrate().await {
        return fail(format!("migration failed: {e}"));
    }
    match cmd {
        OutboxCommand::List { state, limit } => {
            let rows = outbox_row::Entity::find()
                .filter(outbox_row::Column::State.eq(state.as_str()))
                .order_by_asc(outbox_row::Column::Id)
                .limit(limit)
                .all(store.db())
                .await;
            match rows {
                Ok(rows) => {
                    println!(
                        "{:>8}  {:<16} {:<10} {:>8}  last error",
                        "id", "destination", "state", "attempts"
                    );
                    for r in rows {
                        println!(
                            "{:>8}  {:<16} {:<10} {:>8}  {}",
                            r.id,
                            r.destination,
                            r.state,
                            r.attempts,
                            r.last_error.unwrap_or_default()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("cannot read the outbox: {e}")),
            }
        }
        OutboxCommand::Retry { id } => {
            let now = chrono::Utc::now();
            let operator = std::env::var("USER").unwrap_or_else(|_| "cli".into());
            let actor = format!("operator:{operator}");
            let result = async {
                let txn = store.begin_write().await?;
                let row = outbox::retry_dead(&*txn, id, now).await?;
                if let Some(complaint_id) = row.as_ref().and_then(|r| r.complaint_id) {
                    complaints::add_event(
                        &*txn,
                        complaints::NewEvent {
                            complaint_id,
                            actor: &actor,
                            kind: "delivery_retry",
                            from_status: None,
                            to_status: None,
                            note: Some(format!("outbox row {id} put back in line")),
                            data: Some(serde_json::json!({"outbox_id": id})),
                            at: now,
                        },
                    )
                    .await?;
                }
                txn.commit().await?;
                Ok::<_, sea_orm::DbErr>(row)
            }
            .await;
            match result {
                Ok(Some(row)) => {
                    println!("outbox row {id} ({}) is pending again; a running gateway delivers it shortly", row.destination);
                    ExitCode::SUCCESS
                }
                Ok(None) => fail(format!(
                    "no dead-lettered outbox row with id {id} (see `satupintu outbox list`)"
                )),
                Err(e) => fail(format!("cannot retry: {e}")),
            }
        }
    }
}

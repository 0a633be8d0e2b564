//! `satupintu citizen`: see the merges identity made and undo a wrong one.

use super::{connect, fail};
use crate::config::Config;
use crate::store::entity::citizen_merge;
use clap::Subcommand;
use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CitizenCommand {
    /// List the latest citizen merges.
    Merges {
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Undo a merge: the addresses and complaints go back.
    Unmerge {
        /// Merge id (see `citizen merges`).
        id: i64,
        /// Who undoes it (default: $USER).
        #[arg(long)]
        operator: Option<String>,
    },
}

pub async fn run(config: &Config, cmd: CitizenCommand) -> ExitCode {
    let Some(store) = connect(config).await else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = store.migrate().await {
        return fail(format!("migration failed: {e}"));
    }
    match cmd {
        CitizenCommand::Merges { limit } => {
            let rows = citizen_merge::Entity::find()
                .order_by_desc(citizen_merge::Column::Id)
                .limit(limit)
                .all(store.db())
                .await;
            match rows {
                Ok(rows) => {
                    println!(
                        "{:>6}  {:>8} <- {:<8} {:<17} {:<8} reason",
                        "id", "into", "from", "at", "undone"
                    );
                    for m in rows {
                        println!(
                            "{:>6}  {:>8} <- {:<8} {:<17} {:<8} {}",
                            m.id,
                            m.into_citizen_id,
                            m.from_citizen_id,
                            m.at.format("%Y-%m-%d %H:%M"),
                            if m.undone_at.is_some() { "yes" } else { "no" },
                            m.reason
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("cannot read merges: {e}")),
            }
        }
        CitizenCommand::Unmerge { id, operator } => {
            let operator = operator
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            let result = async {
                let txn = store.begin_write().await?;
                let done = crate::identity::unmerge(
                    &*txn,
                    id,
                    &format!("operator:{operator}"),
                    chrono::Utc::now(),
                )
                .await?;
                txn.commit().await?;
                Ok::<_, sea_orm::DbErr>(done)
            }
            .await;
            match result {
                Ok(true) => {
                    println!("merge {id} undone; these records will not be merged again");
                    ExitCode::SUCCESS
                }
                Ok(false) => fail(format!(
                    "no merge {id} to undo (see `satupintu citizen merges`)"
                )),
                Err(e) => fail(format!("cannot undo the merge: {e}")),
            }
        }
    }
}

//! `satupintu complaint`: an operator looks at a complaint and changes its
//! status with a reason; the reporters are told by the running gateway.

use super::{connect, fail};
use crate::complaint::Status;
use crate::config::Config;
use crate::notify::Notifier;
use crate::status::{apply, Change};
use crate::store::complaints::{by_tracking_code, timeline};
use adapters::TrackingCode;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ComplaintCommand {
    /// Show a complaint and its timeline.
    Show {
        /// Tracking code.
        code: String,
    },
    /// Set a complaint's status, with the reason reporters will read.
    Status {
        /// Tracking code.
        code: String,
        /// received, forwarded, verified, assigned, in_progress, resolved,
        /// closed, duplicate or rejected.
        status: String,
        /// The reason or answer (required).
        #[arg(long)]
        note: String,
        /// Who is making the change (default: $USER).
        #[arg(long)]
        operator: Option<String>,
    },
    /// Undo a duplicate link: the complaint is routed and delivered on its own.
    Unlink {
        /// Tracking code of the linked complaint.
        code: String,
        /// Who is making the change (default: $USER).
        #[arg(long)]
        operator: Option<String>,
    },
    /// Link a missed duplicate to the first report of the same problem.
    Link {
        /// Tracking code of the later report.
        code: String,
        /// Tracking code of the first report.
        #[arg(long)]
        to: String,
        /// Who is making the change (default: $USER).
        #[arg(long)]
        operator: Option<String>,
    },
}

pub async fn run(config: &Config, cmd: ComplaintCommand) -> ExitCode {
    let Some(store) = connect(config).await else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = store.migrate().await {
        return fail(format!("migration failed: {e}"));
    }
    let code = match cmd {
        ComplaintCommand::Unlink { code, operator } => {
            return super::duplicates::unlink(config, &store, &code, operator).await
        }
        ComplaintCommand::Link { code, to, operator } => {
            return super::duplicates::link(&store, &code, &to, operator).await
        }
        ComplaintCommand::Show { ref code } | ComplaintCommand::Status { ref code, .. } => {
            code.clone()
        }
    };
    let Ok(code) = TrackingCode::parse(&code) else {
        return fail(format!("`{code}` is not a valid tracking code"));
    };
    let c = match by_tracking_code(store.db(), code.as_str()).await {
        Ok(Some(c)) => c,
        Ok(None) => return fail(format!("no complaint with tracking code {code}")),
        Err(e) => return fail(format!("cannot read the complaint: {e}")),
    };
    match cmd {
        ComplaintCommand::Show { .. } => {
            println!(
                "{}  {}  {}  via {} ({})",
                c.tracking_code, c.status, c.created_at, c.channel, c.channel_account
            );
            if let Some(title) = &c.title {
                println!("{title}");
            }
            println!("{}\n", c.body);
            match timeline(store.db(), c.id).await {
                Ok(events) => {
                    for e in events {
                        let change = match (&e.from_status, &e.to_status) {
                            (Some(f), Some(t)) => format!(" {f} -> {t}"),
                            (None, Some(t)) => format!(" -> {t}"),
                            _ => String::new(),
                        };
                        println!(
                            "{}  {:<22} {}{}  {}",
                            e.at.format("%Y-%m-%d %H:%M"),
                            e.actor,
                            e.kind,
                            change,
                            e.note.unwrap_or_default()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("cannot read the timeline: {e}")),
            }
        }
        ComplaintCommand::Status {
            status,
            note,
            operator,
            ..
        } => {
            let Ok(to) = status.parse::<Status>() else {
                return fail(format!(
                    "unknown status `{status}` (one of: {})",
                    Status::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if note.trim().is_empty() {
                return fail("--note must say why".into());
            }
            let operator = operator
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "cli".into());
            let actor = format!("operator:{operator}");
            let notifier = Notifier {
                city: config.city.name.clone(),
                public_url: config.server.public_url.clone(),
                language: config.notify.language,
                fallback: config.notify.fallback.clone(),
            };
            let sla = match config.sla.build(&config.city) {
                Ok(sla) => sla,
                Err(e) => return fail(format!("invalid configuration: {e}")),
            };
            let result = async {
                let txn = store.begin_write().await?;
                let change = Change {
                    to,
                    actor: &actor,
                    note: Some(note.trim().to_string()),
                    kind: "status",
                    except_citizen: None,
                    notify: true,
                };
                let changed = apply(&*txn, &notifier, &sla, &c, change, chrono::Utc::now()).await?;
                txn.commit().await?;
                Ok::<_, sea_orm::DbErr>(changed)
            }
            .await;
            match result {
                Ok(true) => {
                    println!(
                        "{} is now {}; reporters are told by the running gateway",
                        c.tracking_code, to
                    );
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    println!("{} already is {}", c.tracking_code, to);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("cannot change the status: {e}")),
            }
        }
        ComplaintCommand::Unlink { .. } | ComplaintCommand::Link { .. } => {
            unreachable!("answered above")
        }
    }
}

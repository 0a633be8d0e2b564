//! The `satupintu` command line: serve, migrate, check configuration,
//! check and try routing rules, and handle dead-lettered deliveries.

mod rules;

use crate::config::{Config, LogFormat};
use crate::startup::{shutdown_signal, Application};
use crate::store::entity::outbox as outbox_row;
use crate::store::{complaints, outbox, Store};
use clap::{Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "satupintu",
    version,
    about = "One door for every citizen complaint"
)]
pub struct Cli {
    /// Configuration file (default: config/satupintu.toml when present).
    #[arg(long, global = true, env = "SATUPINTU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway: HTTP server and delivery worker.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "SATUPINTU_LISTEN")]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Outbox (delivery queue) commands.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Routing rules: check a file, try it on messages, measure it.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration (and its secrets) without starting.
    Check,
}

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

pub async fn run(cli: Cli) -> ExitCode {
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("satupintu: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(format) = cli.log_format {
        config.log.format = format;
    }
    crate::telemetry::init(config.log.format, &config.log.level);
    match cli.command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            serve(config).await
        }
        Command::Migrate => match connect(&config).await {
            Some(store) => match store.migrate().await {
                Ok(()) => {
                    println!("migrations applied");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("migration failed: {e}")),
            },
            None => ExitCode::FAILURE,
        },
        Command::Config(ConfigCommand::Check) => check(&config),
        Command::Outbox(cmd) => outbox_command(&config, cmd).await,
        Command::Rules(cmd) => rules::run(&config, cmd),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("satupintu: {message}");
    ExitCode::FAILURE
}

async fn connect(config: &Config) -> Option<Store> {
    match Store::connect(&config.database.url, config.database.max_connections).await {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("satupintu: cannot open the database: {e}");
            None
        }
    }
}

async fn serve(config: Config) -> ExitCode {
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => return fail(format!("cannot start: {e}")),
    };
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    match app.run(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("server error: {e}")),
    }
}

fn check(config: &Config) -> ExitCode {
    let mut problems = Vec::new();
    for (name, dest) in &config.destinations {
        let secret = match dest {
            crate::config::DestinationConfig::Lapor(l) => {
                Some((format!("destinations.{name}.token"), &l.token))
            }
            crate::config::DestinationConfig::Webhook(w) => {
                Some((format!("destinations.{name}.secret"), &w.secret))
            }
            crate::config::DestinationConfig::AgencyQueue { .. } => None,
        };
        if let Some((key, secret)) = secret {
            if let Err(e) = secret.resolve(&key) {
                problems.push(e);
            }
        }
    }
    for (id, agency) in &config.agencies {
        if let Some(token) = &agency.token {
            if let Err(e) = token.resolve(&format!("agencies.{id}.token")) {
                problems.push(e);
            }
        }
    }
    let routing = crate::routing::RoutingSource::from_config(config);
    let rules = match routing.load() {
        Ok(Some(rules)) => format!("{} routing rule(s)", rules.rules().len()),
        Ok(None) => format!(
            "no rules file at {}: every complaint to `{}`",
            routing.rules_file.display(),
            routing.default_destination
        ),
        Err(e) => {
            problems.extend(e.errors.iter().map(|p| p.to_string()));
            String::new()
        }
    };
    if problems.is_empty() {
        println!(
            "configuration is valid: {} destination(s), {} agency(ies), {rules}, database {}",
            config.destinations.len(),
            config.agencies.len(),
            if config.database.url.starts_with("sqlite") {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
        ExitCode::SUCCESS
    } else {
        for p in problems {
            eprintln!("satupintu: invalid configuration: {p}");
        }
        ExitCode::from(2)
    }
}

async fn outbox_command(config: &Config, cmd: OutboxCommand) -> ExitCode {
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
                let row = outbox::retry_dead(&txn, id, now).await?;
                if let Some(row) = &row {
                    complaints::add_event(
                        &txn,
                        complaints::NewEvent {
                            complaint_id: row.complaint_id,
                            actor: &actor,
                            kind: "delivery_retry",
                            from_status: None,
                            to_status: None,
                            note: Some(format!(
                                "outbox row {id} to {} put back in line",
                                row.destination
                            )),
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

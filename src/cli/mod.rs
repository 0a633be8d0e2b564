//! The `satupintu` command line: serve, migrate, check configuration,
//! handle dead-lettered deliveries, change a complaint's status, report
//! on SLA compliance, and check and try routing rules.

use crate::config::{Config, LogFormat};
use crate::startup::{shutdown_signal, Application};
use crate::store::Store;
mod citizen;
mod complaint;
mod dedup;
mod duplicates;
mod outbox;
mod report;
mod rules;

pub use citizen::CitizenCommand;
pub use complaint::ComplaintCommand;
pub use outbox::OutboxCommand;
pub use report::ReportCommand;

use clap::{Parser, Subcommand};
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
    /// Copy a SQLite deployment's database and its intake journal into a
    /// directory, consistently, while the gateway runs.
    Backup {
        /// Directory for the copies (created if needed; copies already
        /// there are not overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Configuration commands.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Outbox (delivery queue) commands.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Complaint commands for operators.
    #[command(subcommand)]
    Complaint(ComplaintCommand),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Citizen records: merges and their undoing.
    #[command(subcommand)]
    Citizen(CitizenCommand),
    /// Duplicate detection: measure it on labelled pairs.
    #[command(subcommand)]
    Dedup(dedup::DedupCommand),
    /// Routing rules: check a file, try it on messages, measure it.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration (and its secrets) without starting.
    Check,
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
        Command::Backup { to } => match connect(&config).await {
            Some(store) => match crate::store::backup::sqlite(&store, &to).await {
                Ok(backup) => {
                    println!("database copied to {}", backup.database.display());
                    match backup.journal {
                        Some(journal) => {
                            println!("intake journal copied to {}", journal.display())
                        }
                        None => println!("no intake journal yet: nothing to copy"),
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("backup failed: {e}")),
            },
            None => ExitCode::FAILURE,
        },
        Command::Config(ConfigCommand::Check) => check(&config),
        Command::Outbox(cmd) => outbox::run(&config, cmd).await,
        Command::Complaint(cmd) => complaint::run(&config, cmd).await,
        Command::Report(cmd) => report::run(&config, cmd).await,
        Command::Citizen(cmd) => citizen::run(&config, cmd).await,
        Command::Rules(cmd) => rules::run(&config, cmd),
        Command::Dedup(cmd) => dedup::run(&config, cmd),
    }
}

pub(crate) fn fail(message: String) -> ExitCode {
    eprintln!("satupintu: {message}");
    ExitCode::FAILURE
}

pub(crate) async fn connect(config: &Config) -> Option<Store> {
    match Store::connect(&config.database.url, config.database.max_connections)
        .await
        .map(|s| s.with_group_commit(config.database.group_commit()))
    {
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
    // Every secret start-up reads, so that a missing one shows here and
    // not first when the gateway starts.
    let (secrets, mut problems) = match crate::config::Secrets::read(config.secrets()) {
        Ok(secrets) => (secrets.len(), Vec::new()),
        Err(problems) => (0, problems),
    };
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
            "configuration is valid: {} destination(s), {} agency(ies), {} secret(s) read, {rules}, database {}",
            config.destinations.len(),
            config.agencies.len(),
            secrets,
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

//! `satupintu report sla`: per-agency compliance with the service standard.

use super::{connect, fail};
use crate::config::Config;
use crate::sla::report;
use chrono::{NaiveDate, TimeZone, Utc};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// SLA compliance per agency for clocks started in [--from, --to).
    Sla {
        /// First day (YYYY-MM-DD, the city's time zone).
        #[arg(long)]
        from: NaiveDate,
        /// Day after the last (YYYY-MM-DD).
        #[arg(long)]
        to: NaiveDate,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

pub async fn run(config: &Config, cmd: ReportCommand) -> ExitCode {
    let ReportCommand::Sla { from, to, csv } = cmd;
    if to <= from {
        return fail("--to must be after --from".into());
    }
    let sla = match config.sla.build(&config.city) {
        Ok(s) => s,
        Err(e) => return fail(format!("invalid configuration: {e}")),
    };
    let offset = match config.city.offset() {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let day = |d: NaiveDate| {
        offset
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (day(from), day(to)) else {
        return fail("dates out of range".into());
    };
    let Some(store) = connect(config).await else {
        return ExitCode::FAILURE;
    };
    if let Err(e) = store.migrate().await {
        return fail(format!("migration failed: {e}"));
    }
    match report::compute(store.db(), &sla, from, to, Utc::now()).await {
        Ok(rows) => {
            print!(
                "{}",
                if csv {
                    report::csv(&rows)
                } else {
                    report::table(&rows)
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("cannot compute the report: {e}")),
    }
}

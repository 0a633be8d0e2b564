//! `satupintu complaint link|unlink`: an operator corrects duplicate
//! detection. Parses arguments and prints; the changes themselves are
//! `intake::relink`'s.

use super::fail;
use crate::config::Config;
use crate::intake::relink::{self, RelinkError};
use crate::routing::{Routing, RoutingSource};
use crate::store::complaints::by_tracking_code;
use crate::store::entity::complaint;
use crate::store::Store;
use adapters::TrackingCode;
use std::process::ExitCode;

async fn find(store: &Store, code: &str) -> Result<complaint::Model, ExitCode> {
    let Ok(code) = TrackingCode::parse(code) else {
        return Err(fail(format!("`{code}` is not a valid tracking code")));
    };
    match by_tracking_code(store.db(), code.as_str()).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(fail(format!("no complaint with tracking code {code}"))),
        Err(e) => Err(fail(format!("cannot read the complaint: {e}"))),
    }
}

fn operator(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "cli".into())
}

fn report(result: Result<(), RelinkError>, done: String) -> ExitCode {
    match result {
        Ok(()) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}

pub async fn unlink(
    config: &Config,
    store: &Store,
    code: &str,
    operator_name: Option<String>,
) -> ExitCode {
    let c = match find(store, code).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let routing = match Routing::load(
        RoutingSource::from_config(config),
        crate::metrics::Metrics::new(),
    ) {
        Ok(r) => r,
        Err(e) => return fail(format!("routing rules:\n{e}")),
    };
    let sla = match config.sla.build(&config.city) {
        Ok(sla) => sla,
        Err(e) => return fail(format!("invalid configuration: {e}")),
    };
    let result = relink::unlink(store, &routing, &sla, &c, &operator(operator_name)).await;
    report(
        result,
        format!(
            "{} is its own complaint again and queued for delivery",
            c.tracking_code
        ),
    )
}

pub async fn link(store: &Store, code: &str, to: &str, operator_name: Option<String>) -> ExitCode {
    let (dup, first) = match (find(store, code).await, find(store, to).await) {
        (Ok(d), Ok(f)) => (d, f),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let result = relink::link(store, &dup, &first, &operator(operator_name)).await;
    report(
        result,
        format!(
            "{} now joins {} (ikut melapor)",
            dup.tracking_code, first.tracking_code
        ),
    )
}

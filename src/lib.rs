//! satupintu: one door for every citizen complaint. The gateway takes
//! messages in from every channel adapter, stores them as complaints,
//! routes them and delivers each once to SP4N-LAPOR! or an agency queue.

pub mod areas;
pub mod channels;
pub mod cli;
pub mod complaint;
pub mod config;
pub mod dedup;
pub mod dispatch;
pub mod http;
pub mod identity;
pub mod intake;
pub mod metrics;
pub mod normalize;
pub mod notify;
pub mod routing;
pub mod sla;
pub mod startup;
pub mod status;
pub mod store;
pub mod telemetry;

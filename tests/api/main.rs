//! Integration tests: the real application on a random port (or the real
//! binary as a child process), a stand-in LAPOR!, and every test on both
//! SQLite and PostgreSQL.

mod email_peers;
mod email_sink;
mod email_tls;
mod helpers;
mod lapor_standin;

mod bad_input;
mod conversation;
mod crash_recovery;
mod delivery;
mod email_inbound;
mod email_outbound;
mod email_restart;
mod ops;
mod pages;
mod queues;
mod submit;

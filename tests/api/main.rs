//! Integration tests: the real application on a random port (or the real
//! binary as a child process), a stand-in LAPOR!, and every test on both
//! SQLite and PostgreSQL.

mod helpers;
mod kannel;
mod lapor_standin;

mod bad_input;
mod crash_recovery;
mod delivery;
mod ops;
mod pages;
mod queues;
mod sms_kannel;
mod sms_mapped;
mod sms_secrets;
mod sms_smssync;
mod sms_standin;
mod sms_support;
mod sms_twilio;
mod submit;

//! Integration tests: the real application on a random port (or the real
//! binary as a child process), a stand-in LAPOR!, and every test on both
//! SQLite and PostgreSQL.

mod email_peers;
mod email_sink;
mod email_tls;
mod graph_standin;
mod helpers;
mod kannel;
mod lapor_standin;
mod sms_standin;
mod sms_support;
mod telegram_standin;
mod whatsapp_support;

mod bad_input;
mod config_check;
mod conversation;
mod crash_recovery;
mod dedup;
mod dedup_sync;
mod delivery;
mod email_idle;
mod email_inbound;
mod email_outbound;
mod email_restart;
mod group_commit;
mod intake_batch;
mod intake_journal;
mod ops;
mod pages;
mod postgres_sockets;
mod query_plans;
mod queues;
mod routing;
mod routing_reload;
mod rules_cli;
mod schema_migrations;
mod script;
mod sla;
mod sms_kannel;
mod sms_mapped;
mod sms_secrets;
mod sms_smssync;
mod sms_twilio;
mod status_fallback;
mod status_loop;
mod submit;
mod telegram;
mod telegram_chat;
mod wal_checkpoint;
mod wal_sync;
mod whatsapp;
mod whatsapp_failures;
mod whatsapp_media;
mod whatsapp_replies;
mod whatsapp_usernames;

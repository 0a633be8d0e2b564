//! The SQLite writer thread. Every statement of a write transaction is a
//! round trip to sqlx's SQLite worker thread, and the writer slot is held
//! from the first to the commit. On the gateway's shared runtime each of
//! those round trips ends with the writing task queued behind every other
//! ready task (requests being parsed, routed, answered), so the slot is
//! held many times longer than its statements take. Write transactions
//! therefore run on a runtime of their own, one thread that does nothing
//! else: intake's batch writer runs here, and callers do their pure
//! computation first and hand only the statements over.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Handle};

fn handle() -> &'static Handle {
    static WRITER: OnceLock<Handle> = OnceLock::new();
    WRITER.get_or_init(|| {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .thread_name("sqlite-writer")
            .build()
            .expect("the writer runtime starts");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("the writer thread starts");
        handle
    })
}

/// Starts `work` on the writer thread without waiting for it.
pub fn spawn<F>(work: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    handle().spawn(work);
}

//! Reloading rules while the gateway runs: on a change to the rules file
//! or the areas directory (debounced) and on SIGHUP. The task only asks
//! [`Routing::reload`]; it never edits or judges a rule itself.

use super::Routing;
use notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// Watches the rules file's directory and the areas directory; every
/// relevant change sends one wake-up on `tx`. `None` when nothing can be
/// watched (SIGHUP still works).
fn watch_files(
    routing: &Routing,
    debounce: Duration,
    tx: mpsc::Sender<()>,
) -> Option<notify_debouncer_mini::Debouncer<notify::RecommendedWatcher>> {
    let source = routing.source()?;
    let rules_dir = absolute(
        source
            .rules_file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    );
    let rules_name = source.rules_file.file_name()?.to_os_string();
    let areas_dir = absolute(&source.areas_dir);
    let (rules_dir_c, areas_dir_c) = (rules_dir.clone(), areas_dir.clone());
    let handler = move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let relevant = events.iter().any(|e| {
            let in_rules_dir = e.path.parent() == Some(rules_dir_c.as_path())
                && e.path.file_name() == Some(rules_name.as_os_str());
            in_rules_dir || e.path.starts_with(&areas_dir_c)
        });
        if relevant {
            // A full channel already holds a wake-up: one reload covers both.
            let _ = tx.try_send(());
        }
    };
    let mut debouncer = match new_debouncer(debounce, handler) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the rules file; reload with SIGHUP");
            return None;
        }
    };
    let mut watched = 0;
    for dir in [&rules_dir, &areas_dir] {
        match debouncer.watcher().watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => watched += 1,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot watch for rule changes")
            }
        }
    }
    (watched > 0).then_some(debouncer)
}

#[cfg(unix)]
async fn hangup(signal: &mut Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Runs until `shutdown`: reloads the rules on file changes (when `watch`)
/// and on SIGHUP.
pub async fn run(
    routing: Arc<Routing>,
    watch: bool,
    debounce: Duration,
    shutdown: CancellationToken,
) {
    if routing.source().is_none() {
        return;
    }
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let _watcher = if watch {
        let watcher = watch_files(&routing, debounce, tx);
        // A change made before the watcher started has sent no event.
        let r = routing.clone();
        let _ = tokio::task::spawn_blocking(move || r.reload_if_changed()).await;
        watcher
    } else {
        None
    };
    #[cfg(unix)]
    let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP");
            None
        }
    };
    loop {
        #[cfg(unix)]
        let why = tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(()) = rx.recv() => "file change",
            _ = hangup(&mut hup) => "SIGHUP",
        };
        #[cfg(not(unix))]
        let why = tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(()) = rx.recv() => "file change",
        };
        tracing::debug!(trigger = why, "looking at the routing rules again");
        let r = routing.clone();
        // A SIGHUP always reloads; a file event only when the files differ
        // from the last ones read (editors and readers make spurious events).
        let force = why == "SIGHUP";
        // Reading and compiling is blocking work; keep it off the runtime.
        let job = move || {
            if force {
                r.reload()
            } else {
                r.reload_if_changed()
            }
        };
        if let Err(e) = tokio::task::spawn_blocking(job).await {
            tracing::error!(error = %e, "rules reload task failed");
        }
    }
}

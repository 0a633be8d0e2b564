//! Building the running gateway from configuration: database, migrations,
//! destinations, intake, dispatcher and HTTP server. Tests call the same
//! code with a random port and a fresh database.

use crate::channels::{self, ChannelContext};
use crate::config::{Config, DestinationConfig, Secrets};
use crate::dispatch::lapor::Lapor;
use crate::dispatch::{Destinations, Dispatcher};
use crate::http::{self, queues, AppState};
use crate::intake::attachments::AttachmentStore;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::routing::{Routing, RoutingSource};
use crate::status::lapor_poll::LaporPoller;
use crate::store::Store;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    dispatcher: Option<Dispatcher>,
    routing: Arc<Routing>,
    grace: Duration,
    channel_routes: axum::Router,
    workers: Vec<channels::Worker>,
}

/// Hashes of the agencies' queue tokens, read from their secrets.
fn agency_tokens(config: &Config, secrets: &Secrets) -> Result<queues::AgencyTokens, String> {
    let mut tokens = queues::AgencyTokens::new();
    for (id, agency) in &config.agencies {
        if agency.token.is_some() {
            let token = secrets.get(&format!("agencies.{id}.token"))?;
            tokens.insert(id.clone(), queues::token_hash(token.expose()));
        } else if let Some(hex_hash) = &agency.token_sha256 {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(hex_hash, &mut hash)
                .map_err(|e| format!("agencies.{id}.token_sha256: {e}"))?;
            tokens.insert(id.clone(), hash);
        } else {
            tracing::info!(agency = %id, "no queue token configured; the queue API is closed to this agency");
        }
    }
    Ok(tokens)
}

/// A status poller (and callback handler) per LAPOR! destination.
fn lapor_pollers(
    config: &Config,
    store: &Store,
    notifier: &Arc<Notifier>,
    sla: &Arc<crate::sla::Sla>,
    secrets: &Secrets,
) -> Result<BTreeMap<String, Arc<LaporPoller>>, String> {
    let mut pollers = BTreeMap::new();
    for (name, dest) in &config.destinations {
        let DestinationConfig::Lapor(l) = dest else {
            continue;
        };
        let token = secrets.get(&format!("destinations.{name}.token"))?;
        let callback_token = match &l.callback_token {
            Some(_) => Some(secrets.get(&format!("destinations.{name}.callback_token"))?),
            None => None,
        };
        let poller = LaporPoller {
            destination: name.clone(),
            client: Arc::new(Lapor::new(l, token)?),
            config: l.status.clone(),
            callback_token,
            store: store.clone(),
            notifier: notifier.clone(),
            sla: sla.clone(),
        };
        pollers.insert(name.clone(), Arc::new(poller));
    }
    Ok(pollers)
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let secrets =
            Secrets::read(config.secrets()).map_err(|e| StartError::Config(e.join("\n")))?;
        let store = Store::connect(&config.database.url, config.database.max_connections)
            .await
            .map(|s| s.with_group_commit(config.database.group_commit()))?;
        store.migrate().await?;
        let metrics = Metrics::new();
        let wakeup = Arc::new(Notify::new());
        let mut destinations =
            Destinations::from_config(&config, &store, &secrets).map_err(StartError::Config)?;
        let tokens = agency_tokens(&config, &secrets).map_err(StartError::Config)?;
        let notifier = Arc::new(Notifier {
            city: config.city.name.clone(),
            public_url: config.server.public_url.clone(),
            language: config.notify.language,
            fallback: config.notify.fallback.clone(),
        });
        let sla = Arc::new(config.sla.build(&config.city).map_err(StartError::Config)?);
        let routing = Arc::new(
            Routing::load(RoutingSource::from_config(&config), metrics.clone())
                .map_err(|e| StartError::Config(format!("routing rules:\n{e}")))?,
        );
        let dedup = Arc::new(crate::dedup::Dedup::new(config.dedup.clone()));
        // Changes from here on are read again by the index sync.
        let built_from = chrono::Utc::now();
        let indexed = dedup.rebuild(store.db()).await?;
        metrics.set_dedup_indexed(indexed);
        tracing::info!(indexed, "duplicate index built");
        let index_sync = config.dedup.enabled.then(|| {
            crate::dedup::sync::IndexSync::new(
                store.clone(),
                dedup.clone(),
                metrics.clone(),
                Duration::from_secs(config.dedup.sync_interval_secs.max(1)),
                built_from,
            )
        });
        let intake = Intake::new(
            store.clone(),
            AttachmentStore::new(&config.attachments.dir),
            routing.clone(),
            metrics.clone(),
            wakeup.clone(),
            notifier.clone(),
            sla.clone(),
            chrono::Duration::minutes(config.intake.followup_window_minutes.into()),
        )
        .fetch_media_for(config.channels.media_channels())
        .with_dedup(dedup);
        // On SQLite the journal is a file of its own: one that cannot be
        // opened stops the start, not the first message.
        intake.open_journal()?;
        let lapor = lapor_pollers(&config, &store, &notifier, &sla, &secrets)
            .map_err(StartError::Config)?;
        let channels = channels::build(
            &config.channels,
            &ChannelContext {
                intake: intake.clone(),
                store: store.clone(),
                metrics: metrics.clone(),
                notifier: notifier.clone(),
                secrets,
            },
        )
        .map_err(StartError::Config)?;
        for sender in &channels.senders {
            destinations.add_reply_sender(sender.clone());
        }
        for (name, destination) in &channels.destinations {
            destinations.add(name.clone(), destination.clone());
        }
        let destinations = Arc::new(destinations);
        let dispatcher = config.dispatch.enabled.then(|| {
            Dispatcher::new(
                store.clone(),
                destinations,
                config.dispatch.clone(),
                metrics.clone(),
                wakeup.clone(),
                notifier.clone(),
                sla.clone(),
            )
        });
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let grace = Duration::from_secs(config.server.shutdown_grace_secs);
        let mut workers = channels.workers;
        for poller in lapor.values().filter(|p| p.polls()) {
            let poller = poller.clone();
            workers.push(Box::new(move |token| {
                Box::pin(async move { poller.run(token).await })
            }));
        }
        let pipeline = intake.pipeline();
        workers.push(Box::new(move |token| {
            Box::pin(async move { pipeline.run(token).await })
        }));
        if let Some(sync) = index_sync {
            workers.push(Box::new(move |token| {
                Box::pin(async move { sync.run(token).await })
            }));
        }
        if config.sla.enabled {
            let watcher = Arc::new(crate::sla::watch::Watcher {
                store: store.clone(),
                sla: sla.clone(),
                notifier: notifier.clone(),
                coordinator: config.sla.coordinator.clone(),
                warn_before: chrono::Duration::hours(config.sla.warn_hours.into()),
                interval: Duration::from_secs(config.sla.check_interval_secs.max(1)),
            });
            workers.push(Box::new(move |token| {
                Box::pin(async move { watcher.run(token).await })
            }));
        }
        let state = AppState::new(http::Shared {
            config: Arc::new(config),
            store,
            intake,
            metrics,
            agency_tokens: Arc::new(tokens),
            notifier: notifier.clone(),
            sla: sla.clone(),
            routing: routing.clone(),
            dispatch_wakeup: wakeup,
            lapor: Arc::new(lapor),
        });
        Ok(Application {
            listener,
            state,
            dispatcher,
            routing,
            grace,
            channel_routes: channels.routes,
            workers,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// The intake pipeline, for callers that hold messages already parsed.
    pub fn intake(&self) -> Intake {
        self.state.intake.clone()
    }

    /// The routing rules in force, to reload or inspect them.
    pub fn routing(&self) -> Arc<Routing> {
        self.routing.clone()
    }

    /// Serves until `shutdown` is cancelled; then finishes in-flight
    /// requests and deliveries (releasing rows not finished in time).
    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let addr = self.local_addr();
        let tasks = TaskTracker::new();
        let dispatcher = self.dispatcher.map(|d| {
            let token = shutdown.clone();
            let grace = self.grace;
            tasks.spawn(async move { d.run(token, grace).await })
        });
        let workers = TaskTracker::new();
        for worker in self.workers {
            workers.spawn(worker(shutdown.clone()));
        }
        workers.close();
        let routing_config = &self.state.config.routing;
        tasks.spawn(crate::routing::reload::run(
            self.routing.clone(),
            routing_config.watch,
            Duration::from_millis(routing_config.reload_debounce_ms),
            shutdown.clone(),
        ));
        tasks.close();
        let store = self.state.store.clone();
        tracing::info!(%addr, "satupintu listening");
        let app = http::router(self.state, self.channel_routes);
        // Webhooks with an IP allow-list need the caller's address.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await;
        shutdown.cancel();
        workers.wait().await;
        if let Some(handle) = dispatcher {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "dispatcher task failed");
            }
        }
        tasks.wait().await;
        if let Err(e) = store.close().await {
            tracing::warn!(error = %e, "closing the database");
        }
        tracing::info!("satupintu stopped");
        result
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}

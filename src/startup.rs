//! Building the running gateway from configuration: database, migrations,
//! destinations, intake, dispatcher and HTTP server. Tests call the same
//! code with a random port and a fresh database.

use crate::channels::{self, ChannelContext};
use crate::config::Config;
use crate::dispatch::{Destinations, Dispatcher};
use crate::http::{self, queues, AppState};
use crate::intake::attachments::AttachmentStore;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::notify::Notifier;
use crate::routing::Routing;
use crate::store::Store;
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
    grace: Duration,
    channel_routes: axum::Router,
    workers: Vec<channels::Worker>,
}

/// Hashes of the agencies' queue tokens, read from their secrets.
fn agency_tokens(config: &Config) -> Result<queues::AgencyTokens, String> {
    let mut tokens = queues::AgencyTokens::new();
    for (id, agency) in &config.agencies {
        if let Some(secret) = &agency.token {
            let token = secret.resolve(&format!("agencies.{id}.token"))?;
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

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let store = Store::connect(&config.database.url, config.database.max_connections).await?;
        store.migrate().await?;
        let metrics = Metrics::new();
        let wakeup = Arc::new(Notify::new());
        let mut destinations =
            Destinations::from_config(&config, &store).map_err(StartError::Config)?;
        let tokens = agency_tokens(&config).map_err(StartError::Config)?;
        let routing = Arc::new(Routing::new(config.dispatch.default_destination.clone()));
        let intake = Intake::new(
            store.clone(),
            AttachmentStore::new(&config.attachments.dir),
            routing,
            metrics.clone(),
            wakeup.clone(),
            Arc::new(Notifier {
                city: config.city.name.clone(),
                public_url: config.server.public_url.clone(),
                language: config.notify.language,
            }),
        );
        let channels = channels::build(
            &config.channels,
            &ChannelContext {
                intake: intake.clone(),
                store: store.clone(),
                metrics: metrics.clone(),
            },
        )
        .map_err(StartError::Config)?;
        for sender in &channels.senders {
            destinations.add_reply_sender(sender.clone());
        }
        let destinations = Arc::new(destinations);
        let dispatcher = config.dispatch.enabled.then(|| {
            Dispatcher::new(
                store.clone(),
                destinations,
                config.dispatch.clone(),
                metrics.clone(),
                wakeup,
            )
        });
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let grace = Duration::from_secs(config.server.shutdown_grace_secs);
        let state = AppState {
            config: Arc::new(config),
            store,
            intake,
            metrics,
            agency_tokens: Arc::new(tokens),
        };
        Ok(Application {
            listener,
            state,
            dispatcher,
            grace,
            channel_routes: channels.routes,
            workers: channels.workers,
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

    /// Serves until `shutdown` is cancelled; then finishes in-flight
    /// requests and deliveries (releasing rows not finished in time).
    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let addr = self.local_addr();
        let dispatcher = self.dispatcher.map(|d| {
            let token = shutdown.clone();
            let grace = self.grace;
            tokio::spawn(async move { d.run(token, grace).await })
        });
        let workers = TaskTracker::new();
        for worker in self.workers {
            workers.spawn(worker(shutdown.clone()));
        }
        workers.close();
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

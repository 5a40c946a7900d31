//! A shard's listener: accepts connections and runs each one
//! ([`crate::connection`]) with the shard's [`RequestHandler`].
//!
//! Every shard binds the same address (glommio sets SO_REUSEPORT and the
//! kernel spreads connections); call [`crate::ensure_port_free`] once,
//! before the shards start, to refuse a port another process holds.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::future;
use glommio::net::TcpListener;

use crate::connection::{run_connection, ConnectionContext, ConnectionId, ConnectionLimits};
use crate::event::Event;
use crate::handler::RequestHandler;
use crate::shutdown::{ShutdownFlag, SHUTDOWN_POLL_INTERVAL_MS};
use crate::NetError;

/// Pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_RETRY_DELAY_MS: u64 = 20;
/// How often a stopping server checks whether its connections are gone.
const STOP_POLL_INTERVAL_MS: u64 = 10;

/// What one shard's server listens on and its bounds.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (a concrete port; see [`crate::ensure_port_free`]).
    pub listen_addr: SocketAddr,
    /// Connections this shard keeps open at once; more are closed at accept.
    pub connections_max: usize,
    /// Bounds applied to each connection.
    pub limits: ConnectionLimits,
    /// How long a graceful stop waits for connections to flush and close.
    pub stop_timeout: Duration,
}

impl ServerConfig {
    /// Defaults for `listen_addr`: 10,000 connections, default limits, 5 s stop.
    pub fn new(listen_addr: SocketAddr) -> Self {
        Self {
            listen_addr,
            connections_max: 10_000,
            limits: ConnectionLimits::default(),
            stop_timeout: Duration::from_secs(5),
        }
    }
}

/// One shard's listening server; [`Server::serve`] runs it to completion.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    connections: Rc<RefCell<HashMap<ConnectionId, ConnectionContext>>>,
}

impl Server {
    /// Binds the listener. Must run inside a glommio executor.
    ///
    /// # Errors
    /// [`NetError::Bind`] if the socket cannot be bound.
    pub fn bind(config: ServerConfig) -> Result<Self, NetError> {
        let addr = config.listen_addr;
        let listener = TcpListener::bind(addr).map_err(|err| NetError::Bind {
            addr,
            source: err.into(),
        })?;
        let local_addr = listener.local_addr().map_err(|err| NetError::Bind {
            addr,
            source: err.into(),
        })?;
        assert!(config.connections_max > 0);
        let connections = Rc::new(RefCell::new(HashMap::new()));
        Ok(Self {
            listener,
            local_addr,
            config,
            connections,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Accepts and serves connections until `shutdown` triggers, then stops
    /// accepting, closes every connection (each flushes what it queued) and
    /// returns once they are gone or `stop_timeout` passed.
    pub async fn serve<H: RequestHandler>(self, handler: Rc<H>, shutdown: ShutdownFlag) {
        let stopping = Rc::new(Event::new());
        let watcher = glommio::spawn_local({
            let stopping = stopping.clone();
            async move {
                shutdown
                    .wait(Duration::from_millis(SHUTDOWN_POLL_INTERVAL_MS))
                    .await;
                stopping.set();
            }
        });
        log::info!("listening on {}", self.local_addr);
        loop {
            let accepted = future::or(async { Some(self.listener.accept().await) }, async {
                stopping.wait().await;
                None
            })
            .await;
            match accepted {
                None => break,
                Some(Ok(stream)) => self.start_connection(stream, &handler),
                Some(Err(err)) => {
                    log::warn!("accept on {} failed: {err}", self.local_addr);
                    glommio::timer::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                }
            }
        }
        drop(watcher);
        let Server {
            listener,
            config,
            connections,
            local_addr,
        } = self;
        drop(listener);
        stop_connections(&connections, config.stop_timeout).await;
        log::info!("stopped listening on {local_addr}");
    }

    fn start_connection<H: RequestHandler>(
        &self,
        stream: glommio::net::TcpStream,
        handler: &Rc<H>,
    ) {
        let Ok(peer) = stream.peer_addr() else {
            return; // Already gone.
        };
        let open = self.connections.borrow().len();
        if open >= self.config.connections_max {
            log::warn!(
                "refused {peer}: {open} connections open, limit {}",
                self.config.connections_max
            );
            return;
        }
        if let Err(err) = stream.set_nodelay(true) {
            log::debug!("{peer}: TCP_NODELAY: {err}");
        }
        let ctx = ConnectionContext::new(peer, &self.config.limits);
        self.connections.borrow_mut().insert(ctx.id(), ctx.clone());
        let (connections, handler, limits) = (
            self.connections.clone(),
            handler.clone(),
            self.config.limits.clone(),
        );
        glommio::spawn_local(async move {
            let id = ctx.id();
            run_connection(stream, ctx, handler, limits).await;
            connections.borrow_mut().remove(&id);
        })
        .detach();
    }
}

async fn stop_connections(
    connections: &RefCell<HashMap<ConnectionId, ConnectionContext>>,
    stop_timeout: Duration,
) {
    let open: Vec<ConnectionContext> = connections.borrow().values().cloned().collect();
    for ctx in &open {
        ctx.close();
    }
    let polls_max = stop_timeout.as_millis() / u128::from(STOP_POLL_INTERVAL_MS) + 1;
    for _ in 0..polls_max {
        if connections.borrow().is_empty() {
            return;
        }
        glommio::timer::sleep(Duration::from_millis(STOP_POLL_INTERVAL_MS)).await;
    }
    log::warn!(
        "{} connections still open after {stop_timeout:?}",
        connections.borrow().len()
    );
}

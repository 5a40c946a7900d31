//! A remoting client for one peer address: request/response matched by
//! opaque with a timeout, oneway sends, and reconnection on demand.
//!
//! Used from inside a glommio executor (broker shard 0 to reach name
//! servers, bench workers). Owned by one shard. Requests a server sends to
//! this client are answered REQUEST_CODE_NOT_SUPPORTED (oneway ones are
//! dropped) unless a handler is given with [`Client::with_handler`].

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use glommio::net::TcpStream;
use glommio::sync::Semaphore;
use thrust_core::frame::RemotingCommand;

use crate::connection::{run_connection, ConnectionContext, ConnectionLimits};
use crate::handler::{RejectAll, RequestHandler};
use crate::NetError;

/// How a [`Client`] connects.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Bound on establishing the TCP connection.
    pub connect_timeout: Duration,
    /// Bounds of the connection.
    pub limits: ConnectionLimits,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            limits: ConnectionLimits::default(),
        }
    }
}

/// A client of one peer. The connection is made on first use and made
/// again on the next use after it failed or closed.
pub struct Client<H: RequestHandler = RejectAll> {
    addr: SocketAddr,
    config: ClientConfig,
    handler: Rc<H>,
    connection: RefCell<Option<ConnectionContext>>,
    connecting: Rc<Semaphore>,
}

impl Client<RejectAll> {
    /// A client of `addr`; does not connect yet.
    pub fn new(addr: SocketAddr, config: ClientConfig) -> Self {
        Self::with_handler(addr, config, Rc::new(RejectAll))
    }
}

impl<H: RequestHandler> Client<H> {
    /// A client whose connections hand requests from the peer to `handler`.
    pub fn with_handler(addr: SocketAddr, config: ClientConfig, handler: Rc<H>) -> Self {
        Self {
            addr,
            config,
            handler,
            connection: RefCell::new(None),
            connecting: Rc::new(Semaphore::new(1)),
        }
    }

    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The open connection, connecting first if there is none (or it closed).
    ///
    /// # Errors
    /// [`NetError::Connect`] or [`NetError::ConnectTimeout`].
    pub async fn connection(&self) -> Result<ConnectionContext, NetError> {
        if let Some(ctx) = self.open_connection() {
            return Ok(ctx);
        }
        // One task connects at a time; the others then reuse its connection.
        let _permit = self
            .connecting
            .acquire_permit(1)
            .await
            .map_err(|err| NetError::Connect {
                addr: self.addr,
                source: err.into(),
            })?;
        if let Some(ctx) = self.open_connection() {
            return Ok(ctx);
        }
        let stream = TcpStream::connect_timeout(self.addr, self.config.connect_timeout)
            .await
            .map_err(|err| {
                let source = std::io::Error::from(err);
                if source.kind() == std::io::ErrorKind::TimedOut {
                    let timeout_ms = self.config.connect_timeout.as_millis();
                    let timeout_ms = u64::try_from(timeout_ms).unwrap_or(u64::MAX);
                    NetError::ConnectTimeout {
                        addr: self.addr,
                        timeout_ms,
                    }
                } else {
                    NetError::Connect {
                        addr: self.addr,
                        source,
                    }
                }
            })?;
        if let Err(err) = stream.set_nodelay(true) {
            log::debug!("{}: TCP_NODELAY: {err}", self.addr);
        }
        let ctx = ConnectionContext::new(self.addr, &self.config.limits);
        let (task_ctx, handler, limits) = (
            ctx.clone(),
            self.handler.clone(),
            self.config.limits.clone(),
        );
        glommio::spawn_local(run_connection(stream, task_ctx, handler, limits)).detach();
        *self.connection.borrow_mut() = Some(ctx.clone());
        Ok(ctx)
    }

    fn open_connection(&self) -> Option<ConnectionContext> {
        self.connection
            .borrow()
            .as_ref()
            .filter(|ctx| !ctx.is_closed())
            .cloned()
    }

    /// Sends `command` as a request and waits at most `timeout` for its
    /// response (connecting first if needed; the connect has its own bound).
    ///
    /// # Errors
    /// Those of [`Client::connection`] and [`ConnectionContext::request`].
    pub async fn request(
        &self,
        command: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, NetError> {
        let ctx = self.connection().await?;
        ctx.request(command, timeout).await
    }

    /// Sends `command` oneway (connecting first if needed).
    ///
    /// # Errors
    /// Those of [`Client::connection`] and [`ConnectionContext::send_oneway`].
    pub async fn oneway(&self, command: RemotingCommand) -> Result<(), NetError> {
        let ctx = self.connection().await?;
        ctx.send_oneway(command)
    }

    /// Closes the current connection, if any; the next use reconnects.
    pub fn close(&self) {
        if let Some(ctx) = self.connection.borrow_mut().take() {
            ctx.close();
        }
    }
}

impl<H: RequestHandler> Drop for Client<H> {
    fn drop(&mut self) {
        self.close();
    }
}

//! The producer's client of one broker address: connects on first use and
//! again on the next use after the connection failed or closed (as
//! `thrust-net`'s `Client` does), over a [`SendConnection`].
//!
//! Owned by one worker thread and shared by its senders (`Rc`).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use glommio::net::TcpStream;
use glommio::sync::Semaphore;

use crate::send_connection::{run, sweep_interval, SendConnection};
use crate::stats::{ERROR_CONNECTION, ERROR_TIMEOUT};

/// Bound on establishing the TCP connection (as `thrust-net`'s default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A client of one broker for sends.
pub struct SendClient {
    addr: SocketAddr,
    sweep: Duration,
    connection: RefCell<Option<Rc<SendConnection>>>,
    connecting: Semaphore,
}

impl SendClient {
    /// A client of `addr` whose requests time out after `request_timeout`;
    /// does not connect yet.
    pub fn new(addr: SocketAddr, request_timeout: Duration) -> SendClient {
        SendClient {
            addr,
            sweep: sweep_interval(request_timeout),
            connection: RefCell::new(None),
            connecting: Semaphore::new(1),
        }
    }

    fn open_connection(&self) -> Option<Rc<SendConnection>> {
        self.connection
            .borrow()
            .as_ref()
            .filter(|connection| !connection.is_closed())
            .cloned()
    }

    /// The open connection, connecting first if there is none.
    ///
    /// # Errors
    /// The pseudo code of a failed connect: [`ERROR_TIMEOUT`] when it timed
    /// out, else [`ERROR_CONNECTION`].
    pub async fn connection(&self) -> Result<Rc<SendConnection>, i32> {
        if let Some(connection) = self.open_connection() {
            return Ok(connection);
        }
        // One sender connects at a time; the others then use its connection.
        let _permit = self.connecting.acquire_permit(1).await.map_err(|err| {
            log::debug!("{}: connect gate closed: {err}", self.addr);
            ERROR_CONNECTION
        })?;
        if let Some(connection) = self.open_connection() {
            return Ok(connection);
        }
        let stream = TcpStream::connect_timeout(self.addr, CONNECT_TIMEOUT)
            .await
            .map_err(|err| {
                let err = std::io::Error::from(err);
                log::debug!("{}: connect failed: {err}", self.addr);
                if err.kind() == std::io::ErrorKind::TimedOut {
                    ERROR_TIMEOUT
                } else {
                    ERROR_CONNECTION
                }
            })?;
        if let Err(err) = stream.set_nodelay(true) {
            log::debug!("{}: TCP_NODELAY: {err}", self.addr);
        }
        let connection = Rc::new(SendConnection::new(self.addr, self.sweep));
        glommio::spawn_local(run(connection.clone(), stream)).detach();
        *self.connection.borrow_mut() = Some(connection.clone());
        Ok(connection)
    }
}

impl SendClient {
    /// Closes the connection, if any, and waits until what it had queued
    /// is sent (oneway sends would otherwise be lost at the end of a run),
    /// or [`CLOSE_FLUSH`](crate::send_connection::CLOSE_FLUSH) passed.
    pub async fn shutdown(&self) {
        let connection = self.connection.borrow_mut().take();
        if let Some(connection) = connection {
            connection.close();
            connection.finished().await;
        }
    }
}

impl Drop for SendClient {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.borrow_mut().take() {
            connection.close();
        }
    }
}

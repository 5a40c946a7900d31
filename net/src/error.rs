//! The one error type of `thrust-net`.
//!
//! Every variant names the peer or address involved and the limit that was
//! hit, so that a log line built from it is enough to debug.

use std::io;
use std::net::SocketAddr;

use thiserror::Error;

/// Why a network operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// Another socket already listens on the address (checked without
    /// SO_REUSEPORT, which glommio's listener would set silently).
    #[error("address {addr} is already in use")]
    AddrInUse { addr: SocketAddr, source: io::Error },
    /// Binding a listener failed for another reason.
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    /// Connecting to a peer failed.
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: io::Error },
    /// Connecting to a peer did not finish in time.
    #[error("connect to {addr} timed out after {timeout_ms} ms")]
    ConnectTimeout { addr: SocketAddr, timeout_ms: u64 },
    /// No response arrived for a request in time.
    #[error("request code {code} (opaque {opaque}) to {peer} timed out after {timeout_ms} ms")]
    Timeout {
        peer: SocketAddr,
        code: i32,
        opaque: i32,
        timeout_ms: u64,
    },
    /// The connection is closed (before or while waiting for a response).
    #[error("connection {connection_id} to {peer} is closed")]
    ConnectionClosed {
        connection_id: u64,
        peer: SocketAddr,
    },
    /// The connection's write queue is over its bound.
    #[error("write queue to {peer} is full: {queued_bytes} bytes queued, limit {limit_bytes}")]
    WriteQueueFull {
        peer: SocketAddr,
        queued_bytes: usize,
        limit_bytes: usize,
    },
    /// Too many requests to this peer are waiting for a response.
    #[error("{pending} requests to {peer} await a response, limit {limit}")]
    TooManyPending {
        peer: SocketAddr,
        pending: usize,
        limit: usize,
    },
    /// A frame to send is larger than the protocol allows.
    #[error("frame to {peer} of {frame_bytes} bytes exceeds the limit of {limit_bytes}")]
    FrameTooLarge {
        peer: SocketAddr,
        frame_bytes: usize,
        limit_bytes: usize,
    },
    /// Socket I/O failed.
    #[error("i/o with {peer}: {source}")]
    Io { peer: SocketAddr, source: io::Error },
}

//! # thrust-net
//!
//! Networking on glommio for every Thrust process: a per-shard server that
//! reads remoting frames, dispatches requests to a [`RequestHandler`] as
//! local tasks and writes responses as they complete (matched by `opaque`,
//! batched, bodies of several buffers sent with vectored writes); a
//! [`Client`] with request/response matching, timeouts and reconnection;
//! detection of a port already in use ([`ensure_port_free`]); and the
//! SIGTERM/SIGINT [`ShutdownFlag`].
//!
//! Place in the crate graph: depends on `thrust-core` (frames, codes); used
//! by `broker`, `namesrv` and `bench`.
//!
//! Main types: [`Server`] + [`ServerConfig`], [`ConnectionContext`] (a
//! connection as a handler sees it: id, peer, send a request or oneway to
//! the peer, close), [`Response`], [`Client`] + [`ClientConfig`],
//! [`ConnectionLimits`], [`NetError`].
//!
//! Everything here is shard-local (`Rc`, `!Send`) except [`ShutdownFlag`].
#![forbid(unsafe_code)]

mod client;
mod codec;
mod connection;
mod error;
mod event;
mod handler;
mod oneshot;
mod pending;
mod port_check;
mod response;
mod server;
mod shutdown;
mod write_queue;

pub use client::{Client, ClientConfig};
pub use codec::FRAME_BYTES_MAX;
pub use connection::{ConnectionContext, ConnectionId, ConnectionLimits};
pub use error::NetError;
pub use event::Event;
pub use handler::{RejectAll, RequestHandler};
pub use port_check::{ensure_port_free, wait_port_free};
pub use response::Response;
pub use server::{Server, ServerConfig};
pub use shutdown::{ShutdownFlag, SHUTDOWN_POLL_INTERVAL_MS};
pub use write_queue::WriteQueue;

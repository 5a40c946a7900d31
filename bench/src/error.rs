//! The error type of thrust-bench's set-up steps (route lookup, topic
//! creation, starting workers). Errors during the measured run are not
//! errors of the tool: they are counted by response code in the report.

use std::net::SocketAddr;

use thiserror::Error;

/// Why a benchmark could not start or finish.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An address on the command line or in a route did not parse.
    #[error("bad address {text:?}: {reason}")]
    Address { text: String, reason: String },
    /// A request to a name server or broker failed on the network.
    #[error("request to {addr}: {source}")]
    Net {
        addr: SocketAddr,
        source: thrust_net::NetError,
    },
    /// A peer answered with an error code.
    #[error("{what} at {addr} answered code {code}: {remark}")]
    Refused {
        what: &'static str,
        addr: SocketAddr,
        code: i32,
        remark: String,
    },
    /// A response body or header did not decode.
    #[error("{what} from {addr}: {source}")]
    Decode {
        what: &'static str,
        addr: SocketAddr,
        source: thrust_core::DecodeError,
    },
    /// No route for the topic (and no way to create it was asked for).
    #[error("no route for topic {topic} on any name server: {reason}")]
    NoRoute { topic: String, reason: String },
    /// A worker thread could not start or failed.
    #[error("worker thread: {0}")]
    Worker(String),
    /// Invalid options.
    #[error("invalid options: {0}")]
    Options(String),
}

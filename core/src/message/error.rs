//! Why a message could not be encoded.
//!
//! Decoding uses the crate-wide [`crate::DecodeError`]; encoding has its own
//! enum because its failures are ours or the caller's (a field over its wire
//! limit), never a peer's malformed bytes.

use thiserror::Error;

/// Why a record, batch body, property string or id could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field is longer than its length prefix (or the format) allows.
    #[error("{what}: length {length} exceeds the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        length: u64,
        limit: u64,
    },
    /// The output buffer cannot take the encoded bytes.
    #[error("{what}: output buffer has room for {have} bytes, need {need}")]
    BufferTooSmall {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A value that the format cannot represent, with a description.
    #[error("{what}: {message}")]
    Invalid { what: &'static str, message: String },
}

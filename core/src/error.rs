//! The one error type of every decoder in this crate.
//!
//! Each variant says what was wrong, where (a byte position or a field name)
//! and the sizes involved, so that a log line or a response remark built from
//! it is enough to debug the peer.

use thiserror::Error;

/// Why bytes from a peer (or from disk) could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than a field needs.
    #[error("{what}: need {need} bytes at position {position}, have {have}")]
    UnexpectedEof {
        what: &'static str,
        position: usize,
        need: usize,
        have: usize,
    },
    /// A length field is larger than the limit that applies to it.
    #[error("{what}: length {length} exceeds the limit of {limit} bytes")]
    TooLarge {
        what: &'static str,
        length: u64,
        limit: u64,
    },
    /// A length field is negative or inconsistent with the lengths around it.
    #[error("{what}: invalid length {length} (available {available})")]
    InvalidLength {
        what: &'static str,
        length: i64,
        available: u64,
    },
    /// A magic code or tag that is not one of the known values.
    #[error("{what}: unknown value {value:#x}")]
    UnknownMagic { what: &'static str, value: u32 },
    /// A checksum does not match the data it covers.
    #[error("{what}: checksum {actual:#x} does not match stored {expected:#x}")]
    ChecksumMismatch {
        what: &'static str,
        expected: u32,
        actual: u32,
    },
    /// Text that is not valid UTF-8.
    #[error("{what}: invalid UTF-8 at byte {valid_up_to}")]
    InvalidUtf8 {
        what: &'static str,
        valid_up_to: usize,
    },
    /// A JSON document that does not parse into the expected shape.
    #[error("{what}: invalid JSON: {message}")]
    Json { what: &'static str, message: String },
    /// A required header field (extFields entry) is missing.
    #[error("header field `{field}` is missing")]
    MissingField { field: &'static str },
    /// A header field is present but its value does not parse.
    #[error("header field `{field}`: cannot parse {value:?} as {expected}")]
    InvalidField {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Anything else that is malformed, with a description.
    #[error("{what}: {message}")]
    Malformed { what: &'static str, message: String },
}

impl DecodeError {
    /// Shorthand for [`DecodeError::Json`] from a serde_json error.
    pub fn json(what: &'static str, err: &serde_json::Error) -> Self {
        DecodeError::Json {
            what,
            message: err.to_string(),
        }
    }
}

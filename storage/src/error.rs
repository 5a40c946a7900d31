//! `StorageError`: every way a store operation can fail, with what is needed
//! to debug it (operation, path, position, the limit that was hit).

use std::io;

use thiserror::Error;

/// Errors of the storage layer. The broker maps them to RocketMQ response
/// codes (`DiskFull` and `StoreFailed` to SERVICE_NOT_AVAILABLE, invalid
/// records to MESSAGE_ILLEGAL).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A file operation failed; `source` is the OS error.
    #[error("I/O error during {operation} on {path}: {source}")]
    Io {
        operation: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    /// The disk is above the hard watermark (`diskSpaceWarningLevelRatio`):
    /// appends are refused until retention frees space; reads go on.
    #[error(
        "disk full: {used_percent}% used, appends are refused at or above \
         {limit_percent}% (diskSpaceWarningLevelRatio)"
    )]
    DiskFull {
        used_percent: u32,
        limit_percent: u32,
    },
    /// A flush (write or fsync) failed earlier: the store refuses writes until
    /// it is reopened and recovered. A failed fsync is never retried.
    #[error("store refuses writes after a failed {operation}: {reason}; reopen to recover")]
    StoreFailed {
        operation: &'static str,
        reason: String,
    },
    /// The records were accepted (offsets assigned, readable) but the flush
    /// that was to make them durable failed: whether they survive a crash is
    /// unknown until the store is reopened. Apache answers
    /// FLUSH_DISK_TIMEOUT in this case.
    #[error(
        "{record_count} record(s) at queue offset {first_queue_offset} accepted but not \
         durable: {reason}"
    )]
    NotDurable {
        first_queue_offset: i64,
        first_physical_offset: i64,
        record_count: u32,
        store_timestamp_ms: i64,
        reason: String,
    },
    /// An encoded record handed to `append` does not parse.
    #[error("invalid record at batch byte {position}: {source}")]
    InvalidRecord {
        position: usize,
        #[source]
        source: thrust_core::DecodeError,
    },
    /// The record does not belong to the queue it is appended to.
    #[error("record at batch byte {position}: {what}")]
    RecordMismatch { position: usize, what: String },
    /// One record is over `maxMessageSize`.
    #[error("record of {size_bytes} bytes exceeds maxMessageSize {limit_bytes}")]
    MessageTooLarge {
        size_bytes: usize,
        limit_bytes: usize,
    },
    /// A batch cannot fit in one commit log segment.
    #[error("batch of {size_bytes} bytes exceeds the segment size of {segment_bytes} bytes")]
    BatchTooLarge {
        size_bytes: usize,
        segment_bytes: u64,
    },
    /// An empty append.
    #[error("append of an empty batch")]
    EmptyBatch,
    /// What was read from disk is not what the index says is there.
    #[error("corrupt store: {what} at position {position}")]
    Corrupt { what: String, position: u64 },
    /// The configuration is unusable.
    #[error("invalid store config: {0}")]
    Config(String),
    /// The store was closed.
    #[error("store is closed")]
    Closed,
}

impl StorageError {
    /// Wraps an OS error with the operation and path it came from.
    pub fn io(operation: &'static str, path: impl std::fmt::Display, source: io::Error) -> Self {
        StorageError::Io {
            operation,
            path: path.to_string(),
            source,
        }
    }

    /// True when the cause is a full device (ENOSPC) or quota (EDQUOT).
    pub fn is_no_space(&self) -> bool {
        match self {
            StorageError::Io { source, .. } => {
                matches!(
                    source.raw_os_error(),
                    Some(libc::ENOSPC) | Some(libc::EDQUOT)
                )
            }
            StorageError::DiskFull { .. } => true,
            StorageError::StoreFailed { reason, .. } | StorageError::NotDurable { reason, .. } => {
                reason.contains("No space left")
            }
            _ => false,
        }
    }
}

/// Result alias of this crate.
pub type StorageResult<T> = Result<T, StorageError>;

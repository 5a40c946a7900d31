//! # thrust-storage
//!
//! The per-shard store of the Thrust broker: an append-only commit log of
//! RocketMQ CommitLog records in preallocated O_DIRECT segments, consume
//! queues derived from it, a checkpoint, crash recovery, retention and a
//! read cache. It depends on `thrust-core` (record codec, tag hashes) and
//! knows nothing of sockets; `broker` uses it.
//!
//! Main types: [`Store`] (one per shard, `!Send`, used from that shard's
//! glommio executor), [`StoreConfig`], [`StorageError`], the I/O seam
//! [`backend::Backend`] with [`DmaBackend`] (real) and
//! [`sim_backend::SimBackend`] (fault-injecting simulation), and
//! [`PhysicalOffset`].
//!
//! Layout under `storePathRootDir`: `shard-<i>/commitlog/<20-digit start
//! position>`, `shard-<i>/consumequeue/<topic>/<queueId>/<20-digit start
//! byte>`, `shard-<i>/index/<20-digit segment start>.{keys,idx}` (the key
//! index of QUERY_MESSAGE, [`key_index`]), `shard-<i>/checkpoint`.
//!
//! Reads return `bytes::Bytes`: slices of the write chunks (recent data) or
//! of our own 4 KiB-aligned read buffers, both `Send` so that a pull reply
//! can cross shards.

pub mod aligned_buf;
pub mod backend;
mod background;
pub mod checkpoint;
pub mod chunk;
pub mod commit_log;
pub mod config;
pub mod consume_queue;
pub mod dma_backend;
pub mod error;
pub mod file_decoders;
mod flush_signal;
pub mod key_index;
mod key_index_bloom;
mod key_index_file;
mod key_index_flush;
mod key_index_recovery;
mod key_query;
pub mod physical_offset;
mod queue_flush;
pub mod read;
mod recovery;
pub mod retention;
pub mod sim_backend;
pub mod sim_rng;
pub mod store;
pub mod tags_code;
pub mod testkit;

pub use backend::{Backend, BackendFile, DiskUsage};
pub use config::{FlushDiskType, StoreConfig, TagsCodeFn};
pub use dma_backend::DmaBackend;
pub use error::{StorageError, StorageResult};
pub use key_index::{KeyIndexStats, KeyQuery, KeyQueryResult};
pub use key_query::{QUERY_READ_BLOCKS_MAX, QUERY_RECORD_READS_MAX};
pub use physical_offset::{position_of, shard_of, PhysicalOffset, ShardId};
pub use read::{BoundaryType, GetMessageResult, GetMessageStatus};
pub use retention::RetentionOutcome;
pub use store::{AppendResult, ArrivalListener, Store};

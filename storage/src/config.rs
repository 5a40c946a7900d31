//! `StoreConfig`: the per-shard store settings, named after RocketMQ's
//! `broker.conf` keys (the doc of each field names the key).

use std::path::PathBuf;
use std::rc::Rc;

use crate::error::{StorageError, StorageResult};
use crate::physical_offset::{ShardId, SHARD_ID_MAX};
use crate::tags_code::default_tags_code;

/// Unit of O_DIRECT I/O. The device reports 512-byte logical blocks; 4 KiB
/// keeps every write on a page and filesystem block.
pub const BLOCK_BYTES: usize = 4096;
/// [`BLOCK_BYTES`] as a position.
pub const BLOCK_BYTES_U64: u64 = BLOCK_BYTES as u64;

/// `flushDiskType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushDiskType {
    /// Acknowledge once in the store's buffers; flushed at most
    /// `flushIntervalCommitLog` ms later.
    AsyncFlush,
    /// Acknowledge once on stable storage (group commit).
    SyncFlush,
}

impl FlushDiskType {
    /// Parses `ASYNC_FLUSH` / `SYNC_FLUSH`.
    pub fn parse(text: &str) -> Option<FlushDiskType> {
        match text.trim() {
            "ASYNC_FLUSH" => Some(FlushDiskType::AsyncFlush),
            "SYNC_FLUSH" => Some(FlushDiskType::SyncFlush),
            _ => None,
        }
    }
}

/// Computes the consume-queue tags code of an encoded, validated record.
/// The default is the Java `String.hashCode` of the TAGS property (0 without
/// one). Issue 8 plugs the SCHEDULE_TOPIC_XXXX delivery time in here. It
/// must be a pure function of the record bytes: recovery calls it again.
pub type TagsCodeFn = Rc<dyn Fn(&thrust_core::message::RecordView<'_>) -> i64>;

/// Wall clock in milliseconds since the epoch (tests inject a fake one).
pub type ClockFn = Rc<dyn Fn() -> i64>;

/// Settings of one shard's store. Build with [`StoreConfig::new`] and
/// override fields; [`StoreConfig::validate`] runs at open.
#[derive(Clone)]
pub struct StoreConfig {
    /// `storePathRootDir`; the shard lives in `<root>/shard-<id>`.
    pub root_dir: PathBuf,
    /// The shard owning this store; part of every physical offset.
    pub shard_id: ShardId,
    /// `mapedFileSizeCommitLog`: commit log segment size (1 GiB default).
    pub maped_file_size_commit_log: u64,
    /// Entries per consume-queue file (`mapedFileSizeConsumeQueue` / 20;
    /// rounded so a file is a whole number of 4 KiB blocks).
    pub consume_queue_entries_per_file: u64,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `flushIntervalCommitLog` (ms), async flush period.
    pub flush_interval_commit_log_ms: u64,
    /// `flushIntervalConsumeQueue` (ms), consume queue and checkpoint period.
    pub flush_interval_consume_queue_ms: u64,
    /// `fileReservedTime` (hours).
    pub file_reserved_time_hours: u64,
    /// `deleteWhen`: hours of the day (local time) when expired segments go,
    /// e.g. "04" or "04;05".
    pub delete_when: String,
    /// `diskMaxUsedSpaceRatio` (%): above it, retention deletes the oldest
    /// segments even before they expire.
    pub disk_max_used_space_ratio_percent: u32,
    /// `diskSpaceWarningLevelRatio` (%): the hard watermark; at or above it
    /// appends fail with [`StorageError::DiskFull`]; reads go on.
    pub disk_space_warning_level_ratio_percent: u32,
    /// Read cache: bytes of recently written blocks kept in memory.
    pub read_cache_bytes: usize,
    /// `maxMessageSize`: largest single record (bytes).
    pub max_message_size_bytes: usize,
    /// Size of an in-memory write chunk (the unit of the read cache).
    pub write_chunk_bytes: usize,
    /// ASYNC_FLUSH back-pressure: appends wait for a write round once this
    /// many bytes are not yet written to the segment files (bounds the
    /// memory that cannot be evicted).
    pub dirty_bytes_max: u64,
    /// `messageIndexEnable`: index records by their KEYS and UNIQ_KEY for
    /// QUERY_MESSAGE. When false the append path does no key work, key
    /// queries return nothing and the index files are deleted at open.
    pub message_index_enable: bool,
    /// How the consume-queue tags code is computed.
    pub tags_code_fn: TagsCodeFn,
    /// Store timestamps and retention ages use this clock.
    pub clock_ms: ClockFn,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("root_dir", &self.root_dir)
            .field("shard_id", &self.shard_id)
            .field(
                "maped_file_size_commit_log",
                &self.maped_file_size_commit_log,
            )
            .field("flush_disk_type", &self.flush_disk_type)
            .finish_non_exhaustive()
    }
}

impl StoreConfig {
    /// RocketMQ defaults for shard `shard_id` under `root_dir`.
    pub fn new(root_dir: impl Into<PathBuf>, shard_id: ShardId) -> StoreConfig {
        StoreConfig {
            root_dir: root_dir.into(),
            shard_id,
            maped_file_size_commit_log: 1 << 30,
            consume_queue_entries_per_file: 294_912,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_commit_log_ms: 500,
            flush_interval_consume_queue_ms: 1000,
            file_reserved_time_hours: 72,
            delete_when: "04".to_string(),
            disk_max_used_space_ratio_percent: 75,
            disk_space_warning_level_ratio_percent: 90,
            read_cache_bytes: 256 << 20,
            max_message_size_bytes: 4 << 20,
            write_chunk_bytes: 1 << 20,
            dirty_bytes_max: 64 << 20,
            message_index_enable: true,
            tags_code_fn: Rc::new(default_tags_code),
            clock_ms: Rc::new(system_clock_ms),
        }
    }

    /// Hours of the day parsed from `delete_when`.
    pub fn delete_hours(&self) -> Vec<u8> {
        self.delete_when
            .split(';')
            .filter_map(|hour| hour.trim().parse::<u8>().ok())
            .filter(|hour| *hour < 24)
            .collect()
    }

    /// Checks sizes and ratios.
    ///
    /// # Errors
    /// [`StorageError::Config`] naming the first bad field.
    pub fn validate(&self) -> StorageResult<()> {
        let bad = |what: String| Err(StorageError::Config(what));
        let segment = self.maped_file_size_commit_log;
        if segment < 64 * 1024 || segment % BLOCK_BYTES_U64 != 0 {
            return bad(format!(
                "mapedFileSizeCommitLog {segment} must be >= 64 KiB, 4 KiB-aligned"
            ));
        }
        let entries = self.consume_queue_entries_per_file;
        if entries == 0 || (entries * 20) % BLOCK_BYTES_U64 != 0 {
            return bad(format!(
                "consume queue entries per file {entries}: 20*n % 4096 != 0"
            ));
        }
        if self.write_chunk_bytes < BLOCK_BYTES * 4 || self.write_chunk_bytes % BLOCK_BYTES != 0 {
            return bad(format!(
                "write chunk {} not a multiple of 4 KiB",
                self.write_chunk_bytes
            ));
        }
        if self.max_message_size_bytes as u64 + BLOCK_BYTES_U64 > segment {
            return bad("maxMessageSize must be smaller than a segment".to_string());
        }
        if self.shard_id.0 > SHARD_ID_MAX {
            return bad(format!(
                "shard id {} over {}",
                self.shard_id.0, SHARD_ID_MAX
            ));
        }
        let hard = self.disk_space_warning_level_ratio_percent;
        if hard == 0 || hard > 100 || self.disk_max_used_space_ratio_percent > hard {
            return bad(format!(
                "disk ratios {}/{hard}",
                self.disk_max_used_space_ratio_percent
            ));
        }
        Ok(())
    }
}

/// Milliseconds since the Unix epoch from the system clock.
pub fn system_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        StoreConfig::new("/tmp/x", ShardId(0)).validate().unwrap();
    }

    #[test]
    fn unaligned_segment_size_is_rejected() {
        let mut config = StoreConfig::new("/tmp/x", ShardId(0));
        config.maped_file_size_commit_log = 65 * 1024 + 1;
        assert!(config.validate().is_err());
    }

    #[test]
    fn delete_when_accepts_a_list_of_hours() {
        let mut config = StoreConfig::new("/tmp/x", ShardId(0));
        config.delete_when = "04; 5;xx;25".to_string();
        assert_eq!(config.delete_hours(), vec![4, 5]);
    }
}

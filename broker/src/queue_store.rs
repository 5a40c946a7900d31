//! The broker's view of one shard's `thrust_storage::Store`: open it with
//! the broker's settings, append encoded records, read a queue, queue
//! offsets, and the per-queue arrival events long polling waits on.
//!
//! Owned by one shard (`!Send`). Arrival events are created only for queues
//! with parked pulls, and taken (set and dropped) on the next append to the
//! queue, so an append to a queue nobody waits on costs one map lookup.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;
use thrust_net::Event;
use thrust_storage::{
    BoundaryType, DmaBackend, GetMessageStatus, KeyQuery, KeyQueryResult, PhysicalOffset, ShardId,
    Store, StoreConfig,
};

use crate::config::{BrokerConfig, FlushDiskType};

/// What a read found (Apache's GetMessageStatus, §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    NoMessageInQueue,
    OffsetTooSmall,
    OffsetOverflowOne,
    OffsetOverflowBadly,
    NoMatchedLogicQueue,
}

impl ReadStatus {
    /// Java's status name (sent as the pull remark).
    pub fn name(self) -> &'static str {
        match self {
            ReadStatus::Found => "FOUND",
            ReadStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            ReadStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            ReadStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
            ReadStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
            ReadStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
            ReadStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            ReadStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            ReadStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
        }
    }
}

impl From<GetMessageStatus> for ReadStatus {
    fn from(status: GetMessageStatus) -> Self {
        match status {
            GetMessageStatus::Found => ReadStatus::Found,
            GetMessageStatus::NoMatchedMessage => ReadStatus::NoMatchedMessage,
            GetMessageStatus::MessageWasRemoving => ReadStatus::MessageWasRemoving,
            GetMessageStatus::OffsetOverflowBadly => ReadStatus::OffsetOverflowBadly,
            GetMessageStatus::OffsetOverflowOne => ReadStatus::OffsetOverflowOne,
            GetMessageStatus::OffsetTooSmall => ReadStatus::OffsetTooSmall,
            GetMessageStatus::NoMatchedLogicQueue => ReadStatus::NoMatchedLogicQueue,
            GetMessageStatus::NoMessageInQueue => ReadStatus::NoMessageInQueue,
            _ => ReadStatus::OffsetFoundNull,
        }
    }
}

/// Result of a read: stored records (the store's buffers, not copies).
#[derive(Debug)]
pub struct ReadOutcome {
    pub status: ReadStatus,
    pub records: Vec<Bytes>,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
}

/// Where an append landed: records are contiguous from the first offsets.
#[derive(Debug, Clone, Copy)]
pub struct AppendOutcome {
    pub queue_offset_first: i64,
    pub physical_offset_first: i64,
}

/// A store failure, as the processors report it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StoreError(#[from] pub thrust_storage::StorageError);

type Arrivals = RefCell<HashMap<String, HashMap<i32, Rc<Event>>>>;

/// One shard's store.
pub struct QueueStore {
    store: Store,
    arrivals: Rc<Arrivals>,
}

impl std::fmt::Debug for QueueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QueueStore({:?})", self.store)
    }
}

/// Bytes a record adds around its body at most: fixed part with IPv6
/// hosts, a 32767-byte topic and 32767 bytes of properties.
pub const RECORD_OVERHEAD_BYTES_MAX: usize = 128 + 2 * 32_767;

fn store_config(config: &BrokerConfig, shard: u16) -> StoreConfig {
    let mut store = StoreConfig::new(&config.store_path_root_dir, ShardId(shard));
    store.maped_file_size_commit_log = config.mapped_file_size_commit_log_bytes;
    store.flush_disk_type = match config.flush_disk_type {
        FlushDiskType::Async => thrust_storage::FlushDiskType::AsyncFlush,
        FlushDiskType::Sync => thrust_storage::FlushDiskType::SyncFlush,
    };
    store.flush_interval_commit_log_ms = config.flush_interval_commit_log_ms;
    store.file_reserved_time_hours = u64::from(config.file_reserved_time_hours);
    store.delete_when = config.delete_when.clone();
    store.disk_max_used_space_ratio_percent = config.disk_max_used_space_ratio_percent;
    store.tags_code_fn = crate::schedule::tags_code_fn(config.delay_levels());
    store.message_index_enable = config.message_index_enable;
    store.max_message_size_bytes =
        config.max_message_size_bytes as usize + RECORD_OVERHEAD_BYTES_MAX;
    store
}

fn to_queue_id(queue_id: u32) -> i32 {
    // Queue ids come from topic configs, at most QUEUE_NUMS_MAX.
    i32::try_from(queue_id).unwrap_or(i32::MAX)
}

impl QueueStore {
    /// Opens (recovering) shard `shard`'s store and starts its background
    /// flush/retention task.
    ///
    /// # Errors
    /// The store could not be opened or recovered.
    pub async fn open(config: &BrokerConfig, shard: u16) -> Result<Self, StoreError> {
        let store = Store::open(store_config(config, shard), Rc::new(DmaBackend)).await?;
        let arrivals: Rc<Arrivals> = Rc::default();
        let listener_arrivals = arrivals.clone();
        store.set_arrival_listener(Rc::new(move |topic: &str, queue_id: i32, _max: i64| {
            let event = {
                let mut arrivals = listener_arrivals.borrow_mut();
                let Some(queues) = arrivals.get_mut(topic) else {
                    return;
                };
                let event = queues.remove(&queue_id);
                if queues.is_empty() {
                    arrivals.remove(topic);
                }
                event
            };
            if let Some(event) = event {
                event.set();
            }
        }));
        let background = store.clone();
        glommio::spawn_local(async move { background.run_background().await }).detach();
        Ok(QueueStore { store, arrivals })
    }

    /// Appends contiguous encoded records (one message each) to
    /// `(topic, queue_id)`; the store assigns queue offsets, physical
    /// offsets and the store time. Completes once in the store's memory, or
    /// on disk under SYNC_FLUSH when `wait_durable`.
    ///
    /// # Errors
    /// The store refused or failed the write (nothing is acknowledged).
    pub async fn append(
        &self,
        topic: &str,
        queue_id: u32,
        records: &[u8],
        wait_durable: bool,
    ) -> Result<AppendOutcome, StoreError> {
        let result = self
            .store
            .append(topic, to_queue_id(queue_id), records, wait_durable)
            .await?;
        Ok(AppendOutcome {
            queue_offset_first: result.first_queue_offset,
            physical_offset_first: result.first_physical_offset.0,
        })
    }

    /// Reads from `offset`: at most `count_max` records and `bytes_max`
    /// bytes (at least one record if any matches), keeping records whose
    /// tags code passes `filter`.
    ///
    /// # Errors
    /// An I/O error reading the store.
    pub async fn read(
        &self,
        topic: &str,
        queue_id: u32,
        offset: i64,
        count_max: usize,
        bytes_max: usize,
        filter: &dyn Fn(i64) -> bool,
    ) -> Result<ReadOutcome, StoreError> {
        let queue_id = to_queue_id(queue_id);
        let result = self
            .store
            .get_messages(topic, queue_id, offset, count_max, bytes_max, filter)
            .await?;
        Ok(ReadOutcome {
            status: result.status.into(),
            records: result.records,
            next_begin_offset: result.next_begin_offset,
            min_offset: result.min_offset,
            max_offset: result.max_offset,
        })
    }

    /// (min, max) offsets of a queue; max is exclusive. (0, 0) if unknown.
    pub fn offsets(&self, topic: &str, queue_id: u32) -> (i64, i64) {
        let queue_id = to_queue_id(queue_id);
        (
            self.store.min_offset(topic, queue_id),
            self.store.max_offset(topic, queue_id),
        )
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (LOWER, or UPPER when `upper`).
    ///
    /// # Errors
    /// An I/O error reading the store.
    pub async fn offset_by_timestamp(
        &self,
        topic: &str,
        queue_id: u32,
        timestamp_ms: i64,
        upper: bool,
    ) -> Result<i64, StoreError> {
        let boundary = if upper {
            BoundaryType::Upper
        } else {
            BoundaryType::Lower
        };
        let queue_id = to_queue_id(queue_id);
        Ok(self
            .store
            .offset_by_timestamp(topic, queue_id, timestamp_ms, boundary)
            .await?)
    }

    /// Store time of the message at the queue's min offset; -1 if none.
    ///
    /// # Errors
    /// An I/O error reading the store.
    pub async fn earliest_store_time(&self, topic: &str, queue_id: u32) -> Result<i64, StoreError> {
        Ok(self
            .store
            .earliest_store_time(topic, to_queue_id(queue_id))
            .await?)
    }

    /// The record at a global physical offset (a peer's value: checked by
    /// the store), `None` if no record of this shard starts there.
    ///
    /// # Errors
    /// An I/O error reading the store.
    pub async fn record_at(&self, physical_offset: i64) -> Result<Option<Bytes>, StoreError> {
        Ok(self.store.get_record(physical_offset).await?)
    }

    /// QUERY_MESSAGE on this shard: verified records indexed under
    /// `(topic, key)` stored within the query's time range, newest first.
    ///
    /// # Errors
    /// An I/O error reading the index or the records.
    pub async fn query_keys(&self, query: &KeyQuery<'_>) -> Result<KeyQueryResult, StoreError> {
        Ok(self.store.query_keys(query).await?)
    }

    /// An event set at the next append to `(topic, queue_id)`.
    pub fn arrival(&self, topic: &str, queue_id: u32) -> Rc<Event> {
        let mut arrivals = self.arrivals.borrow_mut();
        let queues = match arrivals.get_mut(topic) {
            Some(queues) => queues,
            None => arrivals.entry(topic.to_string()).or_default(),
        };
        queues.entry(to_queue_id(queue_id)).or_default().clone()
    }

    /// Flushes everything appended and closes the store (shutdown).
    ///
    /// # Errors
    /// The flush or close failed.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.store.flush().await?;
        self.store.close().await?;
        Ok(())
    }
}

/// The physical offset of the record `index_bytes` after the first one.
pub fn physical_offset_at(first: i64, index_bytes: u64) -> i64 {
    match PhysicalOffset::from_raw(first) {
        Some(offset) => PhysicalOffset::new(offset.shard(), offset.position() + index_bytes).0,
        None => first,
    }
}

//! `Store`: one shard's store and its write path (append, group commit,
//! flush). Reads are in `read.rs`, recovery in `recovery.rs`, consume-queue
//! flushing and checkpoints in `queue_flush.rs`, retention in
//! `retention.rs`.
//!
//! Ownership: a `Store` belongs to one shard and is used from that shard's
//! glommio executor only (`Rc`, `RefCell`; it is `!Send`). Clones share the
//! store. No `RefCell` borrow is ever held across an `.await`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

use thrust_core::message::record::{patch_append_fields, RecordView, MAGIC_V1, MAGIC_V2};

use crate::backend::{join_all, join_bounded, Backend, BackendFile, DiskUsage};
use crate::commit_log::{CommitLog, FlushPlan};
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue::{ConsumeQueue, CqEntry, QueueKey};
use crate::error::{StorageError, StorageResult};
use crate::flush_signal::FlushSignal;
use crate::key_index::KeyIndex;
use crate::physical_offset::PhysicalOffset;

/// Writes a flush keeps in flight at once.
pub const FLUSH_IO_DEPTH_MAX: usize = 8;

/// Appends that do not wait yield to the I/O reactor after this many bytes.
/// On a single-threaded executor a producer whose appends never wait would
/// otherwise keep the reactor from submitting and reaping the flusher's
/// writes until back-pressure stops it (the disk then idles while memory
/// fills, and memory idles while the disk drains).
pub const APPEND_YIELD_BYTES: u64 = 1 << 20;

/// The next step of a durability wait.
enum RoundStep {
    Write,
    Sync,
    /// Wait for the running round (the flush signal epoch seen).
    Wait(u64),
}

/// What an append produced. Records of one append are contiguous in the
/// log: record i starts at `first_physical_offset` plus the sizes of the
/// records before it, and has queue offset `first_queue_offset + i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    pub first_queue_offset: i64,
    pub record_count: u32,
    pub first_physical_offset: PhysicalOffset,
    pub total_bytes: u64,
    pub store_timestamp_ms: i64,
    /// True if the append waited until its records were on stable storage.
    pub durable: bool,
}

/// A notice that a queue got new records (for long polling). Called after
/// the append, outside any store borrow; it must not block.
pub type ArrivalListener = Rc<dyn Fn(&str, i32, i64)>;

pub(crate) type Queues = HashMap<Rc<str>, BTreeMap<i32, ConsumeQueue>>;

pub(crate) struct StoreState {
    pub log: CommitLog,
    pub queues: Queues,
    pub key_index: KeyIndex,
    pub failure: Option<(&'static str, String)>,
    /// A write round runs (only one at a time: two would race on the
    /// rewritten tail block).
    pub flushing: bool,
    /// A sync round runs (it may overlap one write round).
    pub syncing: bool,
    pub queue_flushing: bool,
    pub disk_usage: Option<DiskUsage>,
    pub closed: bool,
    pub listener: Option<ArrivalListener>,
}

pub(crate) struct StoreInner {
    pub config: StoreConfig,
    pub backend: Rc<dyn Backend>,
    pub shard_dir: PathBuf,
    pub queue_root: PathBuf,
    pub state: RefCell<StoreState>,
    pub flush_signal: FlushSignal,
    /// Bumped to ask the background flusher for a round now.
    pub flush_request: FlushSignal,
    /// True while `run_background` runs: back-pressured async appends then
    /// wait for its rounds instead of flushing themselves.
    pub background_running: std::cell::Cell<bool>,
    /// Bytes appended without waiting since appends last yielded to the
    /// I/O reactor (see [`APPEND_YIELD_BYTES`]).
    pub appended_since_yield_bytes: std::cell::Cell<u64>,
}

/// One shard's store. See the module docs for ownership.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Rc<StoreInner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store(shard {})", self.inner.config.shard_id.0)
    }
}

impl Store {
    /// Opens (recovering) the store of `config.shard_id` over `backend`.
    ///
    /// # Errors
    /// Configuration errors, I/O errors while recovering, and
    /// [`StorageError::Corrupt`] when the files cannot be made sense of.
    pub async fn open(config: StoreConfig, backend: Rc<dyn Backend>) -> StorageResult<Store> {
        config.validate()?;
        let shard_dir = crate::recovery::shard_dir(&config);
        let prepared = backend.prepare(&shard_dir).await;
        prepared.map_err(|error| StorageError::io("prepare", shard_dir.display(), error))?;
        let recovered = crate::recovery::recover(&config, &backend).await?;
        let state = StoreState {
            log: recovered.log,
            queues: recovered.queues,
            key_index: recovered.key_index,
            failure: None,
            flushing: false,
            syncing: false,
            queue_flushing: false,
            disk_usage: None,
            closed: false,
            listener: None,
        };
        let inner = StoreInner {
            queue_root: shard_dir.join("consumequeue"),
            shard_dir,
            config,
            backend,
            state: RefCell::new(state),
            flush_signal: FlushSignal::default(),
            flush_request: FlushSignal::default(),
            background_running: std::cell::Cell::new(false),
            appended_since_yield_bytes: std::cell::Cell::new(0),
        };
        let store = Store {
            inner: Rc::new(inner),
        };
        store.refresh_disk_usage().await?;
        Ok(store)
    }

    /// The configuration the store was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    /// Registers the long-polling hook: `(topic, queue_id, max_offset)`.
    pub fn set_arrival_listener(&self, listener: ArrivalListener) {
        self.inner.state.borrow_mut().listener = Some(listener);
    }

    /// Appends encoded records (one, or a batch with consecutive queue
    /// offsets) to queue `(topic, queue_id)`. The store patches QUEUEOFFSET,
    /// PHYSICALOFFSET and STORETIMESTAMP while copying them into its block.
    ///
    /// Completion: with SYNC_FLUSH and `wait_durable`, once the records are
    /// on stable storage (group commit); otherwise once they are in the
    /// store's memory, readable, and due to be flushed within
    /// `flushIntervalCommitLog` (an async append may still wait for a flush
    /// when more than `dirty_bytes_max` bytes are not yet durable).
    ///
    /// # Errors
    /// Invalid records, [`StorageError::DiskFull`] above the hard watermark,
    /// [`StorageError::StoreFailed`] after a failed flush, and
    /// [`StorageError::NotDurable`] for records accepted whose flush failed
    /// (their fate is unknown until the store is reopened).
    pub async fn append(
        &self,
        topic: &str,
        queue_id: i32,
        records: &[u8],
        wait_durable: bool,
    ) -> StorageResult<AppendResult> {
        let (mut result, end_position) = self.append_in_memory(topic, queue_id, records)?;
        let sync = self.inner.config.flush_disk_type == FlushDiskType::SyncFlush;
        let over_unwritten_max = {
            let state = self.inner.state.borrow();
            state.log.unwritten_bytes() > self.inner.config.dirty_bytes_max
        };
        let waited = if sync && wait_durable {
            result.durable = true;
            Some(self.wait_durable(end_position).await)
        } else if over_unwritten_max {
            // Back-pressure waits only until half the budget is written,
            // so appends keep filling memory while that round runs.
            let max = self.inner.config.dirty_bytes_max;
            let target = end_position.saturating_sub(max / 2);
            Some(if self.inner.background_running.get() {
                self.wait_written_by_background(target).await
            } else {
                self.wait_written(target).await
            })
        } else {
            self.pace_unwaited_append(records.len() as u64).await;
            None
        };
        if let Some(Err(error)) = waited {
            return Err(StorageError::NotDurable {
                first_queue_offset: result.first_queue_offset,
                first_physical_offset: result.first_physical_offset.0,
                record_count: result.record_count,
                store_timestamp_ms: result.store_timestamp_ms,
                reason: error.to_string(),
            });
        }
        Ok(result)
    }

    /// Every [`APPEND_YIELD_BYTES`] of appends that did not wait: asks the
    /// background flusher for a write round if none runs and yields to the
    /// I/O reactor once.
    async fn pace_unwaited_append(&self, appended_bytes: u64) {
        let counter = &self.inner.appended_since_yield_bytes;
        let appended = counter.get().saturating_add(appended_bytes);
        if appended < APPEND_YIELD_BYTES {
            counter.set(appended);
            return;
        }
        counter.set(0);
        if !self.inner.state.borrow().flushing {
            self.inner.flush_request.bump();
        }
        if let Err(error) = self.inner.backend.yield_to_reactor().await {
            log::warn!("append yield: {error}");
        }
    }

    /// Validates and copies the records, assigns offsets and indexes them.
    fn append_in_memory(
        &self,
        topic: &str,
        queue_id: i32,
        records: &[u8],
    ) -> StorageResult<(AppendResult, u64)> {
        let record_count = validate_batch(records, topic, queue_id, &self.inner.config)?;
        let config = &self.inner.config;
        let now_ms = (config.clock_ms)();
        let shard = config.shard_id;
        let (result, end_position, listener) = {
            let mut state = self.inner.state.borrow_mut();
            state.check_writable(config)?;
            let StoreState {
                log,
                queues,
                key_index,
                listener,
                ..
            } = &mut *state;
            let queue = queue_entry(queues, topic, queue_id);
            let first_queue_offset = queue.max_offset();
            // No key work at all when the index is disabled.
            let keys = config.message_index_enable.then_some(key_index);
            let segment_bytes = log.segment_bytes;
            let position = log.append(records.len(), |target, position| {
                let batch = Batch {
                    position,
                    segment_start: position - position % segment_bytes,
                    first_queue_offset,
                    now_ms,
                };
                fill_batch(target, records, &batch, queue, keys, config);
                Ok::<(), StorageError>(())
            })?;
            let result = AppendResult {
                first_queue_offset,
                record_count,
                first_physical_offset: PhysicalOffset::new(shard, position),
                total_bytes: records.len() as u64,
                store_timestamp_ms: now_ms,
                durable: false,
            };
            (result, log.append_position, listener.clone())
        };
        if let Some(listener) = listener {
            listener(
                topic,
                queue_id,
                result.first_queue_offset + i64::from(record_count),
            );
        }
        Ok((result, end_position))
    }

    /// Waits until everything below `target_position` is durable, leading
    /// the write and sync rounds it needs when none is running (group
    /// commit: one round serves every waiter it covers). Only the
    /// background's periodic ASYNC_FLUSH sync overlaps write rounds.
    pub(crate) async fn wait_durable(&self, target_position: u64) -> StorageResult<()> {
        // Each pass either returns, runs a round or waits for one to end.
        for _ in 0..u32::MAX {
            let step = {
                let state = self.inner.state.borrow();
                state.check_not_failed()?;
                let log = &state.log;
                if log.durable_position >= target_position {
                    return Ok(());
                }
                if log.written_position >= target_position {
                    if state.syncing {
                        RoundStep::Wait(self.inner.flush_signal.epoch())
                    } else {
                        RoundStep::Sync
                    }
                } else if state.flushing || state.syncing {
                    // Not overlapping a sync: on ext4 the writes would wait
                    // for its journal commit anyway, and the next sync then
                    // groups fewer waiters (measured: lower SYNC_FLUSH
                    // throughput at 16 appenders).
                    RoundStep::Wait(self.inner.flush_signal.epoch())
                } else {
                    RoundStep::Write
                }
            };
            match step {
                RoundStep::Write => self.write_round().await?,
                RoundStep::Sync => self.sync_round().await?,
                RoundStep::Wait(seen) => self.inner.flush_signal.changed(seen).await,
            }
        }
        unreachable!("flush wait loop bound")
    }

    /// Waits until everything below `target_position` is written to the
    /// segment files (not necessarily durable), leading write rounds.
    pub(crate) async fn wait_written(&self, target_position: u64) -> StorageResult<()> {
        for _ in 0..u32::MAX {
            let seen = {
                let state = self.inner.state.borrow();
                state.check_not_failed()?;
                if state.log.written_position >= target_position {
                    return Ok(());
                }
                state.flushing.then(|| self.inner.flush_signal.epoch())
            };
            match seen {
                None => self.write_round().await?,
                Some(seen) => self.inner.flush_signal.changed(seen).await,
            }
        }
        unreachable!("write wait loop bound")
    }

    /// Waits until `target_position` is written, asking the background
    /// flusher for rounds instead of running them (so this task can go on
    /// appending while a round is on the disk).
    async fn wait_written_by_background(&self, target_position: u64) -> StorageResult<()> {
        for _ in 0..u32::MAX {
            let seen = {
                let state = self.inner.state.borrow();
                state.check_not_failed()?;
                if state.log.written_position >= target_position {
                    return Ok(());
                }
                if !self.inner.background_running.get() {
                    None
                } else {
                    Some(self.inner.flush_signal.epoch())
                }
            };
            let Some(seen) = seen else {
                return self.wait_written(target_position).await;
            };
            self.inner.flush_request.bump();
            self.inner.flush_signal.changed(seen).await;
        }
        unreachable!("background flush wait loop bound")
    }

    /// Flushes everything appended so far (written and synced).
    ///
    /// # Errors
    /// The I/O error of the round; the store then refuses writes until it
    /// is reopened.
    pub async fn flush(&self) -> StorageResult<()> {
        let target = self.inner.state.borrow().log.append_position;
        self.wait_durable(target).await
    }

    /// Writes everything appended so far (no sync).
    pub(crate) async fn write_round(&self) -> StorageResult<()> {
        let plan = {
            let mut state = self.inner.state.borrow_mut();
            assert!(!state.flushing, "two write rounds at once");
            state.check_not_failed()?;
            state.flushing = true;
            state.log.plan_writes()
        };
        let outcome = self.execute_writes(&plan).await;
        {
            let mut state = self.inner.state.borrow_mut();
            assert!(state.flushing, "write round flag lost");
            state.flushing = false;
            match &outcome {
                Ok(()) => state.log.complete_writes(&plan),
                Err(error) => {
                    log::error!("commit log write failed, refusing writes: {error}");
                    state.failure = Some(("commit log write", error.to_string()));
                }
            }
        }
        self.inner.flush_signal.bump();
        outcome
    }

    /// Syncs the segments written so far: everything written before it
    /// began becomes durable. A failed sync is never retried: the store
    /// refuses writes until reopened.
    pub(crate) async fn sync_round(&self) -> StorageResult<()> {
        let (target_position, files) = {
            let mut state = self.inner.state.borrow_mut();
            assert!(!state.syncing, "two sync rounds at once");
            state.check_not_failed()?;
            state.syncing = true;
            let (target_position, segments) = state.log.plan_sync();
            let files: Vec<Rc<dyn BackendFile>> = segments
                .iter()
                .filter_map(|start| state.log.segment_files.get(start).cloned())
                .collect();
            (target_position, files)
        };
        let syncs: Vec<_> = files.iter().map(|file| file.sync()).collect();
        let outcome = join_all(syncs)
            .await
            .map_err(|error| StorageError::io("fdatasync", "commitlog", error));
        {
            let mut state = self.inner.state.borrow_mut();
            assert!(state.syncing, "sync round flag lost");
            state.syncing = false;
            match &outcome {
                Ok(()) => state.log.complete_sync(target_position),
                Err(error) => {
                    log::error!("commit log sync failed, refusing writes: {error}");
                    state.failure = Some(("commit log sync", error.to_string()));
                }
            }
        }
        self.inner.flush_signal.bump();
        outcome
    }

    /// Starts a sync round as its own task unless one runs, nothing waits
    /// to be made durable, or the store failed (the task logs errors; the
    /// failure itself is recorded by the round).
    pub(crate) fn spawn_sync_if_idle(&self) {
        let store = self.clone();
        glommio::spawn_local(async move {
            let idle = {
                let state = store.inner.state.borrow();
                let log = &state.log;
                !state.syncing
                    && state.failure.is_none()
                    && log.durable_position < log.written_position
            };
            if idle {
                if let Err(error) = store.sync_round().await {
                    log::error!("background sync: {error}");
                }
            }
        })
        .detach();
    }

    async fn execute_writes(&self, plan: &FlushPlan) -> StorageResult<()> {
        let mut files = BTreeMap::new();
        for segment_start in &plan.segments {
            files.insert(
                *segment_start,
                self.segment_file(*segment_start, true).await?,
            );
        }
        let mut futures = Vec::with_capacity(plan.writes.len());
        for write in &plan.writes {
            let file = &files[&write.segment_start];
            futures.push(file.write_at(write.position, &write.data));
        }
        join_bounded(futures, FLUSH_IO_DEPTH_MAX)
            .await
            .map_err(|error| StorageError::io("write", "commitlog", error))
    }

    /// The open file of the segment starting at `segment_start`; with
    /// `create`, creates and preallocates it if missing.
    pub(crate) async fn segment_file(
        &self,
        segment_start: u64,
        create: bool,
    ) -> StorageResult<Rc<dyn BackendFile>> {
        let (path, dir, segment_bytes) = {
            let state = self.inner.state.borrow();
            if let Some(file) = state.log.segment_files.get(&segment_start) {
                return Ok(Rc::clone(file));
            }
            let log = &state.log;
            (
                log.segment_path(segment_start),
                log.dir.clone(),
                log.segment_bytes,
            )
        };
        let backend = &self.inner.backend;
        let display = path.display().to_string();
        let file = backend
            .open(&path, create)
            .await
            .map_err(|error| StorageError::io("open segment", &display, error))?;
        if create {
            let allocated = file.allocate(segment_bytes).await;
            allocated.map_err(|error| StorageError::io("preallocate segment", &display, error))?;
            let synced = backend.sync_dir(&dir).await;
            synced.map_err(|error| StorageError::io("sync commitlog dir", &display, error))?;
        }
        let mut state = self.inner.state.borrow_mut();
        let file = state.log.segment_files.entry(segment_start).or_insert(file);
        Ok(Rc::clone(file))
    }

    /// Re-reads disk usage and sets or clears the hard-watermark flag.
    ///
    /// # Errors
    /// The error of `statvfs`.
    pub async fn refresh_disk_usage(&self) -> StorageResult<DiskUsage> {
        let dir = self.inner.shard_dir.clone();
        let usage = self.inner.backend.disk_usage(&dir).await;
        let usage = usage.map_err(|error| StorageError::io("statvfs", dir.display(), error))?;
        self.inner.state.borrow_mut().disk_usage = Some(usage);
        Ok(usage)
    }

    /// Flushes the commit log, the consume queues and the checkpoint, then
    /// refuses further appends.
    ///
    /// # Errors
    /// The first I/O error.
    pub async fn close(&self) -> StorageResult<()> {
        self.flush().await?;
        self.flush_queues().await?;
        self.inner.state.borrow_mut().closed = true;
        Ok(())
    }

    /// True once a flush failed (writes are refused until reopen).
    pub fn is_failed(&self) -> bool {
        self.inner.state.borrow().failure.is_some()
    }

    /// Position just past the last appended byte of this shard's log.
    pub fn append_position(&self) -> u64 {
        self.inner.state.borrow().log.append_position
    }

    /// Position below which everything is durable.
    pub fn durable_position(&self) -> u64 {
        self.inner.state.borrow().log.durable_position
    }

    /// Position of the oldest retained byte.
    pub fn min_position(&self) -> u64 {
        self.inner.state.borrow().log.min_position
    }
}

impl StoreState {
    /// [`StorageError::StoreFailed`] once a write or sync has failed: the
    /// store refuses writes until it is reopened.
    fn check_not_failed(&self) -> StorageResult<()> {
        match &self.failure {
            Some((operation, reason)) => Err(StorageError::StoreFailed {
                operation,
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    fn check_writable(&self, config: &StoreConfig) -> StorageResult<()> {
        if self.closed {
            return Err(StorageError::Closed);
        }
        self.check_not_failed()?;
        if let Some(usage) = self.disk_usage {
            let limit_percent = config.disk_space_warning_level_ratio_percent;
            let used_percent = usage.used_percent();
            if used_percent >= limit_percent {
                return Err(StorageError::DiskFull {
                    used_percent,
                    limit_percent,
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn queue_entry<'a>(
    queues: &'a mut Queues,
    topic: &str,
    queue_id: i32,
) -> &'a mut ConsumeQueue {
    let topic_rc = match queues.get_key_value(topic) {
        Some((key, _)) => Rc::clone(key),
        None => {
            let key: Rc<str> = Rc::from(topic);
            queues.insert(Rc::clone(&key), BTreeMap::new());
            key
        }
    };
    let Some(topic_queues) = queues.get_mut(topic) else {
        unreachable!("topic {topic} was just inserted")
    };
    topic_queues.entry(queue_id).or_insert_with(|| {
        ConsumeQueue::new(
            QueueKey {
                topic: topic_rc,
                queue_id,
            },
            0,
        )
    })
}

/// Checks every record of a batch; returns the record count.
fn validate_batch(
    records: &[u8],
    topic: &str,
    queue_id: i32,
    config: &StoreConfig,
) -> StorageResult<u32> {
    if records.is_empty() {
        return Err(StorageError::EmptyBatch);
    }
    let segment_bytes = config.maped_file_size_commit_log;
    if records.len() as u64 > segment_bytes {
        return Err(StorageError::BatchTooLarge {
            size_bytes: records.len(),
            segment_bytes,
        });
    }
    let mut position = 0usize;
    let mut count = 0u32;
    while position < records.len() {
        let rest = records.get(position..).unwrap_or(&[]);
        let view = RecordView::parse(rest)
            .map_err(|source| StorageError::InvalidRecord { position, source })?;
        let size_bytes = view.total_size();
        if size_bytes > config.max_message_size_bytes {
            let limit_bytes = config.max_message_size_bytes;
            return Err(StorageError::MessageTooLarge {
                size_bytes,
                limit_bytes,
            });
        }
        if view.magic() != MAGIC_V1 && view.magic() != MAGIC_V2 {
            let what = format!("magic {:#x}", view.magic());
            return Err(StorageError::RecordMismatch { position, what });
        }
        if view.queue_id() != queue_id || view.topic() != topic {
            let what = format!("record is for {}:{}", view.topic(), view.queue_id());
            return Err(StorageError::RecordMismatch { position, what });
        }
        position += size_bytes;
        count += 1;
    }
    assert_eq!(position, records.len(), "batch parse overran");
    Ok(count)
}

/// Where a batch goes: its log position (inside one segment) and what the
/// store stamps on it.
struct Batch {
    position: u64,
    segment_start: u64,
    first_queue_offset: i64,
    now_ms: i64,
}

/// Copies a validated batch into `target` (at log `batch.position`),
/// patching the append fields and indexing each record in its consume
/// queue and, if enabled, in the key index.
fn fill_batch(
    target: &mut [u8],
    records: &[u8],
    batch: &Batch,
    queue: &mut ConsumeQueue,
    mut keys: Option<&mut KeyIndex>,
    config: &StoreConfig,
) {
    assert_eq!(target.len(), records.len(), "batch target size");
    assert!(
        batch.position >= batch.segment_start,
        "batch before its segment"
    );
    target.copy_from_slice(records);
    let (position, now_ms) = (batch.position, batch.now_ms);
    let mut at = 0usize;
    let mut queue_offset = batch.first_queue_offset;
    while at < target.len() {
        let size = read_total_size(&target[at..]);
        let record = &mut target[at..at + size];
        let physical = PhysicalOffset::new(config.shard_id, position + at as u64).0;
        let patched = patch_append_fields(record, queue_offset, physical, now_ms);
        assert!(
            patched.is_ok(),
            "validated record failed to patch: {patched:?}"
        );
        let view = match RecordView::parse(record) {
            Ok(view) => view,
            Err(error) => panic!("validated record no longer parses: {error}"),
        };
        let tags_code = (config.tags_code_fn)(&view);
        if let Some(keys) = keys.as_deref_mut() {
            keys.index_record(batch.segment_start, &view, physical);
        }
        let entry = CqEntry {
            physical_offset: physical,
            size: size as i32,
            tags_code,
        };
        let assigned = queue.push(entry);
        assert_eq!(assigned, queue_offset, "queue offset assignment");
        queue_offset += 1;
        at += size;
    }
}

fn read_total_size(bytes: &[u8]) -> usize {
    let mut size = [0u8; 4];
    size.copy_from_slice(&bytes[..4]);
    i32::from_be_bytes(size) as usize
}

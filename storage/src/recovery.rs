//! Opening a shard's store: find the segments, read the checkpoint, load
//! the trusted part of each consume queue, scan the commit log from the
//! checkpoint validating every record (magic, size bounds, BODYCRC, its own
//! PHYSICALOFFSET), cut the torn tail (zeros or garbage) and rebuild the
//! consume queues past the checkpoint. The key index is opened around the
//! scan (`key_index_recovery.rs`): the scan adds key entries for the records
//! it accepts. Reopening is idempotent: a second recovery over the result
//! finds the same end, the same queues and the same key index.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use thrust_core::message::record::{RecordView, BLANK_HEADER_SIZE, BLANK_MAGIC, RECORD_SIZE_MIN};

use crate::aligned_buf::AlignedBuf;
use crate::backend::{Backend, BackendFile};
use crate::checkpoint::Checkpoint;
use crate::chunk::{align_down, align_up};
use crate::commit_log::{segment_path, CommitLog};
use crate::config::{StoreConfig, BLOCK_BYTES, BLOCK_BYTES_U64};
use crate::consume_queue::{queue_dir, queue_file_path, CqEntry, QueueKey, CQ_ENTRY_BYTES};
use crate::error::{StorageError, StorageResult};
use crate::key_index::KeyIndex;
use crate::key_index_recovery::{finish_key_index, open_key_index, reopen_tail_unit};
use crate::physical_offset::PhysicalOffset;
use crate::store::{queue_entry, Queues};

/// Bytes read at a time while scanning.
const SCAN_READ_BYTES: usize = 1 << 20;

pub(crate) struct Recovered {
    pub log: CommitLog,
    pub queues: Queues,
    pub key_index: KeyIndex,
}

/// `<root>/shard-<id>`.
pub fn shard_dir(config: &StoreConfig) -> PathBuf {
    config.root_dir.join(format!("shard-{}", config.shard_id.0))
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.display().to_string();
    move |error| StorageError::io(operation, path, error)
}

pub(crate) async fn recover(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
) -> StorageResult<Recovered> {
    let shard = shard_dir(config);
    let log_dir = shard.join("commitlog");
    let queue_root = shard.join("consumequeue");
    backend
        .create_dir_all(&log_dir)
        .await
        .map_err(io_error("create dir", &log_dir))?;
    backend
        .create_dir_all(&queue_root)
        .await
        .map_err(io_error("create dir", &queue_root))?;
    let segments = list_segments(config, backend, &log_dir).await?;
    let checkpoint = read_checkpoint(backend, &shard).await;
    let min_position = match (segments.first(), &checkpoint) {
        (Some(first), _) => *first,
        (None, Some(checkpoint)) => checkpoint.min_position,
        (None, None) => 0,
    };
    let scan_start = checkpoint
        .as_ref()
        .map_or(min_position, |c| c.queue_position);
    let scan_start = scan_start.max(min_position);
    let mut queues = Queues::new();
    if let Some(checkpoint) = &checkpoint {
        let min_physical = PhysicalOffset::new(config.shard_id, min_position).0;
        load_queues(
            config,
            backend,
            &queue_root,
            checkpoint,
            min_physical,
            &mut queues,
        )
        .await?;
    }
    let mut files = open_segments(backend, &log_dir, &segments).await?;
    let from = (shard.as_path(), segments.as_slice(), scan_start);
    let (end, mut key_index) = scan_log(config, backend, from, &files, &mut queues).await?;
    if let Some(checkpoint) = &checkpoint {
        if end < checkpoint.durable_position {
            log::error!(
                "commit log ends at {end} but the checkpoint saw {} durable",
                checkpoint.durable_position
            );
        }
    }
    let end_physical = PhysicalOffset::new(config.shard_id, end).0;
    for topic_queues in queues.values_mut() {
        for queue in topic_queues.values_mut() {
            queue.truncate(queue.offset_before(end_physical));
        }
    }
    let tail_block = cut_tail(config, backend, &log_dir, &mut files, end).await?;
    // What the scan accepted may have been written by a flush whose fsync
    // failed before a restart: make it durable before anything builds on it.
    let scanned_from = scan_start - scan_start % config.maped_file_size_commit_log;
    for file in files.range(scanned_from..).map(|(_, file)| file) {
        file.sync()
            .await
            .map_err(io_error("fdatasync segment", file.path()))?;
    }
    let mut log = CommitLog::new(
        &log_dir,
        config.maped_file_size_commit_log,
        config.write_chunk_bytes,
        config.read_cache_bytes,
        min_position,
        end,
        &tail_block,
    );
    log.segment_files = files;
    finish_key_index(backend, &mut key_index, end).await?;
    log::info!(
        "shard {} recovered: log [{min_position}, {end})",
        config.shard_id.0
    );
    Ok(Recovered {
        log,
        queues,
        key_index,
    })
}

async fn open_segments(
    backend: &Rc<dyn Backend>,
    log_dir: &Path,
    segments: &[u64],
) -> StorageResult<BTreeMap<u64, Rc<dyn BackendFile>>> {
    let mut files = BTreeMap::new();
    for start in segments {
        let path = segment_path(log_dir, *start);
        let file = backend
            .open(&path, false)
            .await
            .map_err(io_error("open segment", &path))?;
        files.insert(*start, file);
    }
    Ok(files)
}

async fn load_queues(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    queue_root: &Path,
    checkpoint: &Checkpoint,
    min_physical: i64,
    queues: &mut Queues,
) -> StorageResult<()> {
    for (key, trusted) in &checkpoint.queues {
        load_queue(
            config,
            backend,
            queue_root,
            key,
            *trusted,
            min_physical,
            queues,
        )
        .await?;
    }
    Ok(())
}

/// Opens the key index, scans the log from the scan start (rebuilding
/// consume queues and key index units) and returns the log end with the
/// key index. `from` is (shard dir, segment starts, scan start).
async fn scan_log(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    from: (&Path, &[u64], u64),
    files: &BTreeMap<u64, Rc<dyn BackendFile>>,
    queues: &mut Queues,
) -> StorageResult<(u64, KeyIndex)> {
    let (shard, segments, scan_start) = from;
    let keys = open_key_index(config, backend, shard, segments, scan_start).await?;
    let mut key_index = keys.index;
    for (from, to) in keys.rescans {
        scan_keys_only(config, files, from, to, &mut key_index).await?;
    }
    let end = scan(config, files, scan_start, queues, &mut key_index).await?;
    if let Some((from, to)) = reopen_tail_unit(backend, &mut key_index, end).await? {
        scan_keys_only(config, files, from, to, &mut key_index).await?;
    }
    Ok((end, key_index))
}

async fn list_segments(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    log_dir: &Path,
) -> StorageResult<Vec<u64>> {
    let names = backend
        .list_dir(log_dir)
        .await
        .map_err(io_error("list", log_dir))?;
    let segment_bytes = config.maped_file_size_commit_log;
    let mut starts: Vec<u64> = names
        .iter()
        .filter(|name| name.len() == 20)
        .filter_map(|name| name.parse::<u64>().ok())
        .collect();
    starts.sort_unstable();
    for (index, start) in starts.iter().enumerate() {
        if start % segment_bytes != 0 {
            let what = format!("segment {start} is not a multiple of {segment_bytes}");
            return Err(StorageError::Config(what));
        }
        let expected = starts[0] + index as u64 * segment_bytes;
        if *start != expected {
            let what = format!("missing commit log segment {expected}");
            return Err(StorageError::Corrupt {
                what,
                position: expected,
            });
        }
    }
    Ok(starts)
}

async fn read_checkpoint(backend: &Rc<dyn Backend>, shard: &Path) -> Option<Checkpoint> {
    let path = shard.join("checkpoint");
    let file = backend.open(&path, false).await.ok()?;
    let size = file.size().await.ok()?;
    let len = align_up(size).max(BLOCK_BYTES_U64) as usize;
    let bytes = file.read_at(0, len).await.ok()?;
    let checkpoint = Checkpoint::decode(&bytes);
    if checkpoint.is_none() {
        log::warn!(
            "checkpoint {} is invalid: rebuilding all consume queues",
            path.display()
        );
    }
    checkpoint
}

/// Loads the first `trusted` offsets of a queue (those the checkpoint
/// vouches for), dropping entries whose records retention deleted.
async fn load_queue(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    queue_root: &Path,
    key: &QueueKey,
    trusted: i64,
    min_physical: i64,
    queues: &mut Queues,
) -> StorageResult<()> {
    let queue = queue_entry(queues, &key.topic, key.queue_id);
    queue.rebase(trusted.max(0));
    let dir = queue_dir(queue_root, key);
    let names = backend.list_dir(&dir).await.unwrap_or_default();
    let entries_per_file = config.consume_queue_entries_per_file as i64;
    let mut file_starts: Vec<i64> = names
        .iter()
        .filter_map(|name| name.parse::<u64>().ok())
        .map(|bytes| (bytes / CQ_ENTRY_BYTES as u64) as i64)
        .filter(|start| start % entries_per_file == 0 && *start < trusted)
        .collect();
    file_starts.sort_unstable();
    let mut loaded: Vec<(i64, CqEntry)> = Vec::new();
    let mut expected_start = file_starts.first().copied().unwrap_or(trusted);
    for file_start in file_starts {
        if file_start != expected_start {
            break;
        }
        let path = queue_file_path(&dir, file_start);
        let file = backend
            .open(&path, false)
            .await
            .map_err(io_error("open queue", &path))?;
        let count = (trusted - file_start).min(entries_per_file);
        let len = align_up(count as u64 * CQ_ENTRY_BYTES as u64) as usize;
        let bytes = file
            .read_at(0, len)
            .await
            .map_err(io_error("read queue", &path))?;
        for (index, raw) in bytes
            .chunks_exact(CQ_ENTRY_BYTES)
            .take(count as usize)
            .enumerate()
        {
            if let Some(entry) = CqEntry::decode(raw) {
                loaded.push((file_start + index as i64, entry));
            }
        }
        expected_start = file_start + entries_per_file;
    }
    let mut base = None;
    for (offset, entry) in loaded {
        let live = entry.size > 0 && entry.physical_offset >= min_physical;
        match (base, live) {
            (None, false) => {}
            (None, true) => {
                base = Some(offset);
                queue.rebase(offset);
                queue.push(entry);
            }
            (Some(_), true) if offset == queue.max_offset() => {
                queue.push(entry);
            }
            (Some(_), _) => {
                log::error!("consume queue {key:?} is damaged at offset {offset}");
                break;
            }
        }
    }
    if base.is_none() {
        queue.rebase(trusted.max(0));
    }
    queue.flushed_offset = queue.max_offset();
    Ok(())
}

/// Reads a segment sequentially with a carry-over window.
struct SegmentScanner {
    file: Rc<dyn BackendFile>,
    segment_start: u64,
    window_start: u64,
    window: Vec<u8>,
}

impl SegmentScanner {
    fn new(file: &Rc<dyn BackendFile>, segment_start: u64) -> SegmentScanner {
        SegmentScanner {
            file: Rc::clone(file),
            segment_start,
            window_start: segment_start,
            window: Vec::new(),
        }
    }

    /// The bytes `[position, position + len)` (log positions), or `None`
    /// past the end of the file.
    async fn get(&mut self, position: u64, len: usize) -> StorageResult<Option<&[u8]>> {
        let window_end = self.window_start + self.window.len() as u64;
        if position < self.window_start || position + len as u64 > window_end {
            let from = align_down(position - self.segment_start);
            let size = align_up((len + BLOCK_BYTES) as u64).max(SCAN_READ_BYTES as u64);
            let bytes = self.file.read_at(from, size as usize).await;
            let bytes = bytes.map_err(io_error("read segment", self.file.path()))?;
            self.window_start = self.segment_start + from;
            self.window = bytes.to_vec();
        }
        let at = (position - self.window_start) as usize;
        Ok(self.window.get(at..at + len))
    }
}

/// Scans from `start` and returns the end of the last valid record,
/// rebuilding consume queues and key index units on the way.
async fn scan(
    config: &StoreConfig,
    files: &BTreeMap<u64, Rc<dyn BackendFile>>,
    start: u64,
    queues: &mut Queues,
    keys: &mut KeyIndex,
) -> StorageResult<u64> {
    let segment_bytes = config.maped_file_size_commit_log;
    let mut position = start;
    let mut visit = |view: &RecordView<'_>, segment_start: u64, physical: i64| {
        let entry = CqEntry {
            physical_offset: physical,
            size: view.total_size() as i32,
            tags_code: (config.tags_code_fn)(view),
        };
        dispatch(
            queues,
            view.topic(),
            view.queue_id(),
            view.queue_offset(),
            entry,
        );
        if keys.enabled {
            keys.index_record(segment_start, view, physical);
        }
    };
    loop {
        let segment_start = position - position % segment_bytes;
        let Some(file) = files.get(&segment_start) else {
            return Ok(position);
        };
        let mut scanner = SegmentScanner::new(file, segment_start);
        let segment_end = segment_start + segment_bytes;
        let range = (position, segment_end);
        match scan_segment(config, &mut scanner, range, segment_end, &mut visit).await? {
            SegmentEnd::Filled | SegmentEnd::Reached => position = segment_end,
            SegmentEnd::Torn(end) => return Ok(end),
        }
    }
}

/// Adds the key entries of the records in `[from, to)` (one segment, below
/// the checkpoint) to the key index, touching nothing else.
async fn scan_keys_only(
    config: &StoreConfig,
    files: &BTreeMap<u64, Rc<dyn BackendFile>>,
    from: u64,
    to: u64,
    keys: &mut KeyIndex,
) -> StorageResult<()> {
    let segment_bytes = config.maped_file_size_commit_log;
    let segment_start = from - from % segment_bytes;
    assert!(
        to <= segment_start + segment_bytes,
        "key scan crosses a segment"
    );
    let Some(file) = files.get(&segment_start) else {
        return Ok(());
    };
    let mut scanner = SegmentScanner::new(file, segment_start);
    let mut visit = |view: &RecordView<'_>, segment_start: u64, physical: i64| {
        keys.index_record(segment_start, view, physical);
    };
    let segment_end = segment_start + segment_bytes;
    let ended = scan_segment(config, &mut scanner, (from, to), segment_end, &mut visit).await?;
    if let SegmentEnd::Torn(at) = ended {
        log::error!("commit log below the checkpoint is damaged at {at}: keys after it are lost");
    }
    Ok(())
}

enum SegmentEnd {
    /// The segment ends with a blank filler or too little room.
    Filled,
    /// The scan reached the end of its range.
    Reached,
    Torn(u64),
}

/// Validates records from `range.0` until `range.1` or the end of the
/// segment, calling `visit(view, segment start, physical offset)` for each.
async fn scan_segment(
    config: &StoreConfig,
    scanner: &mut SegmentScanner,
    range: (u64, u64),
    segment_end: u64,
    visit: &mut dyn FnMut(&RecordView<'_>, u64, i64),
) -> StorageResult<SegmentEnd> {
    let (mut position, stop_at) = range;
    assert!(stop_at <= segment_end, "scan range past the segment");
    let segment_start = scanner.segment_start;
    loop {
        if position >= stop_at && stop_at < segment_end {
            return Ok(SegmentEnd::Reached);
        }
        if segment_end - position < BLANK_HEADER_SIZE as u64 {
            return Ok(SegmentEnd::Filled);
        }
        let Some(head) = scanner.get(position, BLANK_HEADER_SIZE).await? else {
            return Ok(SegmentEnd::Torn(position));
        };
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let magic = i32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if magic == BLANK_MAGIC && i64::from(size) == (segment_end - position) as i64 {
            return Ok(SegmentEnd::Filled);
        }
        let Ok(size) = usize::try_from(size) else {
            return Ok(SegmentEnd::Torn(position));
        };
        if size < RECORD_SIZE_MIN
            || size > config.max_message_size_bytes
            || position + size as u64 > segment_end
        {
            return Ok(SegmentEnd::Torn(position));
        }
        let Some(bytes) = scanner.get(position, size).await? else {
            return Ok(SegmentEnd::Torn(position));
        };
        let physical = PhysicalOffset::new(config.shard_id, position).0;
        let Some(view) = validate_record(bytes, physical) else {
            return Ok(SegmentEnd::Torn(position));
        };
        visit(&view, segment_start, physical);
        position += size as u64;
    }
}

/// Parses and checks a record found at `physical`; `None` if invalid.
pub(crate) fn validate_record(bytes: &[u8], physical: i64) -> Option<RecordView<'_>> {
    let view = RecordView::parse(bytes).ok()?;
    view.verify_body_crc().ok()?;
    if view.physical_offset() != physical || view.total_size() != bytes.len() {
        return None;
    }
    if view.queue_offset() < 0 {
        return None;
    }
    Some(view)
}

fn dispatch(queues: &mut Queues, topic: &str, queue_id: i32, queue_offset: i64, entry: CqEntry) {
    let queue = queue_entry(queues, topic, queue_id);
    let max = queue.max_offset();
    if queue_offset < max {
        if queue.get(queue_offset) == Some(entry) {
            return;
        }
        log::warn!("rebuilding {topic}:{queue_id} from offset {queue_offset} (had {max})");
        if queue_offset < queue.min_offset() {
            queue.rebase(queue_offset);
        } else {
            queue.truncate(queue_offset);
        }
    } else if queue_offset > max {
        if queue.min_offset() != max {
            log::warn!("gap in {topic}:{queue_id}: offset {queue_offset} after {max}");
        }
        queue.rebase(queue_offset);
    }
    queue.push(entry);
}

/// Makes the log end at `end` on disk: deletes later segments, zeroes the
/// tail segment after `end` (rewriting the partial block) and returns the
/// bytes of that partial block.
async fn cut_tail(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    log_dir: &Path,
    files: &mut BTreeMap<u64, Rc<dyn BackendFile>>,
    end: u64,
) -> StorageResult<Vec<u8>> {
    let segment_bytes = config.maped_file_size_commit_log;
    let tail_start = end - end % segment_bytes;
    let later: Vec<u64> = files
        .range(tail_start + 1..)
        .map(|(start, _)| *start)
        .collect();
    for start in &later {
        files.remove(start);
        let path = segment_path(log_dir, *start);
        log::warn!(
            "removing commit log segment {} past the end {end}",
            path.display()
        );
        backend
            .remove_file(&path)
            .await
            .map_err(io_error("remove segment", &path))?;
    }
    let partial = (end % BLOCK_BYTES_U64) as usize;
    let Some(file) = files.get(&tail_start) else {
        backend
            .sync_dir(log_dir)
            .await
            .map_err(io_error("sync dir", log_dir))?;
        return Ok(Vec::new());
    };
    let path = file.path().clone();
    let block_at = align_down(end - tail_start);
    let head: Bytes = if partial > 0 {
        let bytes = file.read_at(block_at, BLOCK_BYTES).await;
        bytes.map_err(io_error("read tail", &path))?
    } else {
        Bytes::new()
    };
    let tail = head.get(..partial).map(<[u8]>::to_vec);
    let Some(tail) = tail else {
        return Err(StorageError::Corrupt {
            what: "short tail block".to_string(),
            position: end,
        });
    };
    let zero_from = align_up(end - tail_start);
    if zero_from < segment_bytes {
        let discarded = file.discard(zero_from, segment_bytes - zero_from).await;
        discarded.map_err(io_error("discard tail", &path))?;
    }
    if partial > 0 {
        let mut block = AlignedBuf::zeroed(BLOCK_BYTES);
        block.as_mut_slice()[..partial].copy_from_slice(&tail);
        file.write_at(block_at, block.as_slice())
            .await
            .map_err(io_error("write tail", &path))?;
    }
    file.allocate(segment_bytes)
        .await
        .map_err(io_error("preallocate", &path))?;
    file.sync()
        .await
        .map_err(io_error("fdatasync tail", &path))?;
    backend
        .sync_dir(log_dir)
        .await
        .map_err(io_error("sync dir", log_dir))?;
    Ok(tail)
}

//! The read path: messages of a queue, offsets, timestamps and a record by
//! physical offset. Records come back as `Bytes` with no copy: slices of
//! cached write chunks for recent data, slices of one aligned O_DIRECT read
//! per span of older records.

use bytes::Bytes;
use thrust_core::message::record::{RecordView, MAGIC_V1, MAGIC_V2};

use crate::chunk::{align_down, align_up};
use crate::consume_queue::CqEntry;
use crate::error::{StorageError, StorageResult};
use crate::physical_offset::{position_of, shard_of, PhysicalOffset};
use crate::store::Store;

/// Most consume-queue entries one pull scans (tag filtering may skip many).
pub const SCAN_ENTRIES_MAX: usize = 16_000;
/// Largest O_DIRECT read that serves several records at once.
pub const READ_SPAN_BYTES_MAX: u64 = 1 << 20;

/// Apache's `GetMessageStatus`; the broker maps it per REMOTING.md §3.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GetMessageStatus {
    Found,
    /// Entries were scanned but the filter matched none.
    NoMatchedMessage,
    /// The records under the range were deleted by retention.
    MessageWasRemoving,
    OffsetFoundNull,
    /// Offset past max: `next_begin_offset` is max.
    OffsetOverflowBadly,
    /// Offset == max (caught up).
    OffsetOverflowOne,
    /// Offset below min: `next_begin_offset` is min.
    OffsetTooSmall,
    /// No such queue in this store.
    NoMatchedLogicQueue,
    /// The queue exists but never had a message (max = 0).
    NoMessageInQueue,
}

/// `BoundaryType` of SEARCH_OFFSET_BY_TIMESTAMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundaryType {
    /// First offset whose store time is >= the timestamp (max if none).
    Lower,
    /// Last offset whose store time is <= the timestamp (min if none).
    Upper,
}

/// Result of [`Store::get_messages`].
#[derive(Debug, Clone)]
pub struct GetMessageResult {
    pub status: GetMessageStatus,
    /// Whole stored records, in queue order.
    pub records: Vec<Bytes>,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    /// Exclusive.
    pub max_offset: i64,
    pub total_bytes: usize,
}

impl GetMessageResult {
    fn empty(status: GetMessageStatus, next: i64, min: i64, max: i64) -> GetMessageResult {
        GetMessageResult {
            status,
            records: Vec::new(),
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            total_bytes: 0,
        }
    }
}

struct Selection {
    entries: Vec<CqEntry>,
    next_begin_offset: i64,
    min: i64,
    max: i64,
}

impl Store {
    /// Minimum offset of a queue (0 if unknown).
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue_bounds(topic, queue_id).map_or(0, |(min, _)| min)
    }

    /// Maximum (exclusive) offset of a queue (0 if unknown).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue_bounds(topic, queue_id).map_or(0, |(_, max)| max)
    }

    fn queue_bounds(&self, topic: &str, queue_id: i32) -> Option<(i64, i64)> {
        let state = self.inner.state.borrow();
        let queue = state.queues.get(topic)?.get(&queue_id)?;
        Some((queue.min_offset(), queue.max_offset()))
    }

    fn queue_entry_at(&self, topic: &str, queue_id: i32, offset: i64) -> Option<CqEntry> {
        let state = self.inner.state.borrow();
        state.queues.get(topic)?.get(&queue_id)?.get(offset)
    }

    /// Reads up to `max_count` records of a queue from `offset` whose tags
    /// code passes `filter`, stopping before `max_bytes` is exceeded (at
    /// least one record is returned when any matches).
    ///
    /// # Errors
    /// I/O errors of O_DIRECT reads, and [`StorageError::Corrupt`] when a
    /// record read does not match its consume-queue entry.
    pub async fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_count: usize,
        max_bytes: usize,
        filter: impl Fn(i64) -> bool,
    ) -> StorageResult<GetMessageResult> {
        let selection = match self.select(topic, queue_id, offset, max_count, max_bytes, filter) {
            Ok(selection) => selection,
            Err(result) => return Ok(result),
        };
        let Selection {
            entries,
            next_begin_offset,
            min,
            max,
        } = selection;
        if entries.is_empty() {
            use GetMessageStatus::NoMatchedMessage;
            return Ok(GetMessageResult::empty(
                NoMatchedMessage,
                next_begin_offset,
                min,
                max,
            ));
        }
        let records = self.read_entries(&entries).await?;
        let total_bytes = records.iter().map(Bytes::len).sum();
        Ok(GetMessageResult {
            status: GetMessageStatus::Found,
            records,
            next_begin_offset,
            min_offset: min,
            max_offset: max,
            total_bytes,
        })
    }

    fn select(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_count: usize,
        max_bytes: usize,
        filter: impl Fn(i64) -> bool,
    ) -> Result<Selection, GetMessageResult> {
        use GetMessageStatus as S;
        let state = self.inner.state.borrow();
        let Some(queue) = state
            .queues
            .get(topic)
            .and_then(|queues| queues.get(&queue_id))
        else {
            return Err(GetMessageResult::empty(S::NoMatchedLogicQueue, 0, 0, 0));
        };
        let (min, max) = (queue.min_offset(), queue.max_offset());
        let empty = |status, next| Err(GetMessageResult::empty(status, next, min, max));
        if max == 0 {
            return empty(S::NoMessageInQueue, 0);
        }
        if offset < min {
            return empty(S::OffsetTooSmall, min);
        }
        if offset == max {
            return empty(S::OffsetOverflowOne, offset);
        }
        if offset > max {
            return empty(S::OffsetOverflowBadly, max);
        }
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        let mut next = offset;
        let scan_end = max.min(offset.saturating_add(SCAN_ENTRIES_MAX as i64));
        while next < scan_end && entries.len() < max_count.max(1) {
            let Some(entry) = queue.get(next) else { break };
            if filter(entry.tags_code) {
                let size = entry.size as usize;
                if !entries.is_empty() && bytes + size > max_bytes {
                    break;
                }
                bytes += size;
                entries.push(entry);
            }
            next += 1;
        }
        Ok(Selection {
            entries,
            next_begin_offset: next,
            min,
            max,
        })
    }

    /// The stored records of `entries`, in order.
    async fn read_entries(&self, entries: &[CqEntry]) -> StorageResult<Vec<Bytes>> {
        let mut records: Vec<Option<Bytes>> = {
            let state = self.inner.state.borrow();
            // One `Bytes` per chunk touched, sliced per record: no
            // allocation per record.
            let mut window: Option<(u64, Bytes)> = None;
            let mut cached = |entry: &CqEntry| {
                let position = position_of(entry.physical_offset);
                let end = position + entry.size as u64;
                let hit = |(start, bytes): &(u64, Bytes)| {
                    *start <= position && end <= *start + bytes.len() as u64
                };
                if !window.as_ref().is_some_and(hit) {
                    window = state.log.cached_from(position);
                }
                let (start, bytes) = window.as_ref().filter(|window| hit(window))?;
                let from = (position - start) as usize;
                Some(bytes.slice(from..from + entry.size as usize))
            };
            entries.iter().map(&mut cached).collect()
        };
        let mut index = 0;
        while index < entries.len() {
            if records[index].is_some() {
                index += 1;
                continue;
            }
            let span_end = self.span_end(entries, &records, index);
            self.read_span(&entries[index..span_end], &mut records[index..span_end])
                .await?;
            index = span_end;
        }
        let mut out = Vec::with_capacity(records.len());
        for (entry, record) in entries.iter().zip(records) {
            let Some(record) = record else {
                unreachable!("every missing record was read")
            };
            check_record(&record, entry)?;
            out.push(record);
        }
        Ok(out)
    }

    /// End (exclusive) of the run of uncached entries from `start` that one
    /// read can serve: same segment, increasing, within the span limit.
    fn span_end(&self, entries: &[CqEntry], records: &[Option<Bytes>], start: usize) -> usize {
        let segment_bytes = self.inner.config.maped_file_size_commit_log;
        let first = position_of(entries[start].physical_offset);
        let segment = first / segment_bytes;
        let mut end = start + 1;
        while end < entries.len() && records[end].is_none() {
            let position = position_of(entries[end].physical_offset);
            let record_end = position + entries[end].size as u64;
            if position < first || position / segment_bytes != segment {
                break;
            }
            if record_end - first > READ_SPAN_BYTES_MAX {
                break;
            }
            end += 1;
        }
        end
    }

    async fn read_span(&self, entries: &[CqEntry], out: &mut [Option<Bytes>]) -> StorageResult<()> {
        let first = position_of(entries[0].physical_offset);
        let last = entries
            .iter()
            .map(|e| position_of(e.physical_offset) + e.size as u64)
            .max();
        let end = last.unwrap_or(first);
        let span = self.read_log(first, end - first).await?;
        for (entry, slot) in entries.iter().zip(out.iter_mut()) {
            let at = (position_of(entry.physical_offset) - first) as usize;
            let record = span.get(at..at + entry.size as usize).map(|_| ());
            if record.is_none() {
                return Err(corrupt(
                    "short read of a record",
                    position_of(entry.physical_offset),
                ));
            }
            *slot = Some(span.slice(at..at + entry.size as usize));
        }
        Ok(())
    }

    /// `len` bytes of the log at `position` (one segment), from the cache
    /// or one aligned read.
    pub(crate) async fn read_log(&self, position: u64, len: u64) -> StorageResult<Bytes> {
        let (segment_start, min_position) = {
            let state = self.inner.state.borrow();
            if let Some(bytes) = state.log.cached(position, len) {
                return Ok(bytes);
            }
            (state.log.segment_start(position), state.log.min_position)
        };
        if position < min_position {
            return Err(corrupt("read below the retained log", position));
        }
        let file = self.segment_file(segment_start, false).await?;
        let from = align_down(position - segment_start);
        let to = align_up(position + len - segment_start);
        let bytes = file.read_at(from, (to - from) as usize).await;
        let path = file.path().display().to_string();
        let bytes = bytes.map_err(|error| StorageError::io("read segment", path, error))?;
        let skip = (position - segment_start - from) as usize;
        if bytes.len() < skip + len as usize {
            return Err(corrupt("short read of the log", position));
        }
        Ok(bytes.slice(skip..skip + len as usize))
    }

    /// The record at a global physical offset, or `None` if no record
    /// starts there (the offset may come from a peer: it is checked).
    ///
    /// # Errors
    /// I/O errors.
    pub async fn get_record(&self, physical_offset: i64) -> StorageResult<Option<Bytes>> {
        let Some((position, _)) = self.readable_span(physical_offset, 8) else {
            return Ok(None);
        };
        let head = self.read_log(position, 8).await?;
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        self.record_at(physical_offset, size).await
    }

    /// The record of `size` bytes at a global physical offset, read at once
    /// (the size comes from an index entry or the record's head); `None` if
    /// no such record is there, or no longer is.
    ///
    /// # Errors
    /// I/O errors.
    pub(crate) async fn record_at(
        &self,
        physical_offset: i64,
        size: i32,
    ) -> StorageResult<Option<Bytes>> {
        let Ok(size) = u64::try_from(size) else {
            return Ok(None);
        };
        let fits = size <= self.inner.config.max_message_size_bytes as u64;
        if size < 8 || !fits {
            return Ok(None);
        }
        let Some((position, _)) = self.readable_span(physical_offset, size) else {
            return Ok(None);
        };
        let record = self.read_log(position, size).await?;
        let valid = RecordView::parse(&record).map(|view| {
            view.physical_offset() == physical_offset && view.total_size() == record.len()
        });
        Ok(valid.unwrap_or(false).then_some(record))
    }

    /// The position of `physical_offset` in this shard's log and the end of
    /// what is readable there (log end or segment end), if `len` bytes from
    /// it are readable.
    fn readable_span(&self, physical_offset: i64, len: u64) -> Option<(u64, u64)> {
        let offset = PhysicalOffset::from_raw(physical_offset)?;
        if shard_of(offset.0) != self.inner.config.shard_id {
            return None;
        }
        let position = offset.position();
        let state = self.inner.state.borrow();
        let log = &state.log;
        let segment_end = log.segment_start(position) + log.segment_bytes;
        let limit = log.append_position.min(segment_end);
        let readable = position >= log.min_position && position.checked_add(len)? <= limit;
        readable.then_some((position, limit))
    }

    /// Store timestamp of the record at `offset` of a queue.
    async fn store_time_at(&self, topic: &str, queue_id: i32, offset: i64) -> StorageResult<i64> {
        let Some(entry) = self.queue_entry_at(topic, queue_id, offset) else {
            return Err(corrupt("no entry for timestamp lookup", offset as u64));
        };
        let record = self.read_entries(&[entry]).await?;
        let view = RecordView::parse(&record[0])
            .map_err(|_| corrupt("unparsable record", position_of(entry.physical_offset)))?;
        Ok(view.store_timestamp())
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (REMOTING.md §3.6); 0 for an empty or
    /// unknown queue.
    ///
    /// # Errors
    /// I/O errors.
    pub async fn offset_by_timestamp(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp_ms: i64,
        boundary: BoundaryType,
    ) -> StorageResult<i64> {
        let Some((min, max)) = self.queue_bounds(topic, queue_id) else {
            return Ok(0);
        };
        if min >= max {
            return Ok(0);
        }
        // Invariant: offsets below `low` are "before", from `high` "after".
        let (mut low, mut high) = (min, max);
        while low < high {
            let middle = low + (high - low) / 2;
            let time = self.store_time_at(topic, queue_id, middle).await?;
            let before = match boundary {
                BoundaryType::Lower => time < timestamp_ms,
                BoundaryType::Upper => time <= timestamp_ms,
            };
            if before {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Ok(match boundary {
            BoundaryType::Lower => low,
            BoundaryType::Upper => (low - 1).max(min),
        })
    }

    /// GET_EARLIEST_MSG_STORETIME: store time at the min offset, or -1.
    ///
    /// # Errors
    /// I/O errors.
    pub async fn earliest_store_time(&self, topic: &str, queue_id: i32) -> StorageResult<i64> {
        let Some((min, max)) = self.queue_bounds(topic, queue_id) else {
            return Ok(-1);
        };
        if min >= max {
            return Ok(-1);
        }
        self.store_time_at(topic, queue_id, min).await
    }

    /// Every (topic, queue id) with its min and max offsets.
    pub fn queues(&self) -> Vec<(String, i32, i64, i64)> {
        let state = self.inner.state.borrow();
        let mut out = Vec::new();
        for (topic, queues) in &state.queues {
            for (queue_id, queue) in queues {
                out.push((
                    topic.to_string(),
                    *queue_id,
                    queue.min_offset(),
                    queue.max_offset(),
                ));
            }
        }
        out.sort();
        out
    }
}

fn corrupt(what: &str, position: u64) -> StorageError {
    StorageError::Corrupt {
        what: what.to_string(),
        position,
    }
}

/// Pair check of a read: the record is what its entry says.
pub(crate) fn check_record(record: &[u8], entry: &CqEntry) -> StorageResult<()> {
    let position = position_of(entry.physical_offset);
    let header = record
        .get(..36)
        .ok_or_else(|| corrupt("record shorter than header", position))?;
    let size = i32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let magic = i32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    let mut physical = [0u8; 8];
    physical.copy_from_slice(&header[28..36]);
    let physical = i64::from_be_bytes(physical);
    if size != entry.size || record.len() != entry.size as usize {
        return Err(corrupt(
            "record size differs from its queue entry",
            position,
        ));
    }
    if magic != MAGIC_V1 && magic != MAGIC_V2 {
        return Err(corrupt("record magic", position));
    }
    if physical != entry.physical_offset {
        return Err(corrupt(
            "record physical offset differs from its queue entry",
            position,
        ));
    }
    Ok(())
}

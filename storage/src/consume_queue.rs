//! Consume queues: per MessageQueue, the list of its records in the commit
//! log (REMOTING.md §7). Kept in memory for the retained range and written
//! to files of 20-byte entries, big-endian:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | i64 global physical offset of the record |
//! | 8 | 4 | i32 record size (TOTALSIZE) |
//! | 12 | 8 | i64 tags code |
//!
//! Queue offset k lives at byte `(k % entries_per_file) * 20` of file
//! `<dir>/<topic>/<queueId>/<20-digit (k - k % entries_per_file) * 20>`.
//! Files are derived data: the checkpoint says how many entries of each
//! queue are trustworthy, and recovery rebuilds the rest from the log.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::aligned_buf::AlignedBuf;
use crate::backend::BackendFile;
use crate::chunk::{align_down, align_up};

pub const CQ_ENTRY_BYTES: usize = 20;
const PHYSICAL_OFFSET_AT: usize = 0;
const SIZE_AT: usize = PHYSICAL_OFFSET_AT + 8;
const TAGS_CODE_AT: usize = SIZE_AT + 4;
const _: () = assert!(TAGS_CODE_AT + 8 == CQ_ENTRY_BYTES);

/// One entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqEntry {
    pub physical_offset: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqEntry {
    pub fn encode(&self, out: &mut [u8]) {
        assert_eq!(out.len(), CQ_ENTRY_BYTES);
        out[PHYSICAL_OFFSET_AT..SIZE_AT].copy_from_slice(&self.physical_offset.to_be_bytes());
        out[SIZE_AT..TAGS_CODE_AT].copy_from_slice(&self.size.to_be_bytes());
        out[TAGS_CODE_AT..].copy_from_slice(&self.tags_code.to_be_bytes());
    }

    pub fn decode(bytes: &[u8]) -> Option<CqEntry> {
        let field = |from: usize, to: usize| bytes.get(from..to);
        let physical_offset = i64::from_be_bytes(field(0, SIZE_AT)?.try_into().ok()?);
        let size = i32::from_be_bytes(field(SIZE_AT, TAGS_CODE_AT)?.try_into().ok()?);
        let tags_code = i64::from_be_bytes(field(TAGS_CODE_AT, CQ_ENTRY_BYTES)?.try_into().ok()?);
        Some(CqEntry {
            physical_offset,
            size,
            tags_code,
        })
    }
}

/// Key of a MessageQueue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueKey {
    pub topic: Rc<str>,
    pub queue_id: i32,
}

/// One consume queue; owned by the shard's store.
pub struct ConsumeQueue {
    pub key: QueueKey,
    /// Queue offset of `entries[0]` (the minimum offset).
    base_offset: i64,
    entries: VecDeque<CqEntry>,
    /// Entries below this offset are written to files (not necessarily
    /// synced).
    pub flushed_offset: i64,
    pub files: BTreeMap<i64, Rc<dyn BackendFile>>,
}

impl ConsumeQueue {
    pub fn new(key: QueueKey, base_offset: i64) -> ConsumeQueue {
        assert!(base_offset >= 0, "negative base offset {base_offset}");
        ConsumeQueue {
            key,
            base_offset,
            entries: VecDeque::new(),
            flushed_offset: base_offset,
            files: BTreeMap::new(),
        }
    }

    pub fn min_offset(&self) -> i64 {
        self.base_offset
    }

    /// Exclusive: the next offset to assign.
    pub fn max_offset(&self) -> i64 {
        self.base_offset + self.entries.len() as i64
    }

    /// Appends an entry at `max_offset()`, which it returns.
    pub fn push(&mut self, entry: CqEntry) -> i64 {
        if let Some(last) = self.entries.back() {
            assert!(
                entry.physical_offset >= last.physical_offset + i64::from(last.size),
                "consume queue entry at {} overlaps the previous one at {}",
                entry.physical_offset,
                last.physical_offset
            );
        }
        assert!(entry.size > 0, "entry of size {}", entry.size);
        let offset = self.max_offset();
        self.entries.push_back(entry);
        offset
    }

    pub fn get(&self, offset: i64) -> Option<CqEntry> {
        let index = offset.checked_sub(self.base_offset)?;
        self.entries.get(usize::try_from(index).ok()?).copied()
    }

    /// Drops every entry at or after `offset`.
    pub fn truncate(&mut self, offset: i64) {
        let keep = offset.saturating_sub(self.base_offset).max(0) as usize;
        self.entries.truncate(keep);
        self.flushed_offset = self.flushed_offset.min(self.max_offset());
    }

    /// Restarts an empty queue at `offset` (its older records are gone).
    pub fn rebase(&mut self, offset: i64) {
        assert!(offset >= 0, "rebase to {offset}");
        self.entries.clear();
        self.base_offset = offset;
        self.flushed_offset = offset;
    }

    /// Drops entries whose records lie below `min_physical_offset`.
    pub fn drop_below(&mut self, min_physical_offset: i64) {
        while let Some(front) = self.entries.front() {
            if front.physical_offset >= min_physical_offset {
                break;
            }
            self.entries.pop_front();
            self.base_offset += 1;
        }
        self.flushed_offset = self.flushed_offset.max(self.base_offset);
    }

    /// Number of entries whose records start below `physical_offset`, as an
    /// exclusive queue offset.
    pub fn offset_before(&self, physical_offset: i64) -> i64 {
        let count = self
            .entries
            .partition_point(|entry| entry.physical_offset < physical_offset);
        self.base_offset + count as i64
    }

    /// Directory of this queue's files.
    pub fn dir(&self, root: &Path) -> PathBuf {
        queue_dir(root, &self.key)
    }

    /// The writes that bring the files up to `max_offset()`: (file start
    /// offset, byte position in the file, aligned data). Slots below the
    /// minimum offset are written as zeros.
    pub fn plan_writes(&self, entries_per_file: i64) -> Vec<(i64, u64, AlignedBuf)> {
        let mut writes = Vec::new();
        let mut from = self.flushed_offset.max(self.base_offset);
        let to = self.max_offset();
        while from < to {
            let file_start = from - from % entries_per_file;
            let file_end = (file_start + entries_per_file).min(to);
            writes.push(self.plan_file_write(file_start, from, file_end, entries_per_file));
            from = file_end;
        }
        writes
    }

    fn plan_file_write(
        &self,
        file_start: i64,
        from: i64,
        to: i64,
        entries_per_file: i64,
    ) -> (i64, u64, AlignedBuf) {
        let entry_bytes = CQ_ENTRY_BYTES as u64;
        let file_bytes = entries_per_file as u64 * entry_bytes;
        let block_from = align_down((from - file_start) as u64 * entry_bytes);
        let block_to = align_up((to - file_start) as u64 * entry_bytes).min(file_bytes);
        let mut buffer = AlignedBuf::zeroed((block_to - block_from) as usize);
        let first_slot = block_from / entry_bytes;
        let last_slot = block_to.div_ceil(entry_bytes);
        let mut slot_bytes = [0u8; CQ_ENTRY_BYTES];
        for slot in first_slot..last_slot {
            let offset = file_start + slot as i64;
            let Some(entry) = self.get(offset) else {
                continue;
            };
            entry.encode(&mut slot_bytes);
            let slot_position = slot * entry_bytes;
            for (index, byte) in slot_bytes.iter().enumerate() {
                let at = slot_position + index as u64;
                if at >= block_from && at < block_to {
                    buffer.as_mut_slice()[(at - block_from) as usize] = *byte;
                }
            }
        }
        (file_start, block_from, buffer)
    }
}

/// `<root>/<topic>/<queueId>`.
pub fn queue_dir(root: &Path, key: &QueueKey) -> PathBuf {
    root.join(&*key.topic).join(key.queue_id.to_string())
}

/// File of the consume queue holding offsets from `file_start`.
pub fn queue_file_path(dir: &Path, file_start: i64) -> PathBuf {
    dir.join(format!("{:020}", file_start as u64 * CQ_ENTRY_BYTES as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> ConsumeQueue {
        ConsumeQueue::new(
            QueueKey {
                topic: Rc::from("t"),
                queue_id: 0,
            },
            0,
        )
    }

    fn entry(physical_offset: i64) -> CqEntry {
        CqEntry {
            physical_offset,
            size: 100,
            tags_code: 7,
        }
    }

    #[test]
    fn entry_round_trips_big_endian() {
        let mut bytes = [0u8; CQ_ENTRY_BYTES];
        let original = CqEntry {
            physical_offset: -2,
            size: 0x0102_0304,
            tags_code: 42,
        };
        original.encode(&mut bytes);
        assert_eq!(bytes[8..12], [1, 2, 3, 4]);
        assert_eq!(CqEntry::decode(&bytes), Some(original));
    }

    #[test]
    fn retention_moves_the_minimum_offset() {
        let mut queue = queue();
        for index in 0..10 {
            queue.push(entry(index * 100));
        }
        queue.drop_below(450);
        assert_eq!(queue.min_offset(), 5);
        assert_eq!(queue.max_offset(), 10);
        assert_eq!(queue.get(4), None);
        assert_eq!(queue.get(5), Some(entry(500)));
        assert_eq!(queue.offset_before(700), 7);
    }

    #[test]
    fn planned_writes_cover_entries_across_files() {
        let mut queue = queue();
        for index in 0..300 {
            queue.push(entry(index * 100));
        }
        let writes = queue.plan_writes(1024);
        assert_eq!(writes.len(), 1);
        let (_, position, data) = &writes[0];
        assert_eq!(*position, 0);
        let decoded = CqEntry::decode(&data.as_slice()[20 * 299..20 * 300]).unwrap();
        assert_eq!(decoded, entry(29_900));
        let writes = {
            for index in 300..1100 {
                queue.push(entry(index * 100));
            }
            queue.flushed_offset = 300;
            queue.plan_writes(1024)
        };
        assert_eq!(writes.len(), 2);
        assert_eq!(writes[1].0, 1024);
    }
}

//! The in-memory side of one shard's commit log: positions, the write
//! chunks (which double as the read cache) and the open segment files.
//! Everything here is synchronous; `flush.rs` does the I/O.
//!
//! Positions: `append_position` (next byte to write) >= `written_position`
//! (all before it has reached the segment files by completed writes) >=
//! `durable_position` (all before it is on stable storage: a sync of every
//! segment written began after those writes completed) >= `min_position`
//! (start of the oldest retained segment). Writes and syncs are separate
//! rounds so that a sync can run while the next writes go on. A record or batch never crosses a segment end:
//! the rest of the segment gets a blank filler (TOTALSIZE, BLANK_MAGIC) when
//! at least 8 bytes remain, and nothing otherwise.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use thrust_core::message::record::{BLANK_HEADER_SIZE, BLANK_MAGIC};

use crate::aligned_buf::AlignedBuf;
use crate::backend::BackendFile;
use crate::chunk::{align_down, align_up, Chunk};
use crate::config::{BLOCK_BYTES, BLOCK_BYTES_U64};

/// Largest single write a flush issues.
pub const FLUSH_WRITE_BYTES_MAX: u64 = 1 << 20;

/// One write of a flush: `data` (block-aligned length) at `position` of the
/// segment that starts at `segment_start`.
pub struct PlannedWrite {
    pub segment_start: u64,
    pub position: u64,
    pub data: Bytes,
}

/// What one write round writes.
pub struct FlushPlan {
    pub writes: Vec<PlannedWrite>,
    /// Segments written (in order).
    pub segments: Vec<u64>,
    /// The append position when the plan was made: written once done.
    pub target_position: u64,
    /// (chunk id, written position) to record after success.
    marks: Vec<(u64, u64)>,
}

/// The commit log state of one shard. Owned by the shard's `Store`.
pub struct CommitLog {
    pub segment_bytes: u64,
    chunk_bytes: usize,
    cache_bytes_max: usize,
    pub append_position: u64,
    pub written_position: u64,
    pub durable_position: u64,
    pub min_position: u64,
    /// Segments written since the last sync began.
    unsynced_segments: std::collections::BTreeSet<u64>,
    chunks: VecDeque<(u64, Chunk)>,
    next_chunk_id: u64,
    pub segment_files: BTreeMap<u64, Rc<dyn BackendFile>>,
    pub dir: PathBuf,
    /// Memory of evicted chunks of the standard size, reused so that steady
    /// appends neither allocate nor page-fault.
    free_memory: Vec<std::sync::Arc<crate::aligned_buf::SharedBuf>>,
}

/// Most free chunk memories kept for reuse.
const FREE_CHUNKS_MAX: usize = 8;

impl CommitLog {
    /// A log whose data ends at `end_position`; `tail_block` holds the bytes
    /// of the partial block before it (`end % 4096` bytes).
    pub fn new(
        dir: &Path,
        segment_bytes: u64,
        chunk_bytes: usize,
        cache_bytes_max: usize,
        min_position: u64,
        end_position: u64,
        tail_block: &[u8],
    ) -> CommitLog {
        assert!(
            min_position <= end_position,
            "min {min_position} > end {end_position}"
        );
        assert_eq!(
            tail_block.len() as u64,
            end_position % BLOCK_BYTES_U64,
            "tail block size"
        );
        assert_eq!(segment_bytes % BLOCK_BYTES_U64, 0, "segment size");
        let mut log = CommitLog {
            segment_bytes,
            chunk_bytes,
            cache_bytes_max,
            append_position: end_position,
            written_position: end_position,
            durable_position: end_position,
            min_position,
            unsynced_segments: std::collections::BTreeSet::new(),
            chunks: VecDeque::new(),
            next_chunk_id: 0,
            segment_files: BTreeMap::new(),
            dir: dir.to_path_buf(),
            free_memory: Vec::new(),
        };
        let start = align_down(end_position);
        let capacity = log.chunk_capacity(start, BLOCK_BYTES);
        let mut chunk = Chunk::new(start, capacity);
        let copied = chunk.append_with::<()>(tail_block.len(), |target| {
            target.copy_from_slice(tail_block);
            Ok(())
        });
        assert!(copied.is_ok());
        log.push_chunk(chunk);
        log
    }

    /// Start of the segment holding `position`.
    pub fn segment_start(&self, position: u64) -> u64 {
        position - position % self.segment_bytes
    }

    /// File of the segment starting at `start`.
    pub fn segment_path(&self, start: u64) -> PathBuf {
        segment_path(&self.dir, start)
    }

    /// Bytes appended but not yet durable.
    pub fn dirty_bytes(&self) -> u64 {
        self.append_position - self.durable_position
    }

    /// Bytes appended but not yet written to the segment files.
    pub fn unwritten_bytes(&self) -> u64 {
        self.append_position - self.written_position
    }

    fn new_chunk(&mut self, start: u64, capacity: usize) -> Chunk {
        if capacity == self.chunk_bytes {
            if let Some(memory) = self.free_memory.pop() {
                return Chunk::with_memory(start, memory);
            }
        }
        Chunk::new(start, capacity)
    }

    fn recycle(&mut self, chunk: Chunk) {
        if chunk.capacity_bytes() != self.chunk_bytes || self.free_memory.len() >= FREE_CHUNKS_MAX {
            return;
        }
        if let Some(memory) = chunk.into_unshared_memory() {
            self.free_memory.push(memory);
        }
    }

    fn push_chunk(&mut self, chunk: Chunk) {
        let id = self.next_chunk_id;
        self.next_chunk_id += 1;
        self.chunks.push_back((id, chunk));
    }

    fn active(&mut self) -> &mut Chunk {
        match self.chunks.back_mut() {
            Some((_, chunk)) => chunk,
            None => panic!("commit log without an active chunk"),
        }
    }

    /// Capacity for a chunk at `start` that must take `need` bytes.
    fn chunk_capacity(&self, start: u64, need: usize) -> usize {
        let segment_end = self.segment_start(start) + self.segment_bytes;
        let wanted = (self.chunk_bytes as u64).max(align_up(need as u64));
        wanted.min(segment_end - start) as usize
    }

    /// Makes the active chunk able to take `len` bytes at the append
    /// position (which must leave `len` bytes in the segment).
    fn ensure_room(&mut self, len: usize) {
        let position = self.append_position;
        let active = self.active();
        if !active.is_sealed() && active.end_position() == position && active.room_bytes() >= len {
            return;
        }
        let start = align_down(position);
        let partial = (position - start) as usize;
        let capacity = self.chunk_capacity(start, partial + len);
        assert!(
            capacity >= partial + len,
            "chunk of {capacity} cannot take {len} at {position}"
        );
        let mut chunk = self.new_chunk(start, capacity);
        let old = self.active();
        if !old.is_sealed() {
            old.seal(start.max(old.start_position));
        }
        if partial > 0 {
            let head = old.slice(start, position).to_vec();
            let copied = chunk.append_with::<()>(partial, |target| {
                target.copy_from_slice(&head);
                Ok(())
            });
            assert!(copied.is_ok());
        }
        self.push_chunk(chunk);
    }

    /// Appends `len` bytes written by `fill(target, position)` and returns
    /// their position. The bytes never cross a segment end. If `fill` fails
    /// nothing is appended.
    pub fn append<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8], u64) -> Result<(), E>,
    ) -> Result<u64, E> {
        assert!(
            len > 0 && (len as u64) <= self.segment_bytes,
            "append of {len} bytes"
        );
        let segment_end = self.segment_start(self.append_position) + self.segment_bytes;
        if self.append_position + len as u64 > segment_end {
            self.fill_segment_end(segment_end);
        }
        self.ensure_room(len);
        let position = self.append_position;
        self.active()
            .append_with(len, |target| fill(target, position))?;
        self.append_position = position + len as u64;
        assert_eq!(self.active().end_position(), self.append_position);
        Ok(position)
    }

    /// Writes the blank filler (if 8 bytes fit) and moves to the next segment.
    fn fill_segment_end(&mut self, segment_end: u64) {
        let remaining = segment_end - self.append_position;
        if remaining >= BLANK_HEADER_SIZE as u64 {
            self.ensure_room(BLANK_HEADER_SIZE);
            let filler_size = remaining as i32;
            let filled = self
                .active()
                .append_with::<()>(BLANK_HEADER_SIZE, |target| {
                    target[..4].copy_from_slice(&filler_size.to_be_bytes());
                    target[4..8].copy_from_slice(&BLANK_MAGIC.to_be_bytes());
                    Ok(())
                });
            assert!(filled.is_ok());
        }
        let active = self.active();
        let disk_end = align_up(active.end_position()).min(segment_end);
        active.seal(disk_end.max(active.start_position));
        self.append_position = segment_end;
        let capacity = self.chunk_capacity(segment_end, BLOCK_BYTES);
        let chunk = self.new_chunk(segment_end, capacity);
        self.push_chunk(chunk);
    }

    /// The cached bytes `[position, position + len)`, if in memory.
    pub fn cached(&self, position: u64, len: u64) -> Option<Bytes> {
        let end = position + len;
        let (_, chunk) = self
            .chunks
            .iter()
            .rev()
            .find(|(_, c)| c.start_position <= position)?;
        chunk
            .contains(position, end)
            .then(|| chunk.bytes(position, end))
    }

    /// A whole cached chunk range covering `position`, for batched slicing:
    /// returns (chunk start, bytes of the filled part from `position`).
    pub fn cached_from(&self, position: u64) -> Option<(u64, Bytes)> {
        let (_, chunk) = self
            .chunks
            .iter()
            .rev()
            .find(|(_, c)| c.start_position <= position)?;
        let end = chunk.end_position();
        (position < end).then(|| (position, chunk.bytes(position, end)))
    }

    /// Plans the writes of everything appended so far.
    pub fn plan_writes(&self) -> FlushPlan {
        let mut plan = FlushPlan {
            writes: Vec::new(),
            segments: Vec::new(),
            target_position: self.append_position,
            marks: Vec::new(),
        };
        for (id, chunk) in &self.chunks {
            let Some((from, to)) = chunk.pending_write_range() else {
                continue;
            };
            let segment_start = self.segment_start(chunk.start_position);
            if plan.segments.last() != Some(&segment_start) {
                plan.segments.push(segment_start);
            }
            plan_chunk_writes(chunk, segment_start, from, to, &mut plan.writes);
            let mark = chunk
                .disk_end_position
                .unwrap_or_else(|| align_down(chunk.end_position()));
            plan.marks.push((*id, mark));
        }
        plan
    }

    /// Records a successful write round.
    pub fn complete_writes(&mut self, plan: &FlushPlan) {
        assert!(
            plan.target_position >= self.written_position,
            "written position went back"
        );
        assert!(
            plan.target_position <= self.append_position,
            "wrote past the append position"
        );
        for (id, mark) in &plan.marks {
            if let Some((_, chunk)) = self.chunks.iter_mut().find(|(chunk_id, _)| chunk_id == id) {
                chunk.written_position = chunk.written_position.max(*mark);
            }
        }
        self.written_position = plan.target_position;
        self.unsynced_segments.extend(plan.segments.iter().copied());
        self.evict();
    }

    /// Starts a sync: the position it makes durable (everything written so
    /// far) and the segments to sync. Writes completing later are not
    /// covered (their segments stay listed for the next sync).
    pub fn plan_sync(&mut self) -> (u64, Vec<u64>) {
        assert!(
            self.written_position >= self.durable_position,
            "durable past written"
        );
        let segments = std::mem::take(&mut self.unsynced_segments);
        (self.written_position, segments.into_iter().collect())
    }

    /// Records a successful sync planned at `target_position`.
    pub fn complete_sync(&mut self, target_position: u64) {
        assert!(
            target_position <= self.written_position,
            "synced past the written position"
        );
        self.durable_position = self.durable_position.max(target_position);
    }

    /// Drops written chunks from the front while the cache is over budget.
    fn evict(&mut self) {
        let mut cached: usize = self.chunks.iter().map(|(_, c)| c.capacity_bytes()).sum();
        while cached > self.cache_bytes_max && self.chunks.len() > 1 {
            let Some((_, front)) = self.chunks.front() else {
                break;
            };
            if front.pending_write_range().is_some() || !front.is_sealed() {
                break;
            }
            cached -= front.capacity_bytes();
            if let Some((_, chunk)) = self.chunks.pop_front() {
                self.recycle(chunk);
            }
        }
    }

    /// Forgets cached chunks wholly below `min_position` (after retention).
    pub fn drop_below(&mut self, min_position: u64) {
        assert!(
            min_position <= self.durable_position,
            "retention past durable data"
        );
        self.min_position = self.min_position.max(min_position);
        self.unsynced_segments
            .retain(|segment_start| *segment_start >= min_position);
        while self.chunks.len() > 1 {
            let Some((_, front)) = self.chunks.front() else {
                break;
            };
            if front.end_position() > min_position || front.pending_write_range().is_some() {
                break;
            }
            self.chunks.pop_front();
        }
        let removed: Vec<u64> = self
            .segment_files
            .range(..min_position)
            .map(|(start, _)| *start)
            .collect();
        for start in removed {
            self.segment_files.remove(&start);
        }
    }
}

fn plan_chunk_writes(
    chunk: &Chunk,
    segment_start: u64,
    from: u64,
    to: u64,
    writes: &mut Vec<PlannedWrite>,
) {
    let full_end = align_down(chunk.end_position()).min(to);
    let mut position = from;
    while position < full_end {
        let end = (position + FLUSH_WRITE_BYTES_MAX).min(full_end);
        let data = chunk.bytes(position, end);
        writes.push(PlannedWrite {
            segment_start,
            position: position - segment_start,
            data,
        });
        position = end;
    }
    if position < to {
        // The partial last block: data up to the end of the filled part,
        // zeros after it.
        assert_eq!(
            to - position,
            BLOCK_BYTES_U64,
            "partial tail of more than one block"
        );
        let mut block = AlignedBuf::zeroed(BLOCK_BYTES);
        let data_end = chunk.end_position().min(to);
        let bytes = chunk.slice(position, data_end);
        block.as_mut_slice()[..bytes.len()].copy_from_slice(bytes);
        let data = block.into_bytes();
        writes.push(PlannedWrite {
            segment_start,
            position: position - segment_start,
            data,
        });
    }
}

/// `<dir>/<20-digit start position>`.
pub fn segment_path(dir: &Path, start: u64) -> PathBuf {
    dir.join(format!("{start:020}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> CommitLog {
        CommitLog::new(Path::new("/x"), 64 * 1024, 16 * 1024, 1 << 20, 0, 0, &[])
    }

    fn append(log: &mut CommitLog, len: usize, byte: u8) -> u64 {
        log.append::<()>(len, |target, _| {
            target.fill(byte);
            Ok(())
        })
        .unwrap()
    }

    #[test]
    fn records_never_cross_a_segment_end() {
        let mut log = log();
        for _ in 0..6 {
            append(&mut log, 10_000, 1);
        }
        let position = append(&mut log, 10_000, 2);
        assert_eq!(position, 64 * 1024);
        let filler = log.cached(60_000, 8).unwrap();
        assert_eq!(&filler[4..8], &BLANK_MAGIC.to_be_bytes());
    }

    #[test]
    fn every_record_is_one_cached_slice() {
        let mut log = log();
        let mut positions = Vec::new();
        for index in 0..20u8 {
            positions.push((append(&mut log, 3000 + usize::from(index), index), index));
        }
        for (position, index) in positions {
            let bytes = log.cached(position, 3000 + u64::from(index)).unwrap();
            assert!(bytes.iter().all(|byte| *byte == index));
        }
    }

    #[test]
    fn flush_plan_writes_each_block_once_per_chunk() {
        let mut log = log();
        for _ in 0..10 {
            append(&mut log, 5000, 3);
        }
        let plan = log.plan_writes();
        let mut blocks = std::collections::BTreeSet::new();
        for write in &plan.writes {
            assert_eq!(write.data.len() % BLOCK_BYTES, 0);
            let start = write.segment_start + write.position;
            for block in (start..start + write.data.len() as u64).step_by(BLOCK_BYTES) {
                assert!(blocks.insert(block), "block {block} written twice");
            }
        }
        log.complete_writes(&plan);
        assert_eq!(log.written_position, log.append_position);
        assert_eq!(log.durable_position, 0);
        let (target, segments) = log.plan_sync();
        assert_eq!(segments, vec![0]);
        log.complete_sync(target);
        assert_eq!(log.durable_position, log.append_position);
    }
}

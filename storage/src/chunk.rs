//! A write chunk: a 4 KiB-aligned window of one commit log segment held in
//! memory. The active (last) chunk takes appends; older chunks are sealed,
//! wait for their flush and then serve as the read cache.
//!
//! Disk responsibility: a sealed chunk writes `[start, disk_end)`; the next
//! chunk starts exactly at `disk_end` and begins with a copy of the partial
//! block there, so two chunks never write the same block and no record
//! straddles two chunks (reads are single slices).

use std::sync::Arc;

use bytes::Bytes;

use crate::aligned_buf::{chunk_bytes, SharedBuf};
use crate::config::BLOCK_BYTES_U64;

/// Rounds `position` down to a block boundary.
pub fn align_down(position: u64) -> u64 {
    position - position % BLOCK_BYTES_U64
}

/// Rounds `position` up to a block boundary.
pub fn align_up(position: u64) -> u64 {
    align_down(position + BLOCK_BYTES_U64 - 1)
}

/// One chunk. Owned by the commit log; not `Clone`, so it is the only
/// writer of its memory.
pub struct Chunk {
    /// Log position of byte 0; block-aligned.
    pub start_position: u64,
    memory: Arc<SharedBuf>,
    filled_bytes: usize,
    /// Set when sealed: the block-aligned end of what this chunk writes.
    pub disk_end_position: Option<u64>,
    /// Everything below this position has been written for good (no later
    /// flush rewrites it).
    pub written_position: u64,
}

impl Chunk {
    /// A new chunk at `start_position` (aligned) of `capacity_bytes`.
    pub fn new(start_position: u64, capacity_bytes: usize) -> Chunk {
        assert_eq!(
            start_position % BLOCK_BYTES_U64,
            0,
            "chunk start {start_position}"
        );
        Chunk {
            start_position,
            memory: SharedBuf::zeroed(capacity_bytes),
            filled_bytes: 0,
            disk_end_position: None,
            written_position: start_position,
        }
    }

    /// A chunk at `start_position` reusing `memory` (stale bytes in it are
    /// never visible: views and flushes only cover filled bytes, and the
    /// partial last block is copied into a zeroed block before writing).
    pub fn with_memory(start_position: u64, memory: Arc<SharedBuf>) -> Chunk {
        assert_eq!(
            start_position % BLOCK_BYTES_U64,
            0,
            "chunk start {start_position}"
        );
        assert_eq!(
            Arc::strong_count(&memory),
            1,
            "reused chunk memory is still shared"
        );
        Chunk {
            start_position,
            memory,
            filled_bytes: 0,
            disk_end_position: None,
            written_position: start_position,
        }
    }

    /// Gives the memory back for reuse if no `Bytes` view holds it.
    pub fn into_unshared_memory(self) -> Option<Arc<SharedBuf>> {
        (Arc::strong_count(&self.memory) == 1).then_some(self.memory)
    }

    pub fn capacity_bytes(&self) -> usize {
        self.memory.capacity()
    }

    pub fn filled_bytes(&self) -> usize {
        self.filled_bytes
    }

    /// Log position just past the filled bytes.
    pub fn end_position(&self) -> u64 {
        self.start_position + self.filled_bytes as u64
    }

    pub fn is_sealed(&self) -> bool {
        self.disk_end_position.is_some()
    }

    /// Free bytes after the filled part.
    pub fn room_bytes(&self) -> usize {
        self.capacity_bytes() - self.filled_bytes
    }

    /// Appends `len` bytes produced by `fill`, which writes them into the
    /// unfilled memory. If `fill` fails nothing is published and the range
    /// is zeroed again (a flush writes whole blocks: stray bytes past the
    /// last record must not reach the disk).
    pub fn append_with<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        assert!(
            !self.is_sealed(),
            "append to a sealed chunk at {}",
            self.start_position
        );
        assert!(
            len <= self.room_bytes(),
            "append of {len} over room {}",
            self.room_bytes()
        );
        let from = self.filled_bytes;
        // SAFETY: `self` is the chunk's only writer (`Chunk` is not Clone and
        // `&mut self` is held); views only cover `[0, filled_bytes)` and
        // `from == filled_bytes`, so no view overlaps the range.
        let target = unsafe { self.memory.unfilled_slice_mut(from, from + len) };
        if let Err(error) = fill(&mut *target) {
            target.fill(0);
            return Err(error);
        }
        self.filled_bytes = from + len;
        Ok(())
    }

    /// Seals the chunk: it will write up to `disk_end_position`.
    pub fn seal(&mut self, disk_end_position: u64) {
        assert!(
            !self.is_sealed(),
            "chunk {} sealed twice",
            self.start_position
        );
        assert_eq!(
            disk_end_position % BLOCK_BYTES_U64,
            0,
            "disk end {disk_end_position}"
        );
        assert!(
            disk_end_position >= self.start_position,
            "disk end below chunk start"
        );
        assert!(
            disk_end_position <= align_up(self.end_position()),
            "disk end past data"
        );
        self.disk_end_position = Some(disk_end_position);
    }

    /// The filled bytes `[from, to)` (log positions) as a slice.
    pub fn slice(&self, from_position: u64, to_position: u64) -> &[u8] {
        let (from, to) = self.local_range(from_position, to_position);
        // SAFETY: `local_range` asserts `to <= filled_bytes`; filled bytes are
        // never written again.
        unsafe { self.memory.filled_slice(from, to) }
    }

    /// The filled bytes `[from, to)` (log positions) as shared `Bytes`.
    pub fn bytes(&self, from_position: u64, to_position: u64) -> Bytes {
        let (from, to) = self.local_range(from_position, to_position);
        // SAFETY: as in `slice`.
        unsafe { chunk_bytes(&self.memory, from, to) }
    }

    /// True if `[from, to)` lies in the filled part.
    pub fn contains(&self, from_position: u64, to_position: u64) -> bool {
        from_position >= self.start_position && to_position <= self.end_position()
    }

    fn local_range(&self, from_position: u64, to_position: u64) -> (usize, usize) {
        assert!(
            self.contains(from_position, to_position),
            "chunk range out of filled part"
        );
        assert!(from_position <= to_position, "chunk range reversed");
        let from = (from_position - self.start_position) as usize;
        let to = (to_position - self.start_position) as usize;
        (from, to)
    }

    /// The block-aligned range this chunk still has to write, or `None`.
    /// For the active chunk the last partial block is included (it is
    /// rewritten at each flush until it fills).
    pub fn pending_write_range(&self) -> Option<(u64, u64)> {
        let end = self
            .disk_end_position
            .unwrap_or_else(|| align_up(self.end_position()));
        (end > self.written_position).then_some((self.written_position, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_chunk_rewrites_its_partial_tail_block() {
        let mut chunk = Chunk::new(8192, 16384);
        chunk
            .append_with::<()>(100, |bytes| {
                bytes.fill(7);
                Ok(())
            })
            .unwrap();
        assert_eq!(chunk.pending_write_range(), Some((8192, 12288)));
        chunk.written_position = align_down(chunk.end_position());
        assert_eq!(chunk.pending_write_range(), Some((8192, 12288)));
        assert_eq!(&chunk.bytes(8192, 8292)[..], &[7u8; 100][..]);
    }

    #[test]
    fn failed_fill_publishes_nothing() {
        let mut chunk = Chunk::new(0, 16384);
        let result = chunk.append_with(10, |_| Err("no"));
        assert!(result.is_err());
        assert_eq!(chunk.filled_bytes(), 0);
    }

    #[test]
    fn alignment_helpers_round_to_blocks() {
        assert_eq!(align_down(4097), 4096);
        assert_eq!(align_up(4097), 8192);
        assert_eq!(align_up(4096), 4096);
        assert_eq!(align_up(0), 0);
    }
}

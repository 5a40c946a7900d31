//! 4 KiB-aligned heap buffers for O_DIRECT I/O that can become `Bytes`.
//!
//! Why our own allocation: reads hand out `bytes::Bytes` that may travel to
//! another shard with a pull reply, so the owner must be `Send`; glommio's
//! `DmaBuffer` and `ReadResult` are not. [`AlignedBuf`] is a uniquely owned
//! buffer (like `Vec<u8>`); [`SharedBuf`] is the memory of a write chunk,
//! filled by one writer at its end while readers hold `Bytes` views of the
//! part already filled.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::Arc;

use bytes::Bytes;

use crate::config::BLOCK_BYTES;

/// Heap memory of `len` zeroed bytes aligned to [`BLOCK_BYTES`].
struct RawAligned {
    ptr: NonNull<u8>,
    layout: Layout,
}

impl RawAligned {
    fn zeroed(len: usize) -> RawAligned {
        assert!(len > 0, "aligned buffer of zero bytes");
        let layout = match Layout::from_size_align(len, BLOCK_BYTES) {
            Ok(layout) => layout,
            Err(error) => panic!("aligned buffer layout for {len} bytes: {error}"),
        };
        // SAFETY: `layout` has a non-zero size (asserted above).
        let raw = unsafe { alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout);
        };
        RawAligned { ptr, layout }
    }

    fn len(&self) -> usize {
        self.layout.size()
    }
}

impl Drop for RawAligned {
    fn drop(&mut self) {
        // SAFETY: `ptr` was returned by `alloc_zeroed(self.layout)` and is
        // freed exactly once, here.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

// SAFETY: `RawAligned` is the sole owner of a plain heap allocation with no
// thread affinity, exactly like the buffer of a `Vec<u8>`; who may read or
// write it is governed by the wrappers below.
unsafe impl Send for RawAligned {}
// SAFETY: as above; a shared `&RawAligned` gives no access to the bytes by
// itself (the fields are private and the wrappers control access).
unsafe impl Sync for RawAligned {}

/// A uniquely owned, zero-initialised, 4 KiB-aligned byte buffer.
pub struct AlignedBuf {
    raw: RawAligned,
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlignedBuf({} bytes)", self.raw.len())
    }
}

impl AlignedBuf {
    /// `len` zeroed bytes; `len` must be a positive multiple of 4 KiB.
    pub fn zeroed(len: usize) -> AlignedBuf {
        assert!(
            len % BLOCK_BYTES == 0,
            "aligned buffer length {len} not 4 KiB aligned"
        );
        AlignedBuf {
            raw: RawAligned::zeroed(len),
        }
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: the allocation holds `len` initialised (zeroed) bytes and we
        // own it uniquely; the shared borrow of `self` prevents writes.
        unsafe { std::slice::from_raw_parts(self.raw.ptr.as_ptr(), self.raw.len()) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes this the only view.
        unsafe { std::slice::from_raw_parts_mut(self.raw.ptr.as_ptr(), self.raw.len()) }
    }

    /// Freezes the buffer into `Bytes` (no copy).
    pub fn into_bytes(self) -> Bytes {
        Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for AlignedBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// The memory of one write chunk: bytes `[0, filled)` are immutable and may
/// be viewed as `Bytes` from any thread; only the chunk's single writer
/// appends at `filled`. The writer is [`crate::chunk::Chunk`], which owns the
/// `Arc<SharedBuf>` it writes through and is neither `Clone` nor `Send`.
pub struct SharedBuf {
    raw: RawAligned,
}

impl SharedBuf {
    pub fn zeroed(len: usize) -> Arc<SharedBuf> {
        assert!(
            len % BLOCK_BYTES == 0,
            "chunk length {len} not 4 KiB aligned"
        );
        Arc::new(SharedBuf {
            raw: RawAligned::zeroed(len),
        })
    }

    pub fn capacity(&self) -> usize {
        self.raw.len()
    }

    /// A shared view of `[from, to)`.
    ///
    /// # Safety
    /// The caller guarantees `[from, to)` is already filled: no writer will
    /// ever write these bytes again while the returned slice lives.
    pub unsafe fn filled_slice(&self, from: usize, to: usize) -> &[u8] {
        assert!(from <= to, "chunk view from {from} after to {to}");
        assert!(
            to <= self.capacity(),
            "chunk view to {to} over {}",
            self.capacity()
        );
        // SAFETY: in bounds (asserted); immutability is the caller's promise.
        unsafe { std::slice::from_raw_parts(self.raw.ptr.as_ptr().add(from), to - from) }
    }

    /// The unfilled bytes `[from, to)` for the writer.
    ///
    /// # Safety
    /// The caller is the chunk's only writer, `from` is at or past its filled
    /// mark (so no view overlaps) and it holds no other slice of the range.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn unfilled_slice_mut(&self, from: usize, to: usize) -> &mut [u8] {
        assert!(from <= to, "chunk write from {from} after to {to}");
        assert!(
            to <= self.capacity(),
            "chunk write to {to} over {}",
            self.capacity()
        );
        // SAFETY: in bounds (asserted); exclusivity is the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.raw.ptr.as_ptr().add(from), to - from) }
    }
}

/// A `Bytes` owner that keeps a chunk alive and shows its filled range.
struct ChunkView {
    memory: Arc<SharedBuf>,
    from: usize,
    to: usize,
}

impl AsRef<[u8]> for ChunkView {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: a `ChunkView` is only built by `chunk_bytes`, whose caller
        // promised `[from, to)` is filled and thus never written again.
        unsafe { self.memory.filled_slice(self.from, self.to) }
    }
}

/// `Bytes` over the filled range `[from, to)` of a chunk, without a copy.
///
/// # Safety
/// `[from, to)` must be filled (see [`SharedBuf::filled_slice`]).
pub unsafe fn chunk_bytes(memory: &Arc<SharedBuf>, from: usize, to: usize) -> Bytes {
    assert!(
        from <= to && to <= memory.capacity(),
        "chunk bytes [{from}, {to})"
    );
    Bytes::from_owner(ChunkView {
        memory: Arc::clone(memory),
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buf_is_aligned_and_zeroed() {
        let buf = AlignedBuf::zeroed(8192);
        assert_eq!(buf.as_slice().as_ptr() as usize % BLOCK_BYTES, 0);
        assert!(buf.as_slice().iter().all(|byte| *byte == 0));
    }

    #[test]
    fn chunk_view_outlives_writer_handle() {
        let memory = SharedBuf::zeroed(4096);
        // SAFETY: the test is the only writer and no view exists yet.
        unsafe { memory.unfilled_slice_mut(0, 3) }.copy_from_slice(b"abc");
        // SAFETY: [0, 3) was filled above and is never written again.
        let view = unsafe { chunk_bytes(&memory, 0, 3) };
        drop(memory);
        assert_eq!(&view[..], b"abc");
    }
}

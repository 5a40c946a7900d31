//! The file I/O seam: a small async trait the store runs over, so tests can
//! inject faults. [`crate::dma_backend::DmaBackend`] is the real one (glommio
//! DMA files, O_DIRECT); [`crate::sim_backend::SimBackend`] is the
//! simulation (written vs durable bytes, crashes, torn writes, failed
//! fsyncs, ENOSPC).
//!
//! Contract: writes and reads are 4 KiB-aligned in position and length; a
//! write is durable only after a successful `sync` of that file; directory
//! operations (create, remove, rename) are durable once `sync_dir` returns.
//! Futures are `'static` (implementations clone their handles), and each
//! call copies what it needs from its arguments before returning.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;

/// A boxed, single-threaded I/O future.
pub type IoFuture<T> = Pin<Box<dyn Future<Output = io::Result<T>>>>;

/// Space of the filesystem (or quota) holding the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    pub total_bytes: u64,
    pub used_bytes: u64,
}

impl DiskUsage {
    /// Used space in whole percent (0 if the total is unknown).
    pub fn used_percent(&self) -> u32 {
        if self.total_bytes == 0 {
            return 0;
        }
        (u128::from(self.used_bytes) * 100 / u128::from(self.total_bytes)).min(100) as u32
    }
}

/// Filesystem operations of one shard's store.
pub trait Backend {
    /// Called once when a store opens, before any other call, with the
    /// shard directory (the real backend works around a glommio probe bug
    /// here).
    fn prepare(&self, _shard_dir: &Path) -> IoFuture<()> {
        Box::pin(std::future::ready(Ok(())))
    }
    /// Opens `path` for aligned reads and writes, creating it if `create`.
    fn open(&self, path: &Path, create: bool) -> IoFuture<Rc<dyn BackendFile>>;
    /// Creates `path` and its parents.
    fn create_dir_all(&self, path: &Path) -> IoFuture<()>;
    /// Names of the entries of directory `path` (files and directories).
    fn list_dir(&self, path: &Path) -> IoFuture<Vec<String>>;
    /// Removes the file at `path`.
    fn remove_file(&self, path: &Path) -> IoFuture<()>;
    /// Atomically replaces `to` with `from`.
    fn rename(&self, from: &Path, to: &Path) -> IoFuture<()>;
    /// Makes creations and removals in directory `path` durable.
    fn sync_dir(&self, path: &Path) -> IoFuture<()>;
    /// Milliseconds since the epoch of the last write to `path`.
    fn modified_ms(&self, path: &Path) -> IoFuture<i64>;
    /// Space of the filesystem holding `path`.
    fn disk_usage(&self, path: &Path) -> IoFuture<DiskUsage>;
}

/// An open file. All positions and lengths are multiples of 4 KiB.
pub trait BackendFile {
    /// The path the file was opened with (for error messages).
    fn path(&self) -> &PathBuf;
    /// Writes all of `data` at `position` (the data is copied before the
    /// future is returned).
    fn write_at(&self, position: u64, data: &[u8]) -> IoFuture<()>;
    /// Reads up to `len` bytes at `position` into an aligned buffer; shorter
    /// at the end of the file.
    fn read_at(&self, position: u64, len: usize) -> IoFuture<Bytes>;
    /// fdatasync: every completed write so far becomes durable.
    fn sync(&self) -> IoFuture<()>;
    /// The file size in bytes.
    fn size(&self) -> IoFuture<u64>;
    /// Preallocates the file to `size` bytes (reads of unwritten parts give
    /// zeros).
    fn allocate(&self, size: u64) -> IoFuture<()>;
    /// Zeroes `[position, position + len)` (punches a hole; cheap).
    fn discard(&self, position: u64, len: u64) -> IoFuture<()>;
}

/// Joins futures, polling all of them until every one is done, and returns
/// the first error if any failed.
pub async fn join_all(futures: Vec<IoFuture<()>>) -> io::Result<()> {
    let mut pending: Vec<Option<IoFuture<()>>> = futures.into_iter().map(Some).collect();
    let mut first_error: Option<io::Error> = None;
    futures_lite::future::poll_fn(|context| {
        let mut all_done = true;
        for slot in pending.iter_mut() {
            let Some(future) = slot.as_mut() else {
                continue;
            };
            match future.as_mut().poll(context) {
                std::task::Poll::Ready(result) => {
                    if let Err(error) = result {
                        first_error.get_or_insert(error);
                    }
                    *slot = None;
                }
                std::task::Poll::Pending => all_done = false,
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    match first_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

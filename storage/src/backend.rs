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
    /// Lets the runtime's I/O reactor submit and reap I/O before the
    /// calling task goes on (appends that never wait call this now and
    /// then). The simulation has no reactor: ready at once.
    fn yield_to_reactor(&self) -> IoFuture<()> {
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

/// Runs `futures` with at most `depth` of them in flight at once (a
/// sliding window: the next starts as soon as one ends), until all are
/// done or one fails; returns the first error. The futures must be lazy
/// (start their I/O when first polled), as the backends' are.
pub async fn join_bounded(futures: Vec<IoFuture<()>>, depth: usize) -> io::Result<()> {
    assert!(depth > 0, "join of depth 0");
    let mut waiting = futures.into_iter();
    let mut running: Vec<IoFuture<()>> = Vec::with_capacity(depth);
    let mut first_error: Option<io::Error> = None;
    futures_lite::future::poll_fn(|context| {
        loop {
            while first_error.is_none() && running.len() < depth {
                match waiting.next() {
                    Some(future) => running.push(future),
                    None => break,
                }
            }
            let before = running.len();
            running.retain_mut(|future| match future.as_mut().poll(context) {
                std::task::Poll::Ready(result) => {
                    if let Err(error) = result {
                        first_error.get_or_insert(error);
                    }
                    false
                }
                std::task::Poll::Pending => true,
            });
            if running.is_empty() && (first_error.is_some() || waiting.len() == 0) {
                return std::task::Poll::Ready(());
            }
            // Refill at once if some ended; otherwise wait for a wake-up.
            if running.len() == before {
                return std::task::Poll::Pending;
            }
        }
    })
    .await;
    match first_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    /// A lazy future that counts how many run at once and yields once.
    fn counted(running: Rc<Cell<usize>>, peak: Rc<Cell<usize>>, fail: bool) -> IoFuture<()> {
        Box::pin(async move {
            running.set(running.get() + 1);
            peak.set(peak.get().max(running.get()));
            futures_lite::future::yield_now().await;
            running.set(running.get() - 1);
            if fail {
                Err(io::Error::other("injected"))
            } else {
                Ok(())
            }
        })
    }

    #[test]
    fn join_bounded_keeps_at_most_depth_in_flight_and_runs_all() {
        let (running, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let done = Rc::new(Cell::new(0));
        let futures: Vec<IoFuture<()>> = (0..20)
            .map(|_| {
                let (inner, done) = (counted(running.clone(), peak.clone(), false), done.clone());
                Box::pin(async move {
                    inner.await?;
                    done.set(done.get() + 1);
                    Ok(())
                }) as IoFuture<()>
            })
            .collect();
        futures_lite::future::block_on(join_bounded(futures, 3)).expect("all succeed");
        assert_eq!(done.get(), 20);
        assert_eq!(peak.get(), 3);
        assert_eq!(running.get(), 0);
    }

    #[test]
    fn join_bounded_reports_the_first_error() {
        let (running, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let futures: Vec<IoFuture<()>> = (0..10)
            .map(|index| counted(running.clone(), peak.clone(), index == 1))
            .collect();
        let result = futures_lite::future::block_on(join_bounded(futures, 2));
        assert!(result.is_err());
        assert_eq!(running.get(), 0, "started futures all finished");
    }
}

//! The simulation backend: an in-memory filesystem that keeps written bytes
//! apart from durable bytes and injects faults, deterministically from a
//! seed.
//!
//! - A write changes what reads see at once and is queued as *pending*; a
//!   successful `sync` of the file makes its pending writes durable.
//! - [`SimBackend::crash`] throws away what was not durable, except that each
//!   512-byte sector of a pending write may or may not have reached the disk
//!   (torn writes, sector-atomic as real devices are).
//! - Faults, drawn from the seeded RNG: a write fails (EIO), a sync fails
//!   (EIO, and its writes stay pending: they may or may not survive a crash),
//!   and a quota on allocated bytes makes writes and preallocation fail with
//!   ENOSPC.
//! - Simplification: directory operations (create, remove) are durable at
//!   once; files' sizes and preallocation too.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;

use crate::aligned_buf::AlignedBuf;
use crate::backend::{Backend, BackendFile, DiskUsage, IoFuture};
use crate::config::BLOCK_BYTES;
use crate::sim_rng::SimRng;

const SECTOR_BYTES: usize = 512;

/// Fault rates, in per mille per operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimFaults {
    pub write_error_per_mille: u32,
    pub sync_error_per_mille: u32,
    /// At a crash, keep each pending sector with probability 1/2 (else all
    /// pending writes are lost).
    pub torn_writes: bool,
}

#[derive(Debug, Default)]
struct SimFile {
    visible: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<(usize, Vec<u8>)>,
    modified_ms: i64,
}

#[derive(Debug)]
struct SimDisk {
    files: BTreeMap<PathBuf, SimFile>,
    dirs: std::collections::BTreeSet<PathBuf>,
    quota_bytes: u64,
    rng: SimRng,
    faults: SimFaults,
    clock_ms: i64,
    injected_faults: u64,
}

impl SimDisk {
    fn used_bytes(&self) -> u64 {
        self.files
            .values()
            .map(|file| file.visible.len() as u64)
            .sum()
    }

    fn grow(&mut self, path: &Path, size: usize) -> io::Result<()> {
        let current = self.files.get(path).map_or(0, |file| file.visible.len());
        if size <= current {
            return Ok(());
        }
        let extra = (size - current) as u64;
        if self.used_bytes() + extra > self.quota_bytes {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        let file = self.files.get_mut(path).ok_or_else(not_found)?;
        file.visible.resize(size, 0);
        file.durable.resize(size, 0);
        Ok(())
    }

    fn file(&mut self, path: &Path) -> io::Result<&mut SimFile> {
        self.files.get_mut(path).ok_or_else(not_found)
    }
}

fn not_found() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOENT)
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(libc::EIO)
}

/// Handle on a simulated disk; clones share it (the disk outlives stores, so
/// a test can crash it and reopen a store on what remains).
#[derive(Clone)]
pub struct SimBackend {
    disk: Rc<RefCell<SimDisk>>,
}

impl std::fmt::Debug for SimBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimBackend")
    }
}

impl SimBackend {
    /// An empty disk of `quota_bytes`, faults drawn from `seed`.
    pub fn new(seed: u64, quota_bytes: u64, faults: SimFaults) -> SimBackend {
        let disk = SimDisk {
            files: BTreeMap::new(),
            dirs: Default::default(),
            quota_bytes,
            rng: SimRng::new(seed),
            faults,
            clock_ms: 0,
            injected_faults: 0,
        };
        SimBackend {
            disk: Rc::new(RefCell::new(disk)),
        }
    }

    /// Changes the fault rates (e.g. none while verifying).
    pub fn set_faults(&self, faults: SimFaults) {
        self.disk.borrow_mut().faults = faults;
    }

    /// Changes the quota.
    pub fn set_quota(&self, quota_bytes: u64) {
        self.disk.borrow_mut().quota_bytes = quota_bytes;
    }

    /// Sets the time that writes stamp as modification time.
    pub fn set_clock_ms(&self, now_ms: i64) {
        self.disk.borrow_mut().clock_ms = now_ms;
    }

    /// Faults injected so far.
    pub fn injected_faults(&self) -> u64 {
        self.disk.borrow().injected_faults
    }

    /// Bytes allocated by all files.
    pub fn used_bytes(&self) -> u64 {
        self.disk.borrow().used_bytes()
    }

    /// Paths of all files.
    pub fn file_paths(&self) -> Vec<PathBuf> {
        self.disk.borrow().files.keys().cloned().collect()
    }

    /// Power loss: every file goes back to its durable bytes plus, with torn
    /// writes on, a random subset of the sectors of its pending writes.
    pub fn crash(&self) {
        let mut disk = self.disk.borrow_mut();
        let disk = &mut *disk;
        let torn = disk.faults.torn_writes;
        for file in disk.files.values_mut() {
            let mut image = file.durable.clone();
            for (position, data) in file.pending.drain(..) {
                if !torn {
                    continue;
                }
                for (index, sector) in data.chunks(SECTOR_BYTES).enumerate() {
                    if disk.rng.chance(500) {
                        let at = position + index * SECTOR_BYTES;
                        let end = (at + sector.len()).min(image.len());
                        if at < end {
                            image[at..end].copy_from_slice(&sector[..end - at]);
                        }
                    }
                }
            }
            file.durable = image.clone();
            file.visible = image;
        }
    }

    fn draw_fault(&self, per_mille: u32) -> bool {
        let mut disk = self.disk.borrow_mut();
        let fault = per_mille > 0 && disk.rng.chance(per_mille);
        if fault {
            disk.injected_faults += 1;
        }
        fault
    }
}

thread_local! {
    /// When set, every simulated I/O returns `Pending` once before its
    /// result, so concurrent appends interleave (group commit) while the
    /// run stays deterministic.
    static YIELD_ONCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes simulated I/O yield once per operation on this thread.
pub fn set_yield_once(enabled: bool) {
    YIELD_ONCE.with(|cell| cell.set(enabled));
}

fn ready<T: 'static>(result: io::Result<T>) -> IoFuture<T> {
    if !YIELD_ONCE.with(|cell| cell.get()) {
        return Box::pin(std::future::ready(result));
    }
    let mut result = Some(result);
    let mut yielded = false;
    Box::pin(futures_lite::future::poll_fn(move |context| {
        if !yielded {
            yielded = true;
            context.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        match result.take() {
            Some(result) => std::task::Poll::Ready(result),
            None => std::task::Poll::Pending,
        }
    }))
}

impl Backend for SimBackend {
    fn open(&self, path: &Path, create: bool) -> IoFuture<Rc<dyn BackendFile>> {
        let mut disk = self.disk.borrow_mut();
        if !disk.files.contains_key(path) {
            if !create {
                return ready(Err(not_found()));
            }
            disk.files.insert(path.to_path_buf(), SimFile::default());
        }
        let file: Rc<dyn BackendFile> = Rc::new(SimFileHandle {
            backend: self.clone(),
            path: path.to_path_buf(),
        });
        ready(Ok(file))
    }

    fn create_dir_all(&self, path: &Path) -> IoFuture<()> {
        let mut disk = self.disk.borrow_mut();
        for ancestor in path.ancestors() {
            disk.dirs.insert(ancestor.to_path_buf());
        }
        ready(Ok(()))
    }

    fn list_dir(&self, path: &Path) -> IoFuture<Vec<String>> {
        let disk = self.disk.borrow();
        let mut names = std::collections::BTreeSet::new();
        let children = disk.files.keys().chain(disk.dirs.iter());
        for child in children {
            if child.parent() == Some(path) {
                if let Some(name) = child.file_name() {
                    names.insert(name.to_string_lossy().into_owned());
                }
            }
        }
        ready(Ok(names.into_iter().collect()))
    }

    fn remove_file(&self, path: &Path) -> IoFuture<()> {
        let removed = self.disk.borrow_mut().files.remove(path);
        ready(removed.map(|_| ()).ok_or_else(not_found))
    }

    fn rename(&self, from: &Path, to: &Path) -> IoFuture<()> {
        let mut disk = self.disk.borrow_mut();
        let Some(mut file) = disk.files.remove(from) else {
            return ready(Err(not_found()));
        };
        // A rename is durable at once here: only durable bytes move along,
        // callers sync the file before renaming it.
        file.visible = file.durable.clone();
        file.pending.clear();
        disk.files.insert(to.to_path_buf(), file);
        ready(Ok(()))
    }

    fn sync_dir(&self, _path: &Path) -> IoFuture<()> {
        ready(Ok(()))
    }

    fn modified_ms(&self, path: &Path) -> IoFuture<i64> {
        let disk = self.disk.borrow();
        ready(
            disk.files
                .get(path)
                .map(|file| file.modified_ms)
                .ok_or_else(not_found),
        )
    }

    fn disk_usage(&self, _path: &Path) -> IoFuture<DiskUsage> {
        let disk = self.disk.borrow();
        ready(Ok(DiskUsage {
            total_bytes: disk.quota_bytes,
            used_bytes: disk.used_bytes(),
        }))
    }
}

struct SimFileHandle {
    backend: SimBackend,
    path: PathBuf,
}

fn assert_aligned(position: u64, len: usize) {
    assert_eq!(
        position % BLOCK_BYTES as u64,
        0,
        "unaligned O_DIRECT position {position}"
    );
    assert_eq!(len % BLOCK_BYTES, 0, "unaligned O_DIRECT length {len}");
}

impl BackendFile for SimFileHandle {
    fn path(&self) -> &PathBuf {
        &self.path
    }

    fn write_at(&self, position: u64, data: &[u8]) -> IoFuture<()> {
        assert_aligned(position, data.len());
        let rate = self.backend.disk.borrow().faults.write_error_per_mille;
        if self.backend.draw_fault(rate) {
            return ready(Err(eio()));
        }
        let mut disk = self.backend.disk.borrow_mut();
        let at = position as usize;
        let end = at + data.len();
        if let Err(error) = disk.grow(&self.path, end) {
            return ready(Err(error));
        }
        let now = disk.clock_ms;
        let file = match disk.file(&self.path) {
            Ok(file) => file,
            Err(error) => return ready(Err(error)),
        };
        file.visible[at..end].copy_from_slice(data);
        file.pending.push((at, data.to_vec()));
        file.modified_ms = now;
        ready(Ok(()))
    }

    fn read_at(&self, position: u64, len: usize) -> IoFuture<Bytes> {
        assert_aligned(position, len);
        let mut disk = self.backend.disk.borrow_mut();
        let file = match disk.file(&self.path) {
            Ok(file) => file,
            Err(error) => return ready(Err(error)),
        };
        let at = (position as usize).min(file.visible.len());
        let end = (at + len).min(file.visible.len());
        if end == at {
            return ready(Ok(Bytes::new()));
        }
        let mut buf = AlignedBuf::zeroed((end - at).div_ceil(BLOCK_BYTES) * BLOCK_BYTES);
        buf.as_mut_slice()[..end - at].copy_from_slice(&file.visible[at..end]);
        ready(Ok(buf.into_bytes().slice(..end - at)))
    }

    fn sync(&self) -> IoFuture<()> {
        let rate = self.backend.disk.borrow().faults.sync_error_per_mille;
        if self.backend.draw_fault(rate) {
            return ready(Err(eio()));
        }
        let mut disk = self.backend.disk.borrow_mut();
        let file = match disk.file(&self.path) {
            Ok(file) => file,
            Err(error) => return ready(Err(error)),
        };
        for (at, data) in file.pending.drain(..) {
            file.durable[at..at + data.len()].copy_from_slice(&data);
        }
        ready(Ok(()))
    }

    fn size(&self) -> IoFuture<u64> {
        let mut disk = self.backend.disk.borrow_mut();
        ready(disk.file(&self.path).map(|file| file.visible.len() as u64))
    }

    fn allocate(&self, size: u64) -> IoFuture<()> {
        let mut disk = self.backend.disk.borrow_mut();
        ready(disk.grow(&self.path, size as usize))
    }

    fn discard(&self, position: u64, len: u64) -> IoFuture<()> {
        assert_aligned(position, len as usize);
        let mut disk = self.backend.disk.borrow_mut();
        let file = match disk.file(&self.path) {
            Ok(file) => file,
            Err(error) => return ready(Err(error)),
        };
        let size = file.visible.len();
        let at = (position as usize).min(size);
        let end = (position + len).min(size as u64) as usize;
        file.visible[at..end].fill(0);
        file.durable[at..end].fill(0);
        file.pending
            .retain(|(start, data)| start + data.len() <= at || *start >= end);
        ready(Ok(()))
    }
}

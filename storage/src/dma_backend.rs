//! The real backend: glommio DMA files (O_DIRECT through io_uring).
//!
//! Writes copy the caller's bytes into a glommio `DmaBuffer` (glommio takes
//! only its own buffers; the copy runs at memcpy speed, about 8x the disk's)
//! and go through the ring; fdatasync goes through the ring; reads land in a
//! glommio buffer and are copied into an [`AlignedBuf`] so the result can be
//! a `Send` `Bytes`. Directory listing, `statvfs` and mtime are short
//! blocking metadata calls run on glommio's blocking pool.

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bytes::Bytes;
use glommio::io::{DmaFile, OpenOptions};

use crate::aligned_buf::AlignedBuf;
use crate::backend::{Backend, BackendFile, DiskUsage, IoFuture};
use crate::config::BLOCK_BYTES;

/// glommio DMA file backend. Must be used inside a glommio executor.
#[derive(Debug, Default, Clone)]
pub struct DmaBackend;

fn to_io(error: glommio::GlommioError<()>) -> io::Error {
    io::Error::from(error)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    glommio::executor().spawn_blocking(work).await
}

impl Backend for DmaBackend {
    /// glommio decides once per device and thread whether reads may use the
    /// polled ring, by reading 512 bytes of the first DMA file it opens. If
    /// that file is empty the read never reaches the device, the probe
    /// "succeeds", and every later read fails with EOPNOTSUPP on devices
    /// without poll queues (virtio here). So the first file we open is a
    /// probe file holding one real block.
    fn prepare(&self, shard_dir: &Path) -> IoFuture<()> {
        let dir = shard_dir.to_path_buf();
        Box::pin(async move {
            let probe = dir.join(".iopoll-probe");
            let probe_path = probe.clone();
            blocking(move || {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(&probe_path, vec![0u8; BLOCK_BYTES])
            })
            .await?;
            let file = OpenOptions::new()
                .read(true)
                .dma_open(&probe)
                .await
                .map_err(to_io)?;
            let read = file.read_at_aligned(0, BLOCK_BYTES).await;
            if let Err(error) = read {
                log::warn!("iopoll probe read of {}: {error}", probe.display());
            }
            file.close().await.map_err(to_io)?;
            blocking(move || std::fs::remove_file(probe)).await
        })
    }

    /// glommio polls its rings only between task-queue runs, and a task
    /// that stays runnable (even one that yields) keeps the queue running
    /// for up to the 100 ms preemption period. A timer is serviced by the
    /// reactor, so a 1 µs sleep parks the task until the reactor has run.
    fn yield_to_reactor(&self) -> IoFuture<()> {
        Box::pin(async {
            glommio::timer::sleep(std::time::Duration::from_micros(1)).await;
            Ok(())
        })
    }

    fn open(&self, path: &Path, create: bool) -> IoFuture<Rc<dyn BackendFile>> {
        let path = path.to_path_buf();
        Box::pin(async move {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(create)
                .dma_open(&path)
                .await
                .map_err(to_io)?;
            let file: Rc<dyn BackendFile> = Rc::new(DmaBackendFile {
                file: Rc::new(file),
                path,
            });
            Ok(file)
        })
    }

    fn create_dir_all(&self, path: &Path) -> IoFuture<()> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || std::fs::create_dir_all(path)))
    }

    fn list_dir(&self, path: &Path) -> IoFuture<Vec<String>> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || {
            let mut names = Vec::new();
            for entry in std::fs::read_dir(path)? {
                names.push(entry?.file_name().to_string_lossy().into_owned());
            }
            names.sort();
            Ok(names)
        }))
    }

    fn remove_file(&self, path: &Path) -> IoFuture<()> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || std::fs::remove_file(path)))
    }

    fn rename(&self, from: &Path, to: &Path) -> IoFuture<()> {
        let (from, to) = (from.to_path_buf(), to.to_path_buf());
        Box::pin(blocking(move || std::fs::rename(from, to)))
    }

    fn sync_dir(&self, path: &Path) -> IoFuture<()> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || std::fs::File::open(path)?.sync_all()))
    }

    fn modified_ms(&self, path: &Path) -> IoFuture<i64> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || {
            let modified = std::fs::metadata(path)?.modified()?;
            let since = modified
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Ok(since.as_millis() as i64)
        }))
    }

    fn disk_usage(&self, path: &Path) -> IoFuture<DiskUsage> {
        let path = path.to_path_buf();
        Box::pin(blocking(move || statvfs_usage(&path)))
    }
}

fn statvfs_usage(path: &Path) -> io::Result<DiskUsage> {
    use std::os::unix::ffi::OsStrExt;
    let mut bytes = path.as_os_str().as_bytes().to_vec();
    bytes.push(0);
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `bytes` is NUL-terminated and lives across the call; `stat`
    // points to writable memory of the right size.
    let rc = unsafe { libc::statvfs(bytes.as_ptr().cast(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    Ok(usage_from_blocks(
        stat.f_blocks,
        stat.f_bfree,
        stat.f_bavail,
        stat.f_frsize,
    ))
}

/// Disk usage as df's Use%: used = blocks - free, measured against what is
/// used plus what this process may still allocate (available). Blocks
/// reserved for root or held back by the host are in neither, so a
/// filesystem with a large reserve is not reported as nearly full.
fn usage_from_blocks(blocks: u64, free: u64, available: u64, fragment_bytes: u64) -> DiskUsage {
    let used_bytes = blocks.saturating_sub(free).saturating_mul(fragment_bytes);
    let available_bytes = available.saturating_mul(fragment_bytes);
    DiskUsage {
        total_bytes: used_bytes.saturating_add(available_bytes),
        used_bytes,
    }
}

struct DmaBackendFile {
    file: Rc<DmaFile>,
    path: PathBuf,
}

impl BackendFile for DmaBackendFile {
    fn path(&self) -> &PathBuf {
        &self.path
    }

    fn write_at(&self, position: u64, data: &[u8]) -> IoFuture<()> {
        assert_eq!(
            position % BLOCK_BYTES as u64,
            0,
            "unaligned write at {position}"
        );
        assert_eq!(
            data.len() % BLOCK_BYTES,
            0,
            "unaligned write of {} bytes",
            data.len()
        );
        let mut buffer = self.file.alloc_dma_buffer(data.len());
        buffer.as_bytes_mut().copy_from_slice(data);
        let file = Rc::clone(&self.file);
        let expected = data.len();
        Box::pin(async move {
            let written = file.write_at(buffer, position).await.map_err(to_io)?;
            if written != expected {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    format!("short O_DIRECT write: {written} of {expected} bytes"),
                ));
            }
            Ok(())
        })
    }

    fn read_at(&self, position: u64, len: usize) -> IoFuture<Bytes> {
        assert_eq!(
            position % BLOCK_BYTES as u64,
            0,
            "unaligned read at {position}"
        );
        assert_eq!(len % BLOCK_BYTES, 0, "unaligned read of {len} bytes");
        let file = Rc::clone(&self.file);
        Box::pin(async move {
            let result = file.read_at_aligned(position, len).await.map_err(to_io)?;
            if result.is_empty() {
                return Ok(Bytes::new());
            }
            let mut buffer = AlignedBuf::zeroed(result.len().div_ceil(BLOCK_BYTES) * BLOCK_BYTES);
            buffer.as_mut_slice()[..result.len()].copy_from_slice(&result);
            Ok(buffer.into_bytes().slice(..result.len()))
        })
    }

    fn sync(&self) -> IoFuture<()> {
        let file = Rc::clone(&self.file);
        Box::pin(async move { file.fdatasync().await.map_err(to_io) })
    }

    fn size(&self) -> IoFuture<u64> {
        let file = Rc::clone(&self.file);
        Box::pin(async move { file.file_size().await.map_err(to_io) })
    }

    fn allocate(&self, size: u64) -> IoFuture<()> {
        let file = Rc::clone(&self.file);
        Box::pin(async move { file.pre_allocate(size, false).await.map_err(to_io) })
    }

    fn discard(&self, position: u64, len: u64) -> IoFuture<()> {
        let file = Rc::clone(&self.file);
        Box::pin(async move { file.deallocate(position, len).await.map_err(to_io) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a host holding most free blocks back from `f_bavail`
    /// (df: 252G size, 67G used, 25G available) read as 90% used and the
    /// hard watermark refused every append; df says 73%.
    #[test]
    fn usage_ignores_blocks_held_back_from_every_user() {
        let usage = usage_from_blocks(66_053_021, 48_508_728, 6_331_023, 4096);
        assert_eq!(usage.used_percent(), 73);
        let full = usage_from_blocks(1000, 100, 0, 4096);
        assert_eq!(full.used_percent(), 100);
        let empty = usage_from_blocks(1000, 1000, 1000, 4096);
        assert_eq!(empty.used_percent(), 0);
    }
}

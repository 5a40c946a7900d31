//! Retention: whole commit log segments older than `fileReservedTime` go at
//! a `deleteWhen` hour, or sooner, oldest first and expired or not, while
//! disk use is at or above `diskMaxUsedSpaceRatio`. Consume queues follow
//! (their minimum offsets move, their files wholly below go), and so does
//! the key index (the units of deleted segments and their files go). The
//! active segment and segments holding non-durable data are never deleted.

use crate::consume_queue::queue_file_path;
use crate::error::{StorageError, StorageResult};
use crate::key_index_file::remove_if_present;
use crate::physical_offset::PhysicalOffset;
use crate::store::Store;

/// Most segments one retention pass deletes.
pub const DELETE_SEGMENTS_MAX: usize = 10;

/// What a retention pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionOutcome {
    pub deleted_segments: usize,
    pub min_position: u64,
    pub disk_used_percent: u32,
}

/// The local hour of day (0..24) at `now_ms`.
pub fn local_hour(now_ms: i64) -> u8 {
    let seconds: libc::time_t = (now_ms / 1000) as libc::time_t;
    let mut parts = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: both pointers are valid for the call; localtime_r is the
    // re-entrant variant and writes only into `parts`.
    let result = unsafe { libc::localtime_r(&seconds, parts.as_mut_ptr()) };
    if result.is_null() {
        return 0;
    }
    // SAFETY: localtime_r succeeded, so it initialised `parts`.
    let parts = unsafe { parts.assume_init() };
    parts.tm_hour.clamp(0, 23) as u8
}

impl Store {
    /// One retention pass at `now_ms`, `hour_of_day` being the local hour.
    ///
    /// # Errors
    /// I/O errors of statvfs, stat and remove.
    pub async fn run_retention(
        &self,
        now_ms: i64,
        hour_of_day: u8,
    ) -> StorageResult<RetentionOutcome> {
        let config = &self.inner.config;
        let usage = self.refresh_disk_usage().await?;
        let segment_bytes = config.maped_file_size_commit_log;
        let pressure = usage.used_percent() >= config.disk_max_used_space_ratio_percent;
        let delete_hour = config.delete_hours().contains(&hour_of_day);
        let reserved_ms = (config.file_reserved_time_hours as i64).saturating_mul(3_600_000);
        let (candidates, log_dir) = {
            let state = self.inner.state.borrow();
            let log = &state.log;
            let limit = log
                .segment_start(log.durable_position)
                .min(log.segment_start(log.append_position));
            let starts: Vec<u64> = (log.min_position..limit)
                .step_by(segment_bytes as usize)
                .collect();
            (starts, log.dir.clone())
        };
        let mut used_bytes = usage.used_bytes;
        let mut new_min = None;
        for start in candidates.into_iter().take(DELETE_SEGMENTS_MAX) {
            let path = crate::commit_log::segment_path(&log_dir, start);
            let modified = self.inner.backend.modified_ms(&path).await;
            let modified =
                modified.map_err(|error| StorageError::io("stat", path.display(), error))?;
            let expired = modified.saturating_add(reserved_ms) <= now_ms;
            let still_pressed = usage.total_bytes > 0
                && used_bytes * 100 / usage.total_bytes
                    >= u64::from(config.disk_max_used_space_ratio_percent);
            if !((expired && (delete_hour || pressure)) || (pressure && still_pressed)) {
                break;
            }
            new_min = Some(start + segment_bytes);
            used_bytes = used_bytes.saturating_sub(segment_bytes);
        }
        let deleted_segments = match new_min {
            Some(new_min) => self.delete_below(new_min).await?,
            None => 0,
        };
        let usage = self.refresh_disk_usage().await?;
        Ok(RetentionOutcome {
            deleted_segments,
            min_position: self.min_position(),
            disk_used_percent: usage.used_percent(),
        })
    }

    /// Deletes every segment below `new_min` and the queue and key index
    /// data over them.
    async fn delete_below(&self, new_min: u64) -> StorageResult<usize> {
        let config = &self.inner.config;
        let entries_per_file = config.consume_queue_entries_per_file as i64;
        let min_physical = PhysicalOffset::new(config.shard_id, new_min).0;
        let (old_min, log_dir, queue_files, key_files, key_dir) = {
            let mut state = self.inner.state.borrow_mut();
            let old_min = state.log.min_position;
            state.log.drop_below(new_min);
            let key_files = state.key_index.drop_below(new_min);
            let key_dir = state.key_index.dir.clone();
            let mut queue_files = Vec::new();
            for queues in state.queues.values_mut() {
                for queue in queues.values_mut() {
                    let before = queue.min_offset();
                    queue.drop_below(min_physical);
                    let dir = queue.dir(&self.inner.queue_root);
                    let mut file_start = before - before % entries_per_file;
                    while file_start + entries_per_file <= queue.min_offset() {
                        queue.files.remove(&file_start);
                        queue_files.push(queue_file_path(&dir, file_start));
                        file_start += entries_per_file;
                    }
                }
            }
            let log_dir = state.log.dir.clone();
            (old_min, log_dir, queue_files, key_files, key_dir)
        };
        let backend = &self.inner.backend;
        let segment_bytes = config.maped_file_size_commit_log;
        let mut deleted = 0;
        for start in (old_min..new_min).step_by(segment_bytes as usize) {
            let path = crate::commit_log::segment_path(&log_dir, start);
            log::info!("retention removes {}", path.display());
            let removed = backend.remove_file(&path).await;
            removed.map_err(|error| StorageError::io("remove segment", path.display(), error))?;
            deleted += 1;
        }
        backend
            .sync_dir(&log_dir)
            .await
            .map_err(|error| StorageError::io("sync dir", log_dir.display(), error))?;
        for path in queue_files {
            if let Err(error) = backend.remove_file(&path).await {
                if error.kind() != std::io::ErrorKind::NotFound {
                    return Err(StorageError::io("remove queue file", path.display(), error));
                }
            }
        }
        for path in &key_files {
            remove_if_present(backend, path).await?;
        }
        if !key_files.is_empty() {
            backend
                .sync_dir(&key_dir)
                .await
                .map_err(|error| StorageError::io("sync dir", key_dir.display(), error))?;
        }
        Ok(deleted)
    }
}

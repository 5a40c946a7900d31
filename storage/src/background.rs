//! The store's periodic work, run as one task per shard by the broker:
//! async flushes every `flushIntervalCommitLog`, consume queues and the
//! checkpoint every `flushIntervalConsumeQueue`, and every ten seconds a
//! disk-usage check and a retention pass.

use std::time::Duration;

use crate::config::FlushDiskType;
use crate::retention::local_hour;
use crate::store::Store;

/// Clears `background_running` when the loop ends or its task is dropped.
struct RunningGuard<'a>(&'a Store);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.inner.background_running.set(false);
        // Wake back-pressured appends: they now flush themselves.
        self.0.inner.flush_signal.bump();
    }
}

/// Dirty bytes at which the async flusher starts a round at once.
pub const FLUSH_LEAST_BYTES: u64 = 16 * 1024;

/// Period of the disk-usage check and retention pass.
pub const RETENTION_INTERVAL_MS: u64 = 10_000;

impl Store {
    /// Runs until the store is closed. Errors are logged (a failed flush
    /// already makes the store refuse writes).
    pub async fn run_background(&self) {
        let config = self.config().clone();
        let tick_ms = match config.flush_disk_type {
            FlushDiskType::AsyncFlush => config.flush_interval_commit_log_ms.clamp(1, 1000),
            FlushDiskType::SyncFlush => config.flush_interval_consume_queue_ms.clamp(1, 1000),
        };
        let mut since_queue_flush_ms = 0u64;
        let mut since_retention_ms = 0u64;
        self.inner.background_running.set(true);
        let _running = RunningGuard(self);
        while !self.inner.state.borrow().closed {
            let behind = {
                let dirty_bytes = self.inner.state.borrow().log.dirty_bytes();
                dirty_bytes >= FLUSH_LEAST_BYTES
            };
            if behind && !self.is_failed() && config.flush_disk_type == FlushDiskType::AsyncFlush {
                // Like Apache's flushPhysicQueueLeastPages (4 pages): under
                // load, flush back to back so the disk stays busy while
                // appends go on filling memory.
                if let Err(error) = self.flush().await {
                    log::error!("back-to-back flush: {error}");
                    break;
                }
                continue;
            }
            let seen = self.inner.flush_request.epoch();
            let requested = self.inner.flush_request.changed(seen);
            let slept = futures_lite::future::or(
                async {
                    glommio::timer::sleep(Duration::from_millis(tick_ms)).await;
                    true
                },
                async {
                    requested.await;
                    false
                },
            )
            .await;
            if !slept {
                if let Err(error) = self.flush().await {
                    log::error!("requested flush: {error}");
                    break;
                }
                continue;
            }
            if self.inner.state.borrow().closed || self.is_failed() {
                break;
            }
            if let Err(error) = self.flush().await {
                log::error!("background flush: {error}");
                continue;
            }
            since_queue_flush_ms += tick_ms;
            since_retention_ms += tick_ms;
            if since_queue_flush_ms >= config.flush_interval_consume_queue_ms {
                since_queue_flush_ms = 0;
                if let Err(error) = self.flush_queues().await {
                    log::error!("background consume queue flush: {error}");
                }
            }
            if since_retention_ms >= RETENTION_INTERVAL_MS {
                since_retention_ms = 0;
                let now_ms = (config.clock_ms)();
                if let Err(error) = self.run_retention(now_ms, local_hour(now_ms)).await {
                    log::error!("retention: {error}");
                }
            }
        }
    }
}

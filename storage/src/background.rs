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
        // Deadlines by the clock, not by counted ticks: under sustained load
        // the loop writes back to back and never sleeps a tick, and the
        // checkpoint, index sealing and retention must still happen.
        let queue_flush_period = Duration::from_millis(config.flush_interval_consume_queue_ms);
        let retention_period = Duration::from_millis(RETENTION_INTERVAL_MS);
        let mut last_queue_flush = std::time::Instant::now();
        let mut last_retention = std::time::Instant::now();
        self.inner.background_running.set(true);
        let _running = RunningGuard(self);
        let mut last_sync = std::time::Instant::now();
        let sync_period = Duration::from_millis(tick_ms);
        let asynchronous = config.flush_disk_type == FlushDiskType::AsyncFlush;
        while !self.inner.state.borrow().closed {
            // ASYNC_FLUSH: writes go back to back or on request; a sync
            // runs once a period in a task of its own, overlapping them.
            if asynchronous && last_sync.elapsed() >= sync_period {
                last_sync = std::time::Instant::now();
                self.spawn_sync_if_idle();
            }
            if !self.is_failed() && last_queue_flush.elapsed() >= queue_flush_period {
                last_queue_flush = std::time::Instant::now();
                if let Err(error) = self.flush_queues().await {
                    log::error!("background consume queue flush: {error}");
                }
            }
            if !self.is_failed() && last_retention.elapsed() >= retention_period {
                last_retention = std::time::Instant::now();
                let now_ms = (config.clock_ms)();
                if let Err(error) = self.run_retention(now_ms, local_hour(now_ms)).await {
                    log::error!("retention: {error}");
                }
            }
            let behind = {
                let unwritten_bytes = self.inner.state.borrow().log.unwritten_bytes();
                unwritten_bytes >= FLUSH_LEAST_BYTES
            };
            if behind && !self.is_failed() && asynchronous {
                // Like Apache's flushPhysicQueueLeastPages (4 pages): under
                // load, write back to back so the disk stays busy while
                // appends go on filling memory.
                let target = self.inner.state.borrow().log.append_position;
                if let Err(error) = self.wait_written(target).await {
                    log::error!("back-to-back write: {error}");
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
                // Requests come from appends that want their bytes written
                // (back-pressure, or enough appended): a write round.
                let target = self.inner.state.borrow().log.append_position;
                if let Err(error) = self.wait_written(target).await {
                    log::error!("requested write: {error}");
                    break;
                }
                continue;
            }
            if self.inner.state.borrow().closed || self.is_failed() {
                break;
            }
            last_sync = std::time::Instant::now();
            if let Err(error) = self.flush().await {
                log::error!("background flush: {error}");
                continue;
            }
        }
    }
}

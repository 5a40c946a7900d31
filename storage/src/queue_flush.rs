//! Writing consume queues to their files and then the checkpoint.
//!
//! Order: snapshot (checkpoint position P = durable commit log position,
//! each queue's entry count below P, the entry blocks to write, the key
//! index blocks to write and the key index units to seal), write and fsync
//! the queue files and `.keys` files, seal key index units
//! (`key_index_flush.rs`), then replace the checkpoint. So every consume
//! queue and key index entry of a record below P is on disk before a
//! checkpoint says P. A failure marks the store failed, as a commit log
//! flush failure does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use crate::aligned_buf::AlignedBuf;
use crate::backend::{join_all, BackendFile};
use crate::checkpoint::Checkpoint;
use crate::config::BLOCK_BYTES;
use crate::consume_queue::{queue_file_path, QueueKey, CQ_ENTRY_BYTES};
use crate::error::{StorageError, StorageResult};
use crate::key_index_flush::{plan_key_flush, KeyFlushPlan};
use crate::physical_offset::PhysicalOffset;
use crate::store::Store;

struct QueueWrites {
    key: QueueKey,
    dir: PathBuf,
    writes: Vec<(i64, u64, AlignedBuf)>,
    flushed_to: i64,
}

impl Store {
    /// Writes consume-queue entries and the checkpoint.
    ///
    /// # Errors
    /// The I/O error; the store then refuses writes until reopened.
    pub async fn flush_queues(&self) -> StorageResult<()> {
        let snapshot = {
            let mut state = self.inner.state.borrow_mut();
            if state.queue_flushing {
                return Ok(());
            }
            state.queue_flushing = true;
            let (checkpoint, queue_writes) = self.snapshot_queues(&state);
            let key_plan = plan_key_flush(&state.key_index, checkpoint.queue_position);
            (checkpoint, queue_writes, key_plan)
        };
        let (checkpoint, queue_writes, mut key_plan) = snapshot;
        let outcome = self
            .write_queues_and_checkpoint(&checkpoint, &queue_writes, &mut key_plan)
            .await;
        if outcome.is_ok() {
            self.complete_key_writes(&key_plan);
        }
        let mut state = self.inner.state.borrow_mut();
        state.queue_flushing = false;
        match &outcome {
            Ok(()) => {
                for queue_write in &queue_writes {
                    let key = &queue_write.key;
                    let queues = state.queues.get_mut(&*key.topic);
                    if let Some(queue) = queues.and_then(|queues| queues.get_mut(&key.queue_id)) {
                        queue.flushed_offset = queue.flushed_offset.max(queue_write.flushed_to);
                    }
                }
            }
            Err(error) => {
                log::error!("consume queue flush failed, refusing writes: {error}");
                state.failure = Some(("consume queue flush", error.to_string()));
            }
        }
        outcome
    }

    fn snapshot_queues(&self, state: &crate::store::StoreState) -> (Checkpoint, Vec<QueueWrites>) {
        let shard = self.inner.config.shard_id;
        let entries_per_file = self.inner.config.consume_queue_entries_per_file as i64;
        let queue_position = state.log.durable_position;
        let queue_physical = PhysicalOffset::new(shard, queue_position).0;
        let mut checkpoint = Checkpoint {
            durable_position: state.log.durable_position,
            queue_position,
            min_position: state.log.min_position,
            queues: Vec::new(),
        };
        let mut queue_writes = Vec::new();
        for queues in state.queues.values() {
            for queue in queues.values() {
                checkpoint
                    .queues
                    .push((queue.key.clone(), queue.offset_before(queue_physical)));
                let writes = queue.plan_writes(entries_per_file);
                if writes.is_empty() {
                    continue;
                }
                queue_writes.push(QueueWrites {
                    key: queue.key.clone(),
                    dir: queue.dir(&self.inner.queue_root),
                    writes,
                    flushed_to: queue.max_offset(),
                });
            }
        }
        (checkpoint, queue_writes)
    }

    async fn write_queues_and_checkpoint(
        &self,
        checkpoint: &Checkpoint,
        queue_writes: &[QueueWrites],
        key_plan: &mut KeyFlushPlan,
    ) -> StorageResult<()> {
        let mut opened: Vec<Rc<dyn BackendFile>> = Vec::new();
        for queue_write in queue_writes {
            let mut files = BTreeMap::new();
            for (file_start, _, _) in &queue_write.writes {
                let file = self.queue_file(queue_write, *file_start).await?;
                files.insert(*file_start, file);
            }
            let mut futures = Vec::new();
            for (file_start, position, data) in &queue_write.writes {
                futures.push(files[file_start].write_at(*position, data.as_slice()));
            }
            let dir = queue_write.dir.display().to_string();
            join_all(futures)
                .await
                .map_err(|error| StorageError::io("write", &dir, error))?;
            opened.extend(files.into_values());
        }
        let key_files = self.write_key_files(key_plan).await?;
        let syncs = opened
            .iter()
            .chain(&key_files)
            .map(|file| file.sync())
            .collect();
        join_all(syncs)
            .await
            .map_err(|error| StorageError::io("fdatasync", "consumequeue", error))?;
        self.seal_key_units(key_plan).await?;
        self.write_checkpoint(checkpoint).await
    }

    async fn queue_file(
        &self,
        queue_write: &QueueWrites,
        file_start: i64,
    ) -> StorageResult<Rc<dyn BackendFile>> {
        let key = &queue_write.key;
        {
            let state = self.inner.state.borrow();
            let queue = state
                .queues
                .get(&*key.topic)
                .and_then(|q| q.get(&key.queue_id));
            if let Some(file) = queue.and_then(|queue| queue.files.get(&file_start)) {
                return Ok(Rc::clone(file));
            }
        }
        let backend = &self.inner.backend;
        let path = queue_file_path(&queue_write.dir, file_start);
        let display = path.display().to_string();
        let io = |operation: &'static str| {
            let display = display.clone();
            move |error| StorageError::io(operation, display, error)
        };
        backend
            .create_dir_all(&queue_write.dir)
            .await
            .map_err(io("create queue dir"))?;
        let file = backend
            .open(&path, true)
            .await
            .map_err(io("open queue file"))?;
        let file_bytes = self.inner.config.consume_queue_entries_per_file * CQ_ENTRY_BYTES as u64;
        file.allocate(file_bytes)
            .await
            .map_err(io("preallocate queue file"))?;
        backend
            .sync_dir(&queue_write.dir)
            .await
            .map_err(io("sync queue dir"))?;
        let mut state = self.inner.state.borrow_mut();
        if let Some(queue) = state
            .queues
            .get_mut(&*key.topic)
            .and_then(|q| q.get_mut(&key.queue_id))
        {
            // Keep the two newest handles: writes only touch the tail.
            queue.files.insert(file_start, Rc::clone(&file));
            while queue.files.len() > 2 {
                queue.files.pop_first();
            }
        }
        Ok(file)
    }

    async fn write_checkpoint(&self, checkpoint: &Checkpoint) -> StorageResult<()> {
        let backend = &self.inner.backend;
        let dir = &self.inner.shard_dir;
        let temporary = dir.join("checkpoint.tmp");
        let path = dir.join("checkpoint");
        let display = path.display().to_string();
        let io = |operation: &'static str| {
            let display = display.clone();
            move |error| StorageError::io(operation, display, error)
        };
        let encoded = checkpoint.encode();
        let mut block = AlignedBuf::zeroed(encoded.len().div_ceil(BLOCK_BYTES) * BLOCK_BYTES);
        block.as_mut_slice()[..encoded.len()].copy_from_slice(&encoded);
        let file = backend
            .open(&temporary, true)
            .await
            .map_err(io("open checkpoint"))?;
        file.write_at(0, block.as_slice())
            .await
            .map_err(io("write checkpoint"))?;
        file.sync().await.map_err(io("fdatasync checkpoint"))?;
        drop(file);
        backend
            .rename(&temporary, &path)
            .await
            .map_err(io("rename checkpoint"))?;
        backend.sync_dir(dir).await.map_err(io("sync shard dir"))
    }
}

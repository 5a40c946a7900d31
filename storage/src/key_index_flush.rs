//! Persisting the key index during the consume-queue flush
//! (`queue_flush.rs`): append the new entries of unsealed units to their
//! `.keys` files (synced with the consume queues, before the checkpoint),
//! and seal the units of segments the durable log has moved past.
//!
//! Order inside one flush: snapshot (under the store borrow) → write
//! `.keys` → fsync with the queue files → seal (write `.idx.tmp`, fsync,
//! rename, sync dir, delete `.keys`, sync dir, swap the unit in memory) →
//! checkpoint. A failure marks the store failed like any flush failure.

use std::rc::Rc;

use crate::aligned_buf::AlignedBuf;
use crate::backend::{join_all, BackendFile};
use crate::chunk::align_up;
use crate::commit_log::FLUSH_WRITE_BYTES_MAX;
use crate::config::BLOCK_BYTES_U64;
use crate::error::{StorageError, StorageResult};
use crate::key_index::{
    idx_path, keys_path, KeyEntry, KeyIndex, Unit, UnsealedUnit, ENTRIES_PER_BLOCK, KEY_ENTRY_BYTES,
};
use crate::key_index_file::{remove_if_present, write_sealed};
use crate::store::Store;

/// Entry slots per planned `.keys` write.
const WRITE_ENTRIES_MAX: usize = FLUSH_WRITE_BYTES_MAX as usize / KEY_ENTRY_BYTES;
const _: () = assert!(WRITE_ENTRIES_MAX % ENTRIES_PER_BLOCK == 0);

/// New `.keys` blocks of one unsealed unit.
struct UnitWrites {
    segment_start: u64,
    file: Option<Rc<dyn BackendFile>>,
    /// (byte position in the file, whole blocks).
    writes: Vec<(u64, AlignedBuf)>,
    /// Entry count the file holds once these writes are done.
    flushed_to: usize,
}

/// What one flush does to the key index.
#[derive(Default)]
pub(crate) struct KeyFlushPlan {
    units: Vec<UnitWrites>,
    /// Units to seal: segment start and a copy of the entries.
    seals: Vec<(u64, Vec<KeyEntry>)>,
}

/// Writes bringing `unit`'s `.keys` from `flushed_count` to all entries:
/// whole blocks, the partial tail block zero-padded.
fn plan_unit_writes(unit: &UnsealedUnit) -> Vec<(u64, AlignedBuf)> {
    let mut writes = Vec::new();
    let total = unit.entries.len();
    let mut from = unit.flushed_count - unit.flushed_count % ENTRIES_PER_BLOCK;
    while from < total {
        let to = (from + WRITE_ENTRIES_MAX).min(total);
        let bytes = align_up(((to - from) * KEY_ENTRY_BYTES) as u64) as usize;
        let mut buffer = AlignedBuf::zeroed(bytes);
        let out = buffer.as_mut_slice();
        for (slot, entry) in unit.entries[from..to].iter().enumerate() {
            let at = slot * KEY_ENTRY_BYTES;
            entry.encode(&mut out[at..at + KEY_ENTRY_BYTES]);
        }
        writes.push(((from * KEY_ENTRY_BYTES) as u64, buffer));
        from = to;
    }
    assert!(
        writes.iter().all(|(at, _)| at % BLOCK_BYTES_U64 == 0),
        "unaligned key index write"
    );
    writes
}

/// Plans the key index part of a flush whose checkpoint will say
/// `queue_position`: units of segments wholly below it are sealed, the
/// others get their new entries written.
pub(crate) fn plan_key_flush(index: &KeyIndex, queue_position: u64) -> KeyFlushPlan {
    let mut plan = KeyFlushPlan::default();
    if !index.enabled {
        return plan;
    }
    for (start, unit) in &index.units {
        let Unit::Unsealed(unit) = unit else {
            continue;
        };
        assert!(
            unit.flushed_count <= unit.entries.len(),
            "flushed past entries"
        );
        if start + index.segment_bytes <= queue_position {
            plan.seals.push((*start, unit.entries.clone()));
            continue;
        }
        if unit.file.is_some() && unit.flushed_count == unit.entries.len() {
            continue;
        }
        plan.units.push(UnitWrites {
            segment_start: *start,
            file: unit.file.clone(),
            writes: plan_unit_writes(unit),
            flushed_to: unit.entries.len(),
        });
    }
    plan
}

impl Store {
    /// Writes the planned `.keys` blocks (creating files as needed) and
    /// returns the files to fsync with the consume queues.
    pub(crate) async fn write_key_files(
        &self,
        plan: &KeyFlushPlan,
    ) -> StorageResult<Vec<Rc<dyn BackendFile>>> {
        let mut files = Vec::with_capacity(plan.units.len());
        for unit in &plan.units {
            let file = match &unit.file {
                Some(file) => Rc::clone(file),
                None => self.create_keys_file(unit.segment_start).await?,
            };
            let display = file.path().display().to_string();
            let futures = unit
                .writes
                .iter()
                .map(|(position, data)| file.write_at(*position, data.as_slice()))
                .collect();
            join_all(futures)
                .await
                .map_err(|error| StorageError::io("write", &display, error))?;
            files.push(file);
        }
        Ok(files)
    }

    async fn create_keys_file(&self, segment_start: u64) -> StorageResult<Rc<dyn BackendFile>> {
        let dir = self.inner.state.borrow().key_index.dir.clone();
        let path = keys_path(&dir, segment_start);
        let backend = &self.inner.backend;
        let file = backend
            .open(&path, true)
            .await
            .map_err(|error| StorageError::io("create key index", path.display(), error))?;
        backend
            .sync_dir(&dir)
            .await
            .map_err(|error| StorageError::io("sync index dir", dir.display(), error))?;
        let mut state = self.inner.state.borrow_mut();
        if let Some(Unit::Unsealed(unit)) = state.key_index.units.get_mut(&segment_start) {
            unit.file.get_or_insert_with(|| Rc::clone(&file));
        }
        Ok(file)
    }

    /// Records the `.keys` writes of a successful flush.
    pub(crate) fn complete_key_writes(&self, plan: &KeyFlushPlan) {
        let mut state = self.inner.state.borrow_mut();
        for written in &plan.units {
            let units = &mut state.key_index.units;
            if let Some(Unit::Unsealed(unit)) = units.get_mut(&written.segment_start) {
                assert!(
                    written.flushed_to <= unit.entries.len(),
                    "entries went back"
                );
                unit.flushed_count = unit.flushed_count.max(written.flushed_to);
            }
        }
    }

    /// Seals the planned units, one at a time; each is swapped in memory as
    /// soon as its `.idx` is durable and its `.keys` gone.
    pub(crate) async fn seal_key_units(&self, plan: &mut KeyFlushPlan) -> StorageResult<()> {
        let (backend, dir) = {
            let state = self.inner.state.borrow();
            (Rc::clone(&self.inner.backend), state.key_index.dir.clone())
        };
        for (segment_start, entries) in std::mem::take(&mut plan.seals) {
            let count = entries.len();
            let sealed = write_sealed(&backend, &dir, segment_start, entries).await?;
            remove_if_present(&backend, &keys_path(&dir, segment_start)).await?;
            backend
                .sync_dir(&dir)
                .await
                .map_err(|error| StorageError::io("sync index dir", dir.display(), error))?;
            let installed = {
                let mut state = self.inner.state.borrow_mut();
                match state.key_index.units.get_mut(&segment_start) {
                    Some(unit) => {
                        let Unit::Unsealed(unsealed) = &*unit else {
                            panic!("unit {segment_start} sealed twice");
                        };
                        assert_eq!(unsealed.entries.len(), count, "sealed unit grew");
                        *unit = Unit::Sealed(sealed);
                        true
                    }
                    None => false,
                }
            };
            if !installed {
                // Retention dropped the segment while the index was written.
                remove_if_present(&backend, &idx_path(&dir, segment_start)).await?;
            }
        }
        Ok(())
    }
}

//! Opening the key index (design in `key_index.rs`), called by
//! `recovery.rs` around its commit log scan:
//!
//! 1. [`open_key_index`], before the scan: per segment, a valid `.idx`
//!    becomes a sealed unit (and a leftover `.keys` goes); otherwise a
//!    segment below the scan start loads its `.keys` entries below the
//!    scan start (bytes past them are discarded, so stale entries of an
//!    older run can never follow); a segment below the scan start with
//!    neither file (a store written before the index existed, or with it
//!    disabled) is listed for a keys-only scan of the commit log. Files
//!    of unknown segments, temporaries and stale `.keys` of segments the
//!    scan will cover go.
//! 2. `recovery.rs` runs those keys-only scans, then its normal scan adds
//!    entries for the records it accepts (sealed segments skip).
//! 3. [`finish_key_index`], once the log end is known: units past the end
//!    go with their files, and units of segments the log has moved past
//!    are sealed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

use crate::backend::Backend;
use crate::chunk::align_up;
use crate::config::StoreConfig;
use crate::error::{StorageError, StorageResult};
use crate::key_index::{idx_path, keys_path, KeyIndex, Unit, UnsealedUnit, KEY_ENTRY_BYTES};
use crate::key_index_file::{load_keys, open_sealed, remove_if_present, write_sealed};

/// The key index opened before the scan, and the keys-only scans it needs.
pub(crate) struct KeyRecovery {
    pub index: KeyIndex,
    /// `[from, to)` log ranges (inside one segment each) to scan for keys.
    pub rescans: Vec<(u64, u64)>,
}

#[derive(Default)]
struct FoundFiles {
    keys: BTreeSet<u64>,
    idx: BTreeSet<u64>,
    /// Everything else in the directory (temporaries, strays).
    others: Vec<String>,
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.display().to_string();
    move |error| StorageError::io(operation, path, error)
}

fn classify(names: &[String]) -> FoundFiles {
    let mut found = FoundFiles::default();
    for name in names {
        let parsed = name.split_once('.').and_then(|(start, suffix)| {
            let start = (start.len() == 20).then(|| start.parse::<u64>().ok())??;
            Some((start, suffix))
        });
        match parsed {
            Some((start, "keys")) => {
                found.keys.insert(start);
            }
            Some((start, "idx")) => {
                found.idx.insert(start);
            }
            _ => found.others.push(name.clone()),
        }
    }
    found
}

/// Step 1 (see the module docs). `segments` are the commit log segment
/// starts found, `scan_start` where the recovery scan will begin.
///
/// # Errors
/// I/O errors of listing, reading and removing index files.
pub(crate) async fn open_key_index(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    shard: &Path,
    segments: &[u64],
    scan_start: u64,
) -> StorageResult<KeyRecovery> {
    let segment_bytes = config.maped_file_size_commit_log;
    let dir = shard.join("index");
    backend
        .create_dir_all(&dir)
        .await
        .map_err(io_error("create dir", &dir))?;
    let names = backend
        .list_dir(&dir)
        .await
        .map_err(io_error("list", &dir))?;
    let mut recovery = KeyRecovery {
        index: KeyIndex::new(config.message_index_enable, &dir, segment_bytes),
        rescans: Vec::new(),
    };
    if !config.message_index_enable {
        for name in &names {
            remove_if_present(backend, &dir.join(name)).await?;
        }
        return sync_dir(backend, &dir).await.map(|()| recovery);
    }
    let found = classify(&names);
    for name in &found.others {
        log::warn!("removing stray key index file {name}");
        remove_if_present(backend, &dir.join(name)).await?;
    }
    let live: BTreeSet<u64> = segments.iter().copied().collect();
    for start in found
        .keys
        .iter()
        .chain(&found.idx)
        .filter(|s| !live.contains(s))
    {
        remove_if_present(backend, &keys_path(&dir, *start)).await?;
        remove_if_present(backend, &idx_path(&dir, *start)).await?;
    }
    for start in segments {
        let unit = open_unit(config, backend, &dir, *start, scan_start, &found).await?;
        match unit {
            Some(unit) => {
                recovery.index.units.insert(*start, unit);
            }
            None if *start < scan_start => {
                let to = (start + segment_bytes).min(scan_start);
                log::info!("key index of segment {start} missing: scanning [{start}, {to})");
                recovery.rescans.push((*start, to));
            }
            None => {}
        }
    }
    sync_dir(backend, &dir).await?;
    Ok(recovery)
}

/// The unit of one segment from its files, or `None` to build it by
/// scanning.
async fn open_unit(
    config: &StoreConfig,
    backend: &Rc<dyn Backend>,
    dir: &Path,
    start: u64,
    scan_start: u64,
    found: &FoundFiles,
) -> StorageResult<Option<Unit>> {
    let keys = keys_path(dir, start);
    if found.idx.contains(&start) {
        if let Some(sealed) = open_sealed(backend, dir, start).await {
            // The seal finished; its `.keys` is redundant.
            remove_if_present(backend, &keys).await?;
            return Ok(Some(Unit::Sealed(sealed)));
        }
        remove_if_present(backend, &idx_path(dir, start)).await?;
    }
    if !found.keys.contains(&start) {
        return Ok(None);
    }
    if start >= scan_start {
        // The scan rebuilds this unit; the file is not vouched for.
        remove_if_present(backend, &keys).await?;
        return Ok(None);
    }
    let file = backend
        .open(&keys, false)
        .await
        .map_err(io_error("open key index", &keys))?;
    let segment_bytes = config.maped_file_size_commit_log;
    let loaded = load_keys(&file, start, segment_bytes, scan_start, config.shard_id).await?;
    if loaded.damaged {
        log::error!(
            "key index {} is damaged: rebuilding it from the log",
            keys.display()
        );
        drop(file);
        remove_if_present(backend, &keys).await?;
        return Ok(None);
    }
    let (entries, size) = (loaded.entries, loaded.file_bytes);
    // Stale entries of an older run past the prefix must never be read
    // as part of it later: zero them now (the partial block is rewritten
    // by the next flush before any checkpoint can move past it).
    let keep = align_up((entries.len() * KEY_ENTRY_BYTES) as u64);
    if size > keep {
        file.discard(keep, size - keep)
            .await
            .map_err(io_error("discard key index tail", &keys))?;
        file.sync()
            .await
            .map_err(io_error("fdatasync key index", &keys))?;
    }
    let mut unit = UnsealedUnit::new();
    for entry in &entries {
        assert!(unit.push(*entry), "loaded more entries than a unit holds");
    }
    unit.flushed_count = entries.len();
    unit.file = Some(file);
    Ok(Some(Unit::Unsealed(unit)))
}

async fn sync_dir(backend: &Rc<dyn Backend>, dir: &Path) -> StorageResult<()> {
    backend
        .sync_dir(dir)
        .await
        .map_err(io_error("sync index dir", dir))
}

/// If the log ends inside a segment whose unit is sealed (the log lost
/// data the seal had seen), drops that unit and its files and returns the
/// range to rebuild by a keys-only scan.
pub(crate) async fn reopen_tail_unit(
    backend: &Rc<dyn Backend>,
    index: &mut KeyIndex,
    end: u64,
) -> StorageResult<Option<(u64, u64)>> {
    let tail_start = end - end % index.segment_bytes;
    if end == tail_start || !matches!(index.units.get(&tail_start), Some(Unit::Sealed(_))) {
        return Ok(None);
    }
    log::error!("commit log ends at {end}, inside sealed key index unit {tail_start}");
    index.units.remove(&tail_start);
    remove_if_present(backend, &idx_path(&index.dir, tail_start)).await?;
    remove_if_present(backend, &keys_path(&index.dir, tail_start)).await?;
    Ok(Some((tail_start, end)))
}

/// Step 3 (see the module docs): the log now ends at `end`.
///
/// # Errors
/// I/O errors of removing files and of sealing.
pub(crate) async fn finish_key_index(
    backend: &Rc<dyn Backend>,
    index: &mut KeyIndex,
    end: u64,
) -> StorageResult<()> {
    if !index.enabled {
        return Ok(());
    }
    let segment_bytes = index.segment_bytes;
    let tail_start = end - end % segment_bytes;
    let past: Vec<u64> = index
        .units
        .range(tail_start + 1..)
        .map(|(s, _)| *s)
        .collect();
    for start in past {
        index.units.remove(&start);
        remove_if_present(backend, &keys_path(&index.dir, start)).await?;
        remove_if_present(backend, &idx_path(&index.dir, start)).await?;
    }
    let mut sealable: BTreeMap<u64, Vec<_>> = BTreeMap::new();
    for (start, unit) in &index.units {
        if let Unit::Unsealed(unit) = unit {
            if start + segment_bytes <= end {
                sealable.insert(*start, unit.entries.clone());
            }
        }
    }
    for (start, entries) in sealable {
        let sealed = write_sealed(backend, &index.dir, start, entries).await?;
        remove_if_present(backend, &keys_path(&index.dir, start)).await?;
        index.units.insert(start, Unit::Sealed(sealed));
    }
    sync_dir(backend, &index.dir).await?;
    index.refresh_last_update();
    assert!(
        index.units.keys().all(|start| *start <= tail_start),
        "key index unit past the log end"
    );
    Ok(())
}

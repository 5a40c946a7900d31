//! QUERY_MESSAGE lookups in the key index (design in `key_index.rs`).
//!
//! Units are probed newest segment first. An unsealed unit yields its
//! candidates from memory (the hash's chain, newest first); a sealed unit
//! costs reads of the 4 KiB block(s) its fences select, newest entries
//! first. Candidates outside the time range are skipped without reading;
//! every other candidate's record is read with the store's record read path
//! and verified (topic, key, store time) before it is returned, because
//! hashes collide. The work of one query is bounded by
//! [`QUERY_RECORD_READS_MAX`] record reads.

use std::rc::Rc;

use bytes::Bytes;
use thrust_core::message::properties::{
    find_property, KEY_SEPARATOR, PROPERTY_KEYS, PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
};
use thrust_core::message::RecordView;

use crate::backend::BackendFile;
use crate::error::{StorageError, StorageResult};
use crate::key_index::{
    key_hash, KeyEntry, KeyIndex, KeyIndexStats, KeyQuery, KeyQueryResult, TimeRange, Unit,
};
use crate::key_index_file::read_sealed_blocks;
use crate::physical_offset::position_of;
use crate::store::Store;

/// Candidate records one query reads at most (matches or not).
pub const QUERY_RECORD_READS_MAX: usize = 4096;
/// Sealed-unit blocks read at once while walking a long run of one hash.
pub const QUERY_READ_BLOCKS_MAX: usize = 16;

/// Where one unit's candidates come from.
enum Probe {
    /// Candidates of an unsealed unit, newest first, already in range.
    Memory(Vec<KeyEntry>),
    /// Blocks `[low, high)` of a sealed unit.
    Disk(SealedProbe),
}

struct SealedProbe {
    segment_start: u64,
    file: Rc<dyn BackendFile>,
    entry_count: u64,
    low: usize,
    high: usize,
}

struct Search<'q> {
    query: KeyQuery<'q>,
    hash: u64,
    reads_left: usize,
    records: Vec<Bytes>,
    /// The last candidate read: a record indexed twice under one hash
    /// (a repeated word) yields adjacent candidates.
    last_physical: Option<i64>,
}

impl Search<'_> {
    fn done(&self) -> bool {
        self.records.len() >= self.query.max_count || self.reads_left == 0
    }

    fn in_range(&self, entry: &KeyEntry) -> bool {
        entry.hash == self.hash
            && entry.store_timestamp_ms >= self.query.begin_ms
            && entry.store_timestamp_ms <= self.query.end_ms
    }
}

/// The probes of a query, newest unit first.
fn plan_probes(index: &KeyIndex, hash: u64, query: &KeyQuery<'_>) -> Vec<Probe> {
    let mut probes = Vec::new();
    for (start, unit) in index.units.iter().rev() {
        match unit {
            Unit::Unsealed(unit) => {
                if !TimeRange::overlaps(unit.time_range, query.begin_ms, query.end_ms) {
                    continue;
                }
                let candidates: Vec<KeyEntry> = unit
                    .chain(hash)
                    .filter(|e| e.store_timestamp_ms >= query.begin_ms)
                    .filter(|e| e.store_timestamp_ms <= query.end_ms)
                    .take(QUERY_RECORD_READS_MAX)
                    .collect();
                if !candidates.is_empty() {
                    probes.push(Probe::Memory(candidates));
                }
            }
            Unit::Sealed(unit) => {
                if !TimeRange::overlaps(unit.time_range, query.begin_ms, query.end_ms) {
                    continue;
                }
                if !unit.bloom.may_contain(hash) {
                    continue;
                }
                if let Some((low, high)) = unit.block_range(hash) {
                    probes.push(Probe::Disk(SealedProbe {
                        segment_start: *start,
                        file: Rc::clone(&unit.file),
                        entry_count: unit.entry_count,
                        low,
                        high,
                    }));
                }
            }
        }
    }
    probes
}

/// True if `record` is one `query` asks for (see [`KeyQuery`]).
fn record_matches(record: &[u8], query: &KeyQuery<'_>, physical_offset: i64) -> bool {
    let Ok(view) = RecordView::parse(record) else {
        return false;
    };
    let time_ms = view.store_timestamp();
    if view.topic() != query.topic
        || view.physical_offset() != physical_offset
        || time_ms < query.begin_ms
        || time_ms > query.end_ms
    {
        return false;
    }
    let properties = view.properties_raw();
    if find_property(properties, PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) == Some(query.key) {
        return true;
    }
    !query.unique_key
        && find_property(properties, PROPERTY_KEYS)
            .is_some_and(|keys| keys.split(KEY_SEPARATOR).any(|word| word == query.key))
}

impl Store {
    /// Finds the records of `query.topic` stored within `[begin_ms, end_ms]`
    /// under `query.key` (REMOTING.md §3.10), newest first, at most
    /// `max_count`. Reads the records it returns (and those whose hash
    /// merely collided); never waits for a flush. Empty when the index is
    /// disabled, the key is empty or the range is inverted.
    ///
    /// # Errors
    /// I/O errors reading the index or the commit log.
    pub async fn query_keys(&self, query: &KeyQuery<'_>) -> StorageResult<KeyQueryResult> {
        let mut result = KeyQueryResult::default();
        let hash = key_hash(query.topic, query.key);
        let probes = {
            let state = self.inner.state.borrow();
            let index = &state.key_index;
            if !index.enabled {
                return Ok(result);
            }
            if let Some((time_ms, physical_offset)) = index.last_update {
                result.index_last_update_ms = time_ms;
                result.index_last_update_physical_offset = physical_offset;
            }
            if query.key.is_empty() || query.max_count == 0 || query.begin_ms > query.end_ms {
                return Ok(result);
            }
            plan_probes(index, hash, query)
        };
        let mut search = Search {
            query: *query,
            hash,
            reads_left: QUERY_RECORD_READS_MAX,
            records: Vec::new(),
            last_physical: None,
        };
        for probe in probes {
            if search.done() {
                break;
            }
            match probe {
                Probe::Memory(candidates) => {
                    for entry in &candidates {
                        if search.done() {
                            break;
                        }
                        self.verify_candidate(entry, &mut search).await?;
                    }
                }
                Probe::Disk(probe) => self.search_sealed(&probe, &mut search).await?,
            }
        }
        assert!(
            search.records.len() <= query.max_count,
            "query returned too much"
        );
        result.records = search.records;
        Ok(result)
    }

    /// Walks the blocks of a sealed unit from the newest entries back.
    async fn search_sealed(
        &self,
        probe: &SealedProbe,
        search: &mut Search<'_>,
    ) -> StorageResult<()> {
        let mut high = probe.high;
        while high > probe.low && !search.done() {
            let low = high.saturating_sub(QUERY_READ_BLOCKS_MAX).max(probe.low);
            self.inner.state.borrow_mut().key_index.stats.index_reads += 1;
            let read = read_sealed_blocks(&probe.file, probe.entry_count, low, high).await;
            let (entries, damaged) = match read {
                Ok(read) => read,
                Err(error) => {
                    let state = self.inner.state.borrow();
                    if !state.key_index.units.contains_key(&probe.segment_start) {
                        // Retention dropped the unit meanwhile.
                        return Ok(());
                    }
                    let path = probe.file.path().display().to_string();
                    return Err(StorageError::io("read key index", path, error));
                }
            };
            if damaged > 0 {
                let path = probe.file.path().display();
                log::error!(
                    "key index {path}: {damaged} damaged entries in blocks [{low}, {high})"
                );
            }
            for entry in entries.iter().rev() {
                if search.done() {
                    break;
                }
                if search.in_range(entry) {
                    self.verify_candidate(entry, search).await?;
                }
            }
            high = low;
        }
        Ok(())
    }

    /// Reads a candidate's record and keeps it if it matches.
    async fn verify_candidate(
        &self,
        entry: &KeyEntry,
        search: &mut Search<'_>,
    ) -> StorageResult<()> {
        if search.last_physical == Some(entry.physical_offset) {
            return Ok(());
        }
        assert!(search.reads_left > 0, "candidate read past the budget");
        search.last_physical = Some(entry.physical_offset);
        search.reads_left -= 1;
        self.inner.state.borrow_mut().key_index.stats.record_reads += 1;
        let record = match self.record_at(entry.physical_offset, entry.size).await {
            Ok(Some(record)) => record,
            Ok(None) => return Ok(()),
            Err(_) if position_of(entry.physical_offset) < self.min_position() => {
                // Retention deleted the segment while we read it.
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        if record_matches(&record, &search.query, entry.physical_offset) {
            search.records.push(record);
        }
        Ok(())
    }

    /// Sizes and counters of this shard's key index.
    pub fn key_index_stats(&self) -> KeyIndexStats {
        self.inner.state.borrow().key_index.stats()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::key_index::test_hash_mask;
    use crate::sim_backend::{SimBackend, SimFaults};
    use crate::testkit::encode_keyed_record;
    use crate::{FlushDiskType, ShardId, StoreConfig};

    const T0_MS: i64 = 1_700_000_000_000;

    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        futures_lite::future::block_on(future)
    }

    fn open(backend: &SimBackend, clock: &Rc<Cell<i64>>) -> Store {
        let mut config = StoreConfig::new("/sim", ShardId(2));
        config.maped_file_size_commit_log = 64 * 1024;
        config.write_chunk_bytes = 16 * 1024;
        config.read_cache_bytes = 16 * 1024;
        config.max_message_size_bytes = 16 * 1024;
        config.consume_queue_entries_per_file = 1024;
        config.flush_disk_type = FlushDiskType::SyncFlush;
        let clock = Rc::clone(clock);
        config.clock_ms = Rc::new(move || clock.get());
        let backend: Rc<dyn crate::Backend> = Rc::new(backend.clone());
        block_on(Store::open(config, backend)).expect("open")
    }

    fn ask(store: &Store, key: &str, unique_key: bool) -> Vec<i64> {
        let query = KeyQuery {
            topic: "T",
            key,
            unique_key,
            begin_ms: 0,
            end_ms: i64::MAX,
            max_count: 1000,
        };
        let result = block_on(store.query_keys(&query)).expect("query");
        let times = result
            .records
            .iter()
            .map(|record| RecordView::parse(record).expect("parse").store_timestamp());
        times.map(|time_ms| time_ms - T0_MS).collect()
    }

    /// With hashes cut to 1 bit every lookup meets ~1500 colliding
    /// candidates (in memory, and in sealed units as runs of equal hashes
    /// spanning several blocks); verification returns only true matches.
    #[test]
    fn colliding_hashes_are_verified_before_return() {
        test_hash_mask::set(0b1);
        let backend = SimBackend::new(3, 1 << 30, SimFaults::default());
        let clock = Rc::new(Cell::new(T0_MS));
        let store = open(&backend, &clock);
        for index in 0..600i64 {
            clock.set(T0_MS + index);
            let mut body = vec![b'x'; 300];
            body[0] = index as u8;
            let keys = format!("k{index} g{}", index % 5);
            let record =
                encode_keyed_record("T", 0, &body, Some(&keys), Some(&format!("u{index}")));
            block_on(store.append("T", 0, &record, true)).expect("append");
            let decoy = encode_keyed_record("Decoy", 0, &body, Some(&keys), None);
            block_on(store.append("Decoy", 0, &decoy, true)).expect("append");
        }
        let check = |store: &Store| {
            for index in (0..600).step_by(37) {
                assert_eq!(ask(store, &format!("k{index}"), false), vec![index]);
                assert_eq!(ask(store, &format!("u{index}"), true), vec![index]);
            }
            let g2: Vec<i64> = (0..600).rev().filter(|i| i % 5 == 2).collect();
            assert_eq!(ask(store, "g2", false), g2);
            assert!(ask(store, "g2", true).is_empty());
        };
        check(&store);
        block_on(store.flush_queues()).expect("seal");
        let stats = store.key_index_stats();
        assert!(stats.sealed_units >= 3, "{stats:?}");
        check(&store);
        block_on(store.close()).expect("close");
        drop(store);
        let store = open(&backend, &clock);
        check(&store);
        test_hash_mask::set(u64::MAX);
    }
}

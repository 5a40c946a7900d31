//! Deterministic fault-injection simulation of the store.
//!
//! Random appends (single and batch, several queues, concurrent sync
//! appends sharing group commits), flushes, consume-queue checkpoints,
//! reads, crashes (the simulated disk keeps written and durable bytes apart
//! and loses what was not durable, tearing pending writes sector by
//! sector), failed writes and fsyncs, clean reopens. A model tracks every
//! record's expected bytes and fate. Invariants checked:
//! - every append reported durable reads back byte for byte after any
//!   crash;
//! - no record appears partially: every record read equals the model's;
//! - queue offsets stay contiguous from min to max;
//! - nothing refused appears (every stored record is one the model knows);
//! - the key index finds stored records by their UNIQ_KEY, during the run
//!   and after every reopen (most records carry KEYS and UNIQ_KEY).
//!
//! Deterministic from a seed, printed on failure. Replay one seed with
//! `THRUST_SIM_SEED=<seed> cargo test -p thrust-storage --test simulation`;
//! `THRUST_SIM_STEPS` changes the number of steps per seed.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use thrust_core::message::properties::find_property;
use thrust_core::message::RecordView;
use thrust_storage::sim_backend::{set_yield_once, SimBackend, SimFaults};
use thrust_storage::sim_rng::SimRng;
use thrust_storage::testkit::{encode_keyed_record, encode_test_record};
use thrust_storage::{FlushDiskType, KeyQuery, ShardId, StorageError, Store, StoreConfig};

const TOPICS: [&str; 3] = ["TopicA", "TopicB", "%RETRY%group"];
const QUEUES_PER_TOPIC: i32 = 2;
const TAGS: [Option<&str>; 3] = [Some("TagA"), Some("TagB"), None];
const SEEDS_DEFAULT: u64 = 4;
const STEPS_DEFAULT: u64 = 1500;
const REOPEN_ATTEMPTS_MAX: u32 = 50;
const KEY_CHECKS_PER_REOPEN: u64 = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Accepted,
    Durable,
    Indeterminate,
}

struct ModelRecord {
    bytes: Vec<u8>,
    fate: Fate,
}

type QueueModel = BTreeMap<i64, ModelRecord>;

#[derive(Default, Debug)]
struct Stats {
    appended: u64,
    refused: u64,
    crashes: u64,
    reopens: u64,
    reads: u64,
    durable_checked: u64,
}

struct Sim {
    seed: u64,
    rng: SimRng,
    backend: SimBackend,
    clock: Rc<Cell<i64>>,
    sync: bool,
    store: Option<Store>,
    model: BTreeMap<(String, i32), QueueModel>,
    next_id: u64,
    stats: Stats,
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    futures_lite::future::block_on(future)
}

fn join_all<T>(futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut slots: Vec<_> = futures.into_iter().map(|f| (Some(f), None)).collect();
    block_on(futures_lite::future::poll_fn(|context| {
        let mut done = true;
        for (future, output) in slots.iter_mut() {
            if let Some(pending) = future.as_mut() {
                match pending.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *future = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }));
    slots
        .into_iter()
        .map(|(_, output)| output.expect("joined future finished"))
        .collect()
}

fn patched(mut record: Vec<u8>, queue_offset: i64, physical: i64, now_ms: i64) -> Vec<u8> {
    thrust_core::message::record::patch_append_fields(&mut record, queue_offset, physical, now_ms)
        .expect("test record patches");
    record
}

impl Sim {
    fn new(seed: u64) -> Sim {
        let mut rng = SimRng::new(seed);
        let faults = SimFaults {
            write_error_per_mille: 8,
            sync_error_per_mille: 10,
            torn_writes: true,
        };
        let backend = SimBackend::new(rng.next_u64(), 256 << 20, faults);
        let sync = seed % 2 == 0;
        let clock = Rc::new(Cell::new(1_700_000_000_000));
        Sim {
            seed,
            rng,
            backend,
            clock,
            sync,
            store: None,
            model: BTreeMap::new(),
            next_id: 0,
            stats: Stats::default(),
        }
    }

    fn config(&self) -> StoreConfig {
        let mut config = StoreConfig::new("/sim", ShardId(1));
        config.maped_file_size_commit_log = 64 * 1024;
        config.consume_queue_entries_per_file = 1024;
        config.write_chunk_bytes = 16 * 1024;
        config.read_cache_bytes = 48 * 1024;
        config.max_message_size_bytes = 16 * 1024;
        config.dirty_bytes_max = 256 * 1024;
        config.flush_disk_type = if self.sync {
            FlushDiskType::SyncFlush
        } else {
            FlushDiskType::AsyncFlush
        };
        let clock = Rc::clone(&self.clock);
        config.clock_ms = Rc::new(move || clock.get());
        config
    }

    fn store(&self) -> &Store {
        self.store.as_ref().expect("store is open")
    }

    fn open(&mut self) {
        for attempt in 0..REOPEN_ATTEMPTS_MAX {
            if attempt + 1 == REOPEN_ATTEMPTS_MAX {
                self.backend.set_faults(SimFaults::default());
            }
            let backend: Rc<dyn thrust_storage::Backend> = Rc::new(self.backend.clone());
            match block_on(Store::open(self.config(), backend)) {
                Ok(store) => {
                    self.store = Some(store);
                    self.stats.reopens += 1;
                    self.verify_recovered();
                    return;
                }
                Err(error) => {
                    eprintln!("seed {}: open attempt {attempt} failed: {error}", self.seed);
                    if self.rng.chance(500) {
                        self.backend.crash();
                    }
                }
            }
        }
        panic!("seed {}: store never reopened", self.seed);
    }

    fn pick_queue(&mut self) -> (String, i32) {
        let topic = TOPICS[self.rng.below(TOPICS.len() as u64) as usize].to_string();
        (topic, self.rng.below(QUEUES_PER_TOPIC as u64) as i32)
    }

    fn make_batch(&mut self, topic: &str, queue_id: i32) -> Vec<Vec<u8>> {
        let count = if self.rng.chance(200) {
            1 + self.rng.below(4)
        } else {
            1
        };
        (0..count)
            .map(|_| {
                self.next_id += 1;
                let filler = self.rng.below(2500) as usize;
                let mut body = format!("id={};", self.next_id).into_bytes();
                body.extend((0..filler).map(|index| (index as u64 ^ self.next_id) as u8));
                let tags = TAGS[self.rng.below(TAGS.len() as u64) as usize];
                if tags.is_some() && self.rng.chance(500) {
                    return encode_test_record(topic, queue_id, &body, tags);
                }
                let keys = format!("id{} k{}", self.next_id, self.next_id % 16);
                let unique = format!("u{}", self.next_id);
                encode_keyed_record(topic, queue_id, &body, Some(&keys), Some(&unique))
            })
            .collect()
    }

    fn step_append(&mut self) {
        let concurrent = if self.rng.chance(300) {
            2 + self.rng.below(4)
        } else {
            1
        };
        let mut requests = Vec::new();
        for _ in 0..concurrent {
            let (topic, queue_id) = self.pick_queue();
            let batch = self.make_batch(&topic, queue_id);
            let wait = !self.rng.chance(150);
            requests.push((topic, queue_id, batch, wait));
        }
        let now_ms = self.clock.get();
        let store = self.store().clone();
        let futures: Vec<Pin<Box<dyn Future<Output = _>>>> = requests
            .iter()
            .map(|(topic, queue_id, batch, wait)| {
                let joined: Vec<u8> = batch.concat();
                let store = store.clone();
                let topic = topic.clone();
                let (queue_id, wait) = (*queue_id, *wait);
                Box::pin(async move { store.append(&topic, queue_id, &joined, wait).await })
                    as Pin<Box<dyn Future<Output = _>>>
            })
            .collect();
        let results = join_all(futures);
        for ((topic, queue_id, batch, _), result) in requests.into_iter().zip(results) {
            self.record_append(topic, queue_id, batch, result, now_ms);
        }
    }

    fn record_append(
        &mut self,
        topic: String,
        queue_id: i32,
        batch: Vec<Vec<u8>>,
        result: Result<thrust_storage::AppendResult, StorageError>,
        now_ms: i64,
    ) {
        let (first_queue_offset, first_physical, fate, store_ms) = match result {
            Ok(result) => {
                assert_eq!(result.record_count as usize, batch.len());
                let fate = if result.durable {
                    Fate::Durable
                } else {
                    Fate::Accepted
                };
                (
                    result.first_queue_offset,
                    result.first_physical_offset.0,
                    fate,
                    result.store_timestamp_ms,
                )
            }
            Err(StorageError::NotDurable {
                first_queue_offset,
                first_physical_offset,
                store_timestamp_ms,
                ..
            }) => (
                first_queue_offset,
                first_physical_offset,
                Fate::Indeterminate,
                store_timestamp_ms,
            ),
            Err(StorageError::StoreFailed { .. }) | Err(StorageError::DiskFull { .. }) => {
                self.stats.refused += 1;
                return;
            }
            Err(other) => panic!("seed {}: unexpected append error {other}", self.seed),
        };
        assert_eq!(store_ms, now_ms, "seed {}: store timestamp", self.seed);
        let queue = self.model.entry((topic, queue_id)).or_default();
        let mut physical = first_physical;
        for (index, record) in batch.into_iter().enumerate() {
            let offset = first_queue_offset + index as i64;
            let size = record.len() as i64;
            let bytes = patched(record, offset, physical, store_ms);
            let previous = queue.insert(offset, ModelRecord { bytes, fate });
            assert!(
                previous.is_none(),
                "seed {}: queue offset {offset} assigned twice",
                self.seed
            );
            physical += size;
            self.stats.appended += 1;
        }
    }

    fn mark_all_durable(&mut self) {
        for queue in self.model.values_mut() {
            for record in queue.values_mut() {
                record.fate = Fate::Durable;
            }
        }
    }

    fn step_flush(&mut self) {
        if block_on(self.store().flush()).is_ok() {
            for queue in self.model.values_mut() {
                for record in queue.values_mut() {
                    if record.fate == Fate::Accepted {
                        record.fate = Fate::Durable;
                    }
                }
            }
        }
    }

    /// Reads `[from, to)` of a queue and checks it against the model.
    fn check_range(&mut self, topic: &str, queue_id: i32, from: i64, to: i64) {
        let seed = self.seed;
        let mut offset = from;
        while offset < to {
            let max_bytes = 1 + self.rng.below(20_000) as usize;
            let store = self.store().clone();
            let result =
                block_on(store.get_messages(topic, queue_id, offset, 8, max_bytes, |_| true))
                    .unwrap_or_else(|error| {
                        panic!("seed {seed}: read {topic}:{queue_id}@{offset}: {error}")
                    });
            assert_eq!(
                result.status,
                thrust_storage::GetMessageStatus::Found,
                "seed {seed}: {topic}:{queue_id}@{offset} in [{from}, {to})"
            );
            let model = &self.model[&(topic.to_string(), queue_id)];
            for (index, record) in result.records.iter().enumerate() {
                let at = offset + index as i64;
                let Some(expected) = model.get(&at) else {
                    panic!("seed {seed}: {topic}:{queue_id}@{at} holds a record never accepted");
                };
                assert!(
                    record[..] == expected.bytes[..],
                    "seed {seed}: {topic}:{queue_id}@{at} differs"
                );
            }
            assert_eq!(
                result.next_begin_offset,
                offset + result.records.len() as i64
            );
            offset = result.next_begin_offset;
            self.stats.reads += 1;
        }
    }

    fn step_read(&mut self) {
        let (topic, queue_id) = self.pick_queue();
        let (min, max) = (
            self.store().min_offset(&topic, queue_id),
            self.store().max_offset(&topic, queue_id),
        );
        if min >= max {
            return;
        }
        let from = min + self.rng.below((max - min) as u64) as i64;
        let to = (from + 1 + self.rng.below(12) as i64).min(max);
        self.check_range(&topic, queue_id, from, to);
        if let Some(record) = self
            .model
            .get(&(topic.clone(), queue_id))
            .and_then(|q| q.get(&from))
        {
            let physical = i64::from_be_bytes(record.bytes[28..36].try_into().expect("8 bytes"));
            let expected = record.bytes.clone();
            let found = block_on(self.store().get_record(physical)).expect("get_record");
            assert_eq!(
                found.as_deref(),
                Some(&expected[..]),
                "seed {}: get_record",
                self.seed
            );
            self.check_key(&topic, &expected);
        }
    }

    /// The key index finds `record` (a stored record of `topic`) by its
    /// UNIQ_KEY, exactly once.
    fn check_key(&self, topic: &str, record: &[u8]) {
        let seed = self.seed;
        let view = RecordView::parse(record).expect("model record parses");
        let Some(unique) = find_property(view.properties_raw(), "UNIQ_KEY") else {
            return;
        };
        let query = KeyQuery {
            topic,
            key: unique,
            unique_key: true,
            begin_ms: view.store_timestamp(),
            end_ms: view.store_timestamp(),
            max_count: 4,
        };
        let result = block_on(self.store().query_keys(&query))
            .unwrap_or_else(|error| panic!("seed {seed}: key query {unique}: {error}"));
        assert_eq!(
            result.records.len(),
            1,
            "seed {seed}: key {unique} found once"
        );
        assert!(
            result.records[0][..] == record[..],
            "seed {seed}: key {unique} found another record"
        );
    }

    /// Key lookups of up to `samples` random records of the model.
    fn check_keys(&mut self, samples: u64) {
        let all: Vec<((String, i32), i64)> = self
            .model
            .iter()
            .flat_map(|(key, queue)| queue.keys().map(move |offset| (key.clone(), *offset)))
            .collect();
        if all.is_empty() {
            return;
        }
        for _ in 0..samples {
            let (key, offset) = &all[self.rng.below(all.len() as u64) as usize];
            let bytes = &self.model[key][offset].bytes;
            self.check_key(&key.0, bytes);
        }
    }

    /// After a reopen: durable records survived, the rest is a prefix of
    /// what was accepted, and every stored record is known.
    fn verify_recovered(&mut self) {
        let seed = self.seed;
        let store = self.store().clone();
        for (topic, queue_id, min, max) in store.queues() {
            let key = (topic.clone(), queue_id);
            assert!(
                max == 0 || self.model.contains_key(&key),
                "seed {seed}: unknown queue {key:?}"
            );
            let _ = min;
        }
        let keys: Vec<(String, i32)> = self.model.keys().cloned().collect();
        for (topic, queue_id) in keys {
            let (min, max) = (
                store.min_offset(&topic, queue_id),
                store.max_offset(&topic, queue_id),
            );
            let queue = self
                .model
                .get_mut(&(topic.clone(), queue_id))
                .expect("model queue");
            let lost: Vec<i64> = queue.range(max..).map(|(offset, _)| *offset).collect();
            for offset in lost {
                let record = queue.remove(&offset).expect("listed");
                assert!(
                    record.fate != Fate::Durable,
                    "seed {seed}: durable record {topic}:{queue_id}@{offset} lost (max {max})"
                );
            }
            if let Some((first, _)) = queue.first_key_value() {
                assert!(
                    min <= *first,
                    "seed {seed}: {topic}:{queue_id} min {min} > {first}"
                );
            }
            self.stats.durable_checked += queue.len() as u64;
            self.check_range(&topic, queue_id, min, max);
        }
        self.check_keys(KEY_CHECKS_PER_REOPEN);
        self.mark_all_durable();
    }

    fn crash_and_reopen(&mut self) {
        self.store = None;
        self.backend.crash();
        self.stats.crashes += 1;
        self.open();
    }

    fn clean_reopen(&mut self) {
        let store = self.store.take().expect("open");
        let _ = block_on(store.close());
        drop(store);
        self.open();
    }

    fn run(&mut self, steps: u64) {
        set_yield_once(true);
        self.open();
        for _ in 0..steps {
            if self.store().is_failed() {
                if self.rng.chance(500) {
                    self.crash_and_reopen();
                } else {
                    self.clean_reopen();
                }
                continue;
            }
            match self.rng.below(100) {
                0..=49 => self.step_append(),
                50..=59 => self.step_flush(),
                60..=66 => {
                    let _ = block_on(self.store().flush_queues());
                }
                67..=84 => self.step_read(),
                85..=90 => self.crash_and_reopen(),
                91..=93 => self.clean_reopen(),
                _ => self
                    .clock
                    .set(self.clock.get() + 1 + self.rng.below(5000) as i64),
            }
        }
        self.crash_and_reopen();
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

#[test]
fn store_survives_random_faults_and_crashes() {
    let steps = env_u64("THRUST_SIM_STEPS").unwrap_or(STEPS_DEFAULT);
    let seeds: Vec<u64> = match env_u64("THRUST_SIM_SEED") {
        Some(seed) => vec![seed],
        None => {
            let base = env_u64("THRUST_SIM_BASE_SEED").unwrap_or(0x5EED_0000);
            (0..SEEDS_DEFAULT).map(|index| base + index).collect()
        }
    };
    for seed in seeds {
        let outcome = std::panic::catch_unwind(|| {
            let mut sim = Sim::new(seed);
            sim.run(steps);
            (sim.stats, sim.backend.injected_faults())
        });
        match outcome {
            Ok((stats, faults)) => {
                eprintln!("seed {seed}: {steps} steps, {faults} faults, {stats:?}")
            }
            Err(panic) => {
                eprintln!("SIMULATION FAILED: replay with THRUST_SIM_SEED={seed}");
                std::panic::resume_unwind(panic);
            }
        }
    }
}

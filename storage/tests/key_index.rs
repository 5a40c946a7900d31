//! The key index behind QUERY_MESSAGE, over the simulated disk with 64 KiB
//! segments: records are found by each word of their KEYS and by their
//! UNIQ_KEY, verified (topic, whole word, store time) and returned newest
//! first; the index survives clean reopens, crashes, sealing of rolled
//! segments, damaged or missing index files (rebuilt from the commit log)
//! and retention (the units of deleted segments go with them); disabled, it
//! returns nothing and keeps no files.

mod common;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use common::{block_on, Harness, SEGMENT_BYTES, T0_MS};
use thrust_core::message::RecordView;
use thrust_storage::sim_backend::SimFaults;
use thrust_storage::testkit::encode_keyed_record;
use thrust_storage::{Backend, KeyQuery, Store};

const TOPIC: &str = "TopicKeys";
const OTHER_TOPIC: &str = "TopicOther";

/// Record `index`: KEYS `k<index> group<index % 10> shared`, UNIQ_KEY
/// `u<index>`, in the other topic when `index % 7 == 0`, stored at
/// `T0_MS + index`.
fn topic_of(index: u64) -> &'static str {
    if index % 7 == 0 {
        OTHER_TOPIC
    } else {
        TOPIC
    }
}

fn append_keyed(harness: &Harness, store: &Store, from: u64, to: u64) {
    for index in from..to {
        harness.set_now(T0_MS + index as i64);
        let mut body = format!("rec-{index}-").into_bytes();
        body.resize(300, b'b');
        let keys = format!("k{index} group{} shared", index % 10);
        let unique = format!("u{index}");
        let topic = topic_of(index);
        let record = encode_keyed_record(topic, 0, &body, Some(&keys), Some(&unique));
        block_on(store.append(topic, 0, &record, true)).expect("append");
    }
}

fn index_of(record: &[u8]) -> u64 {
    let view = RecordView::parse(record).expect("parse");
    let text = std::str::from_utf8(&view.body()[4..]).expect("utf8");
    let number = text.split('-').next().expect("index");
    number.parse().expect("number")
}

struct Ask<'a> {
    topic: &'a str,
    key: &'a str,
    unique_key: bool,
    begin_ms: i64,
    end_ms: i64,
    max_count: usize,
}

impl<'a> Ask<'a> {
    fn key(key: &'a str) -> Ask<'a> {
        Ask {
            topic: TOPIC,
            key,
            unique_key: false,
            begin_ms: 0,
            end_ms: i64::MAX,
            max_count: 10_000,
        }
    }

    fn run(&self, store: &Store) -> Vec<u64> {
        let query = KeyQuery {
            topic: self.topic,
            key: self.key,
            unique_key: self.unique_key,
            begin_ms: self.begin_ms,
            end_ms: self.end_ms,
            max_count: self.max_count,
        };
        let result = block_on(store.query_keys(&query)).expect("query");
        result
            .records
            .iter()
            .map(|record| index_of(record))
            .collect()
    }
}

/// Indices in `[0, count)` matching `keep`, newest first.
fn expected(count: u64, keep: impl Fn(u64) -> bool) -> Vec<u64> {
    (0..count).rev().filter(|index| keep(*index)).collect()
}

fn index_files(harness: &Harness) -> Vec<PathBuf> {
    let dir = PathBuf::from("/sim/shard-0/index");
    let paths = harness.backend.file_paths().into_iter();
    paths.filter(|path| path.parent() == Some(&dir)).collect()
}

fn has_file(harness: &Harness, name: &str) -> bool {
    index_files(harness)
        .iter()
        .any(|path| path.file_name().is_some_and(|file| file == name))
}

/// Checks every kind of lookup against records `[0, count)`.
fn check_all_found(store: &Store, count: u64) {
    for index in (0..count).step_by(13) {
        let topic = topic_of(index);
        let key = format!("k{index}");
        let ask = Ask {
            topic,
            ..Ask::key(&key)
        };
        assert_eq!(ask.run(store), vec![index], "KEYS word k{index}");
        let unique = format!("u{index}");
        let ask = Ask {
            topic,
            unique_key: true,
            ..Ask::key(&unique)
        };
        assert_eq!(ask.run(store), vec![index], "UNIQ_KEY u{index}");
    }
    let shared = Ask::key("shared").run(store);
    assert_eq!(shared, expected(count, |i| i % 7 != 0), "shared key");
}

#[test]
fn keys_are_found_after_append() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    append_keyed(&harness, &store, 0, 400);
    check_all_found(&store, 400);
    let group3 = Ask::key("group3").run(&store);
    assert_eq!(group3, expected(400, |i| i % 10 == 3 && i % 7 != 0));
    let other = Ask {
        topic: OTHER_TOPIC,
        ..Ask::key("group3")
    };
    assert_eq!(
        other.run(&store),
        expected(400, |i| i % 10 == 3 && i % 7 == 0)
    );
    let window = Ask {
        begin_ms: T0_MS + 100,
        end_ms: T0_MS + 200,
        ..Ask::key("shared")
    };
    let in_window = |i: u64| (100..=200).contains(&i) && i % 7 != 0;
    assert_eq!(window.run(&store), expected(400, in_window), "time bounds");
    let few = Ask {
        max_count: 5,
        ..Ask::key("shared")
    };
    let newest_five = expected(400, |i| i % 7 != 0)[..5].to_vec();
    assert_eq!(newest_five, vec![398, 397, 396, 395, 394]);
    assert_eq!(few.run(&store), newest_five, "newest first, max_count");
    let keys_word_as_unique = Ask {
        unique_key: true,
        ..Ask::key("k5")
    };
    assert!(
        keys_word_as_unique.run(&store).is_empty(),
        "a KEYS word is no UNIQ_KEY"
    );
    assert_eq!(
        Ask::key("u5").run(&store),
        vec![5],
        "UNIQ_KEY matches a key query"
    );
    assert!(Ask::key("shar").run(&store).is_empty(), "whole words only");
    assert!(
        Ask::key("k1 group1").run(&store).is_empty(),
        "one word per key"
    );
    assert!(Ask::key("").run(&store).is_empty());
    let query = KeyQuery {
        topic: TOPIC,
        key: "absent",
        unique_key: false,
        begin_ms: 0,
        end_ms: i64::MAX,
        max_count: 10,
    };
    let result = block_on(store.query_keys(&query)).expect("query");
    assert!(result.records.is_empty());
    assert_eq!(result.index_last_update_ms, T0_MS + 399);
    let newest = Ask {
        topic: OTHER_TOPIC,
        ..Ask::key("k399")
    };
    assert_eq!(newest.run(&store), vec![399]);
    assert!(result.index_last_update_physical_offset > 0);
}

#[test]
fn keys_survive_restart_via_checkpoint_and_scan() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    append_keyed(&harness, &store, 0, 300);
    // The checkpoint lands mid-segment: reopening loads `.keys` below it and
    // rescans the log past it.
    block_on(store.flush_queues()).expect("checkpoint");
    append_keyed(&harness, &store, 300, 420);
    block_on(store.close()).expect("close");
    drop(store);
    let store = harness.open();
    check_all_found(&store, 420);

    // Crash-like: durable (SYNC_FLUSH) appends, a checkpoint in between,
    // then power loss with torn pending writes and no close.
    append_keyed(&harness, &store, 420, 500);
    block_on(store.flush_queues()).expect("checkpoint");
    append_keyed(&harness, &store, 500, 560);
    harness.backend.set_faults(SimFaults {
        torn_writes: true,
        ..SimFaults::default()
    });
    drop(store);
    harness.backend.crash();
    harness.backend.set_faults(SimFaults::default());
    let store = harness.open();
    check_all_found(&store, 560);
    // And once more over the recovered state (recovery is idempotent).
    drop(store);
    harness.backend.crash();
    let store = harness.open();
    check_all_found(&store, 560);
}

#[test]
fn sealed_segments_are_searched_after_roll() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    append_keyed(&harness, &store, 0, 1000);
    block_on(store.flush_queues()).expect("flush");
    let segments = store.append_position() / SEGMENT_BYTES;
    assert!(
        segments >= 4,
        "the test needs several rolls, got {segments}"
    );
    let stats = store.key_index_stats();
    assert_eq!(
        stats.sealed_units as u64, segments,
        "every rolled segment is sealed"
    );
    assert_eq!(
        stats.unsealed_units, 1,
        "only the active segment stays in memory"
    );
    let active = store.append_position() - store.append_position() % SEGMENT_BYTES;
    for start in (0..active).step_by(SEGMENT_BYTES as usize) {
        assert!(has_file(&harness, &format!("{start:020}.idx")));
        assert!(!has_file(&harness, &format!("{start:020}.keys")));
    }
    assert!(has_file(&harness, &format!("{active:020}.keys")));
    check_all_found(&store, 1000);

    // One block read per sealed segment probed; a time range of one
    // segment probes only that one.
    let before = store.key_index_stats().index_reads;
    assert_eq!(Ask::key("k3").run(&store), vec![3]);
    let reads = store.key_index_stats().index_reads - before;
    assert!(
        reads <= segments,
        "{reads} index reads for {segments} sealed segments"
    );
    let before = store.key_index_stats().index_reads;
    let narrow = Ask {
        begin_ms: T0_MS + 3,
        end_ms: T0_MS + 3,
        ..Ask::key("k3")
    };
    assert_eq!(narrow.run(&store), vec![3]);
    assert_eq!(store.key_index_stats().index_reads - before, 1);

    block_on(store.close()).expect("close");
    drop(store);
    let store = harness.open();
    assert_eq!(store.key_index_stats().sealed_units as u64, segments);
    check_all_found(&store, 1000);
}

/// Overwrites the last block of `path` with zeros (the footer's trailer).
fn zero_last_block(harness: &Harness, path: &Path) {
    let backend: Rc<dyn Backend> = Rc::new(harness.backend.clone());
    let file = block_on(backend.open(path, false)).expect("open");
    let size = block_on(file.size()).expect("size");
    block_on(file.write_at(size - 4096, &[0u8; 4096])).expect("write");
    block_on(file.sync()).expect("sync");
}

/// Flips one byte inside entry slot `slot` of `path`.
fn damage_slot(harness: &Harness, path: &Path, slot: u64) {
    let backend: Rc<dyn Backend> = Rc::new(harness.backend.clone());
    let file = block_on(backend.open(path, false)).expect("open");
    let block_at = slot * 32 / 4096 * 4096;
    let mut block = block_on(file.read_at(block_at, 4096))
        .expect("read")
        .to_vec();
    block[(slot * 32 - block_at) as usize + 3] ^= 0x55;
    block_on(file.write_at(block_at, &block)).expect("write");
    block_on(file.sync()).expect("sync");
}

#[test]
fn torn_or_missing_index_file_is_rebuilt_from_the_log() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    append_keyed(&harness, &store, 0, 700);
    block_on(store.flush_queues()).expect("flush");
    // A checkpoint mid-way through the active segment.
    append_keyed(&harness, &store, 700, 760);
    block_on(store.flush_queues()).expect("flush");
    let active = store.append_position() - store.append_position() % SEGMENT_BYTES;
    assert!(
        active >= 3 * SEGMENT_BYTES,
        "the test needs sealed segments"
    );
    block_on(store.close()).expect("close");
    drop(store);

    let dir = PathBuf::from("/sim/shard-0/index");
    let torn = dir.join(format!("{:020}.idx", 0));
    zero_last_block(&harness, &torn);
    let missing = dir.join(format!("{SEGMENT_BYTES:020}.idx"));
    let backend: Rc<dyn Backend> = Rc::new(harness.backend.clone());
    block_on(backend.remove_file(&missing)).expect("remove");
    let damaged = dir.join(format!("{active:020}.keys"));
    damage_slot(&harness, &damaged, 2);

    let store = harness.open();
    check_all_found(&store, 760);
    assert!(
        has_file(&harness, &format!("{:020}.idx", 0)),
        "torn index rewritten"
    );
    assert!(
        has_file(&harness, &format!("{SEGMENT_BYTES:020}.idx")),
        "missing index rebuilt"
    );
    let segments = active / SEGMENT_BYTES;
    assert_eq!(store.key_index_stats().sealed_units as u64, segments);

    // A store written before the index existed: no index files at all.
    block_on(store.close()).expect("close");
    drop(store);
    for path in index_files(&harness) {
        block_on(backend.remove_file(&path)).expect("remove");
    }
    let store = harness.open();
    check_all_found(&store, 760);
}

#[test]
fn retention_drops_the_index_of_deleted_segments() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    append_keyed(&harness, &store, 0, 800);
    block_on(store.flush_queues()).expect("flush");
    let hour_ms = 3_600_000;
    let outcome = block_on(store.run_retention(T0_MS + 2 * hour_ms, 4)).expect("retention");
    assert!(
        outcome.deleted_segments >= 3,
        "retention deleted {outcome:?}"
    );
    let min_position = outcome.min_position;
    for start in (0..min_position).step_by(SEGMENT_BYTES as usize) {
        assert!(
            !has_file(&harness, &format!("{start:020}.idx")),
            "index of {start} stays"
        );
        assert!(!has_file(&harness, &format!("{start:020}.keys")));
    }
    assert_eq!(store.key_index_stats().sealed_units, 0);
    let survivors = Ask::key("shared").run(&store);
    assert!(!survivors.is_empty() && survivors.len() < 800);
    assert_eq!(
        survivors,
        expected(800, |i| i % 7 != 0)[..survivors.len()].to_vec()
    );
    assert!(
        Ask::key("k1").run(&store).is_empty(),
        "keys of deleted segments are gone"
    );
    let oldest_kept = *survivors.last().expect("some survive");
    let key = format!("k{oldest_kept}");
    assert_eq!(Ask::key(&key).run(&store), vec![oldest_kept]);

    block_on(store.close()).expect("close");
    drop(store);
    let store = harness.open();
    assert_eq!(Ask::key("shared").run(&store), survivors);
    assert!(Ask::key("k1").run(&store).is_empty());
}

#[test]
fn index_disabled_returns_nothing() {
    let mut harness = Harness::new(1 << 30);
    harness.config.message_index_enable = true;
    let store = harness.open();
    append_keyed(&harness, &store, 0, 100);
    block_on(store.close()).expect("close");
    drop(store);
    assert!(!index_files(&harness).is_empty());

    harness.config.message_index_enable = false;
    let store = harness.open();
    assert!(
        index_files(&harness).is_empty(),
        "stale index files are deleted"
    );
    append_keyed(&harness, &store, 100, 400);
    block_on(store.flush_queues()).expect("flush");
    let query = KeyQuery {
        topic: TOPIC,
        key: "shared",
        unique_key: false,
        begin_ms: 0,
        end_ms: i64::MAX,
        max_count: 100,
    };
    let result = block_on(store.query_keys(&query)).expect("query");
    assert!(result.records.is_empty());
    assert_eq!(result.index_last_update_ms, 0);
    assert_eq!(result.index_last_update_physical_offset, 0);
    assert!(
        index_files(&harness).is_empty(),
        "no index files while disabled"
    );
    assert_eq!(store.key_index_stats(), Default::default());
    block_on(store.close()).expect("close");
    drop(store);

    // Enabled again: rebuilt from the commit log.
    harness.config.message_index_enable = true;
    let store = harness.open();
    check_all_found(&store, 400);
}

//! Key index micro benchmark on real O_DIRECT files: append rate of keyed
//! records with the index disabled and enabled (ASYNC_FLUSH, in-memory
//! completion; each record has two KEYS words and a UNIQ_KEY), the time of
//! the consume-queue flush that writes `.keys` and seals the rolled
//! segments' units, and key lookup
//! rates (UNIQ_KEY lookups of records in sealed units and in the active
//! unit, and KEYS lookups of a key shared by 100 records), with the index
//! and record reads each lookup cost. Records are encoded before timing
//! starts. Prints one JSON line.
//!
//! Usage: `storage-key-bench <empty dir> [records] [segment_mib] [lookups]`
//! (defaults 100000, 8, 100000). The directory's `on/` and `off/` stores
//! are deleted first.

use std::rc::Rc;
use std::time::Instant;

use glommio::{LocalExecutorBuilder, Placement};
use thrust_storage::testkit::encode_keyed_record;
use thrust_storage::{DmaBackend, KeyQuery, ShardId, Store, StoreConfig};

const TOPIC: &str = "BenchTopic";
const QUEUES: u64 = 8;
const BODY_BYTES: usize = 256;
/// Records sharing one `customer-<n>` key.
const CUSTOMER_RECORDS: u64 = 100;
/// Append measurements per mode (the best is reported).
const APPEND_ROUNDS: usize = 3;

struct Args {
    dir: String,
    records: u64,
    segment_mib: u64,
    lookups: u64,
}

fn parse_args() -> Option<Args> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: u64| match args.get(index) {
        Some(text) => text.parse().ok(),
        None => Some(default),
    };
    Some(Args {
        dir: args.first()?.clone(),
        records: number(1, 100_000)?,
        segment_mib: number(2, 8)?,
        lookups: number(3, 100_000)?,
    })
}

fn main() {
    let Some(args) = parse_args() else {
        eprintln!("usage: storage-key-bench <dir> [records] [segment_mib] [lookups]");
        std::process::exit(2);
    };
    let handle = LocalExecutorBuilder::new(Placement::Unbound).spawn(move || async move {
        run(args).await;
    });
    if handle.map(|handle| handle.join()).is_err() {
        std::process::exit(1);
    }
}

fn unique_key(id: u64) -> String {
    format!("u{:032x}", id.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

fn make_records(count: u64) -> Vec<(i32, Vec<u8>)> {
    (0..count)
        .map(|id| {
            let queue = (id % QUEUES) as i32;
            let body = vec![b'b'; BODY_BYTES];
            let keys = format!("order-{id} customer-{}", id / CUSTOMER_RECORDS);
            let record =
                encode_keyed_record(TOPIC, queue, &body, Some(&keys), Some(&unique_key(id)));
            (queue, record)
        })
        .collect()
}

async fn open(dir: &str, name: &str, segment_mib: u64, index: bool) -> Store {
    let root = std::path::Path::new(dir).join(name);
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("clear bench dir");
    }
    let mut config = StoreConfig::new(&root, ShardId(0));
    config.maped_file_size_commit_log = segment_mib << 20;
    config.message_index_enable = index;
    Store::open(config, Rc::new(DmaBackend))
        .await
        .expect("open store")
}

/// Appends every record (not waiting for durability); records per second.
async fn append_all(store: &Store, records: &[(i32, Vec<u8>)]) -> f64 {
    let started = Instant::now();
    for (queue, record) in records {
        store
            .append(TOPIC, *queue, record, false)
            .await
            .expect("append");
    }
    let rate = records.len() as f64 / started.elapsed().as_secs_f64();
    store.flush().await.expect("flush");
    rate
}

struct LookupRun {
    per_s: f64,
    found_per_lookup: f64,
    index_reads_per_lookup: f64,
    record_reads_per_lookup: f64,
}

/// `lookups` queries of keys made by `key_of(n)`.
async fn lookup(
    store: &Store,
    lookups: u64,
    unique: bool,
    key_of: impl Fn(u64) -> String,
) -> LookupRun {
    let keys: Vec<String> = (0..lookups).map(&key_of).collect();
    let before = store.key_index_stats();
    let mut found = 0usize;
    let started = Instant::now();
    for key in &keys {
        let query = KeyQuery {
            topic: TOPIC,
            key,
            unique_key: unique,
            begin_ms: 0,
            end_ms: i64::MAX,
            max_count: 32,
        };
        found += store.query_keys(&query).await.expect("query").records.len();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = store.key_index_stats();
    let per_lookup = |count: u64| count as f64 / lookups.max(1) as f64;
    LookupRun {
        per_s: lookups as f64 / elapsed,
        found_per_lookup: found as f64 / lookups.max(1) as f64,
        index_reads_per_lookup: per_lookup(after.index_reads - before.index_reads),
        record_reads_per_lookup: per_lookup(after.record_reads - before.record_reads),
    }
}

fn json(run: &LookupRun) -> String {
    format!(
        "{{\"per_s\":{:.0},\"found\":{:.2},\"index_reads\":{:.2},\"record_reads\":{:.2}}}",
        run.per_s, run.found_per_lookup, run.index_reads_per_lookup, run.record_reads_per_lookup
    )
}

async fn run(args: Args) {
    let records = make_records(args.records);
    // Alternate off/on rounds and keep the best of each: the machine is
    // shared and the first store also pays for warming the allocator.
    let (mut appends_without_index, mut appends_with_index) = (0f64, 0f64);
    for _ in 0..APPEND_ROUNDS {
        let off = open(&args.dir, "off", args.segment_mib, false).await;
        appends_without_index = appends_without_index.max(append_all(&off, &records).await);
        off.close().await.expect("close");
        drop(off);
        let on = open(&args.dir, "on", args.segment_mib, true).await;
        appends_with_index = appends_with_index.max(append_all(&on, &records).await);
        on.close().await.expect("close");
    }
    let on = open(&args.dir, "on", args.segment_mib, true).await;
    append_all(&on, &records).await;
    let memory_entries = on.key_index_stats().memory_entries;
    let started = Instant::now();
    on.flush_queues().await.expect("seal");
    let flush_queues_s = started.elapsed().as_secs_f64();
    let stats = on.key_index_stats();
    let sealed_records = args.records / 2;
    let mut state = 1u64;
    let mut next = move |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % bound.max(1)
    };
    let mut ids: Vec<u64> = (0..args.lookups).map(|_| next(sealed_records)).collect();
    let sealed = lookup(&on, args.lookups, true, |n| unique_key(ids[n as usize])).await;
    let recent_from = args.records - args.records / 100;
    ids = (0..args.lookups)
        .map(|_| recent_from + next(args.records / 100))
        .collect();
    let recent = lookup(&on, args.lookups, true, |n| unique_key(ids[n as usize])).await;
    let customers = (args.records / CUSTOMER_RECORDS).max(1);
    ids = (0..args.lookups / 10).map(|_| next(customers)).collect();
    let shared = lookup(&on, args.lookups / 10, false, |n| {
        format!("customer-{}", ids[n as usize])
    })
    .await;
    println!(
        "{{\"records\":{},\"record_bytes\":{},\"segment_mib\":{},\
         \"appends_per_s_index_off\":{:.0},\"appends_per_s_index_on\":{:.0},\
         \"entries_sealed\":{},\"sealed_units\":{},\"flush_queues_s\":{:.3},\
         \"lookup_unique_sealed\":{},\"lookup_unique_recent\":{},\"lookup_shared_key_max32\":{}}}",
        args.records,
        records.first().map_or(0, |(_, record)| record.len()),
        args.segment_mib,
        appends_without_index,
        appends_with_index,
        memory_entries - stats.memory_entries,
        stats.sealed_units,
        flush_queues_s,
        json(&sealed),
        json(&recent),
        json(&shared),
    );
    on.close().await.expect("close");
}

//! Shared helpers of the simulated-disk integration tests.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;

use thrust_storage::sim_backend::{SimBackend, SimFaults};
use thrust_storage::testkit::encode_test_record;
use thrust_storage::{FlushDiskType, ShardId, Store, StoreConfig};

pub const SEGMENT_BYTES: u64 = 64 * 1024;
pub const T0_MS: i64 = 1_700_000_000_000;

pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    futures_lite::future::block_on(future)
}

pub struct Harness {
    pub backend: SimBackend,
    pub clock: Rc<Cell<i64>>,
    pub config: StoreConfig,
}

impl Harness {
    pub fn new(quota_bytes: u64) -> Harness {
        let backend = SimBackend::new(7, quota_bytes, SimFaults::default());
        backend.set_clock_ms(T0_MS);
        let clock = Rc::new(Cell::new(T0_MS));
        let mut config = StoreConfig::new("/sim", ShardId(0));
        config.maped_file_size_commit_log = SEGMENT_BYTES;
        config.consume_queue_entries_per_file = 1024;
        config.write_chunk_bytes = 16 * 1024;
        config.read_cache_bytes = 32 * 1024;
        config.max_message_size_bytes = 16 * 1024;
        config.flush_disk_type = FlushDiskType::SyncFlush;
        config.file_reserved_time_hours = 1;
        config.delete_when = "04".to_string();
        let shared = Rc::clone(&clock);
        config.clock_ms = Rc::new(move || shared.get());
        Harness {
            backend,
            clock,
            config,
        }
    }

    pub fn set_now(&self, now_ms: i64) {
        self.clock.set(now_ms);
        self.backend.set_clock_ms(now_ms);
    }

    pub fn open(&self) -> Store {
        let backend: Rc<dyn thrust_storage::Backend> = Rc::new(self.backend.clone());
        block_on(Store::open(self.config.clone(), backend)).expect("open")
    }
}

/// A 1 KiB-ish record whose body names its index.
pub fn record(queue_id: i32, index: u64) -> Vec<u8> {
    let mut body = format!("record-{index}-").into_bytes();
    body.resize(1000, b'r');
    encode_test_record("TopicRetention", queue_id, &body, Some("TagA"))
}

/// The index a record's body names.
pub fn index_of(record: &[u8]) -> u64 {
    let view = thrust_core::message::RecordView::parse(record).expect("parse");
    let text = std::str::from_utf8(&view.body()[7..]).expect("utf8");
    text.split('-')
        .next()
        .expect("index")
        .parse()
        .expect("number")
}

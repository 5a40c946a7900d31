//! The real backend (glommio DMA files, O_DIRECT) end to end in a temp
//! dir: sync and async appends, reads from the cache and from disk,
//! consume-queue checkpoint, reopen with the same contents, segment roll,
//! offset by timestamp and record by physical offset.

use std::rc::Rc;

use glommio::{LocalExecutorBuilder, Placement};
use thrust_storage::testkit::encode_test_record;
use thrust_storage::{
    BoundaryType, DmaBackend, FlushDiskType, GetMessageStatus, ShardId, Store, StoreConfig,
};

fn config(root: &std::path::Path, flush: FlushDiskType) -> StoreConfig {
    let mut config = StoreConfig::new(root, ShardId(2));
    config.maped_file_size_commit_log = 256 * 1024;
    config.consume_queue_entries_per_file = 1024;
    config.write_chunk_bytes = 64 * 1024;
    config.read_cache_bytes = 128 * 1024;
    config.max_message_size_bytes = 64 * 1024;
    config.flush_disk_type = flush;
    config
}

fn body(index: usize) -> Vec<u8> {
    let mut body = format!("message-{index}-").into_bytes();
    body.resize(100 + (index * 37) % 3000, b'x');
    body
}

async fn open(root: &std::path::Path, flush: FlushDiskType) -> Store {
    Store::open(config(root, flush), Rc::new(DmaBackend))
        .await
        .expect("open")
}

async fn check_all(store: &Store, count: usize) {
    let mut offset = 0;
    while offset < count as i64 {
        let result = store
            .get_messages("TopicTest", 0, offset, 32, 1 << 20, |_| true)
            .await
            .expect("read");
        assert_eq!(result.status, GetMessageStatus::Found);
        for (index, record) in result.records.iter().enumerate() {
            let view = thrust_core::message::RecordView::parse(record).expect("parse");
            assert_eq!(view.body(), &body(offset as usize + index)[..]);
            assert_eq!(view.queue_offset(), offset + index as i64);
            let fetched = store.get_record(view.physical_offset()).await.expect("get");
            assert_eq!(fetched.as_deref(), Some(&record[..]));
        }
        offset = result.next_begin_offset;
    }
    assert_eq!(store.max_offset("TopicTest", 0), count as i64);
}

#[test]
fn records_survive_reopen_on_real_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    let root_for_task = root.clone();
    LocalExecutorBuilder::new(Placement::Unbound)
        .spawn(move || async move {
            let store = open(&root_for_task, FlushDiskType::SyncFlush).await;
            for index in 0..400 {
                let record = encode_test_record("TopicTest", 0, &body(index), Some("TagA"));
                let result = store
                    .append("TopicTest", 0, &record, true)
                    .await
                    .expect("append");
                assert!(result.durable);
                assert_eq!(result.first_queue_offset, index as i64);
            }
            assert!(
                store.append_position() > 256 * 1024,
                "test should roll a segment"
            );
            check_all(&store, 400).await;
            let lower = store
                .offset_by_timestamp("TopicTest", 0, 0, BoundaryType::Lower)
                .await;
            assert_eq!(lower.expect("search"), 0);
            let upper = store
                .offset_by_timestamp("TopicTest", 0, i64::MAX, BoundaryType::Upper)
                .await;
            assert_eq!(upper.expect("search"), 399);
            assert!(
                store
                    .earliest_store_time("TopicTest", 0)
                    .await
                    .expect("time")
                    > 0
            );
            store.close().await.expect("close");
            drop(store);
            let store = open(&root_for_task, FlushDiskType::AsyncFlush).await;
            check_all(&store, 400).await;
            for index in 400..500 {
                let record = encode_test_record("TopicTest", 0, &body(index), None);
                store
                    .append("TopicTest", 0, &record, true)
                    .await
                    .expect("append");
            }
            store.flush().await.expect("flush");
            drop(store);
            let store = open(&root_for_task, FlushDiskType::AsyncFlush).await;
            check_all(&store, 500).await;
            let filtered = store
                .get_messages("TopicTest", 0, 0, 1000, 1 << 30, |code| code == 0)
                .await
                .expect("read");
            assert_eq!(filtered.records.len(), 100);
        })
        .expect("executor")
        .join()
        .expect("join");
}

/// ASYNC_FLUSH with the background task on real files: appends that never
/// wait (past the write back-pressure budget and the append yield size)
/// become durable through the background's write rounds and periodic
/// overlapped syncs alone, and survive reopen.
#[test]
fn background_async_flush_makes_appends_durable_without_explicit_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    LocalExecutorBuilder::new(Placement::Unbound)
        .spawn(move || async move {
            let mut config = config(&root, FlushDiskType::AsyncFlush);
            config.flush_interval_commit_log_ms = 10;
            config.dirty_bytes_max = 128 * 1024;
            let store = Store::open(config, Rc::new(DmaBackend))
                .await
                .expect("open");
            let background = store.clone();
            glommio::spawn_local(async move { background.run_background().await }).detach();
            let count = 1500;
            for index in 0..count {
                let record = encode_test_record("TopicTest", 0, &body(index), None);
                let result = store
                    .append("TopicTest", 0, &record, false)
                    .await
                    .expect("append");
                assert_eq!(result.first_queue_offset, index as i64);
            }
            assert!(
                store.append_position() > 1 << 20,
                "test should pass the append yield size"
            );
            let target = store.append_position();
            for _ in 0..2000 {
                if store.durable_position() >= target {
                    break;
                }
                glommio::timer::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert!(
                store.durable_position() >= target,
                "background left {} bytes not durable",
                target - store.durable_position()
            );
            check_all(&store, count).await;
            store.close().await.expect("close");
            glommio::timer::sleep(std::time::Duration::from_millis(50)).await;
            drop(store);
            let store = open(&root, FlushDiskType::AsyncFlush).await;
            check_all(&store, count).await;
        })
        .expect("executor")
        .join()
        .expect("join");
}

//! Retention over the simulated disk with 64 KiB segments: expired segments
//! go only at a `deleteWhen` hour, disk pressure deletes unexpired ones, the
//! active segment stays, consume queues follow (minimum offsets move, old
//! queue files go) and all of it survives a reopen.

mod common;

use common::{block_on, index_of, record, Harness, SEGMENT_BYTES, T0_MS};
use thrust_storage::GetMessageStatus;

const HOUR_MS: i64 = 3_600_000;

fn fill(store: &thrust_storage::Store, count: u64) {
    for index in 0..count {
        let result = block_on(store.append("TopicRetention", 0, &record(0, index), true));
        assert_eq!(result.expect("append").first_queue_offset, index as i64);
    }
    block_on(store.flush_queues()).expect("checkpoint");
}

#[test]
fn expired_segments_go_only_at_the_delete_hour() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    fill(&store, 300);
    let active_start = store.append_position() - store.append_position() % SEGMENT_BYTES;
    assert!(
        active_start >= 4 * SEGMENT_BYTES,
        "the test needs several segments"
    );

    let young = block_on(store.run_retention(T0_MS + HOUR_MS / 2, 4)).expect("retention");
    assert_eq!(
        young.deleted_segments, 0,
        "segments younger than fileReservedTime stay"
    );
    let wrong_hour = block_on(store.run_retention(T0_MS + 2 * HOUR_MS, 5)).expect("retention");
    assert_eq!(
        wrong_hour.deleted_segments, 0,
        "expired segments wait for deleteWhen"
    );

    let outcome = block_on(store.run_retention(T0_MS + 2 * HOUR_MS, 4)).expect("retention");
    assert_eq!(
        outcome.deleted_segments as u64,
        active_start / SEGMENT_BYTES
    );
    assert_eq!(
        outcome.min_position, active_start,
        "the active segment is never deleted"
    );

    let min = store.min_offset("TopicRetention", 0);
    assert!(min > 0, "the queue minimum follows the log");
    let stale = block_on(store.get_messages("TopicRetention", 0, 0, 10, 1 << 20, |_| true));
    let stale = stale.expect("read");
    assert_eq!(stale.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(stale.next_begin_offset, min);
    let fresh = block_on(store.get_messages("TopicRetention", 0, min, 10, 1 << 20, |_| true));
    let fresh = fresh.expect("read");
    assert_eq!(fresh.status, GetMessageStatus::Found);
    assert_eq!(index_of(&fresh.records[0]), min as u64);

    block_on(store.close()).expect("close");
    drop(store);
    let reopened = harness.open();
    assert_eq!(reopened.min_offset("TopicRetention", 0), min);
    assert_eq!(reopened.max_offset("TopicRetention", 0), 300);
    assert_eq!(reopened.min_position(), active_start);
    let after = block_on(reopened.get_messages("TopicRetention", 0, min, 500, 1 << 30, |_| true));
    assert_eq!(after.expect("read").records.len() as i64, 300 - min);
}

#[test]
fn disk_pressure_deletes_unexpired_segments_oldest_first() {
    let mut harness = Harness::new(16 * SEGMENT_BYTES);
    harness.config.disk_max_used_space_ratio_percent = 50;
    harness.config.disk_space_warning_level_ratio_percent = 95;
    let store = harness.open();
    fill(&store, 500);
    let usage = block_on(store.refresh_disk_usage()).expect("usage");
    assert!(
        usage.used_percent() >= 50,
        "test needs pressure, used {}%",
        usage.used_percent()
    );

    let outcome = block_on(store.run_retention(T0_MS, 12)).expect("retention");
    assert!(
        outcome.deleted_segments > 0,
        "pressure deletes segments before they expire"
    );
    assert!(
        outcome.disk_used_percent < 50,
        "deleted until below the ratio: {outcome:?}"
    );
    let min = store.min_offset("TopicRetention", 0);
    let read = block_on(store.get_messages("TopicRetention", 0, min, 1, 1 << 20, |_| true));
    assert_eq!(index_of(&read.expect("read").records[0]), min as u64);
    for path in harness.backend.file_paths() {
        let name = path.display().to_string();
        if name.contains("consumequeue") {
            let start: u64 = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
            assert!(
                start / 20 + 1024 > min as u64,
                "queue file {name} below the minimum stays"
            );
        }
    }
}

//! Disk-full behaviour over a quota-limited simulated disk: above the hard
//! watermark (`diskSpaceWarningLevelRatio`) appends are refused with an
//! error that says so while reads go on, and retention brings writes back;
//! an ENOSPC while preallocating a segment fails the appends concerned, the
//! store refuses writes until reopened, and nothing acknowledged is lost.

mod common;

use common::{block_on, index_of, record, Harness, SEGMENT_BYTES, T0_MS};
use thrust_storage::StorageError;

#[test]
fn appends_are_refused_above_the_hard_watermark_and_reads_go_on() {
    let mut harness = Harness::new(12 * SEGMENT_BYTES);
    harness.config.disk_max_used_space_ratio_percent = 60;
    harness.config.disk_space_warning_level_ratio_percent = 70;
    let store = harness.open();
    let mut refused = None;
    for index in 0..2000u64 {
        match block_on(store.append("TopicRetention", 0, &record(0, index), true)) {
            Ok(_) => {
                block_on(store.refresh_disk_usage()).expect("usage");
            }
            Err(error) => {
                refused = Some((index, error));
                break;
            }
        }
    }
    let (accepted, error) = refused.expect("the watermark must be reached");
    assert!(
        matches!(
            error,
            StorageError::DiskFull {
                limit_percent: 70,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("diskSpaceWarningLevelRatio"),
        "{error}"
    );
    let read = block_on(store.get_messages("TopicRetention", 0, 0, 4, 1 << 20, |_| true));
    assert_eq!(index_of(&read.expect("reads go on").records[0]), 0);

    let outcome = block_on(store.run_retention(T0_MS, 12)).expect("retention");
    assert!(outcome.deleted_segments > 0);
    let again = block_on(store.append("TopicRetention", 0, &record(0, accepted), true));
    assert_eq!(
        again.expect("writes come back").first_queue_offset,
        accepted as i64
    );
}

#[test]
fn enospc_fails_the_appends_concerned_and_loses_nothing_acknowledged() {
    let mut harness = Harness::new(3 * SEGMENT_BYTES + 30 * 1024);
    harness.config.disk_max_used_space_ratio_percent = 100;
    harness.config.disk_space_warning_level_ratio_percent = 100;
    let store = harness.open();
    let mut acknowledged = 0u64;
    let failure = loop {
        match block_on(store.append("TopicRetention", 0, &record(0, acknowledged), true)) {
            Ok(result) => {
                assert!(result.durable);
                acknowledged += 1;
                assert!(acknowledged < 10_000, "quota never hit");
            }
            Err(error) => break error,
        }
    };
    assert!(
        matches!(failure, StorageError::NotDurable { .. }),
        "{failure}"
    );
    assert!(
        failure.is_no_space(),
        "the error names the full disk: {failure}"
    );
    assert!(store.is_failed());
    let refused = block_on(store.append("TopicRetention", 0, &record(0, 99_999), true));
    assert!(
        matches!(refused, Err(StorageError::StoreFailed { .. })),
        "{refused:?}"
    );
    let read = block_on(store.get_messages("TopicRetention", 0, 0, 1, 1 << 20, |_| true));
    assert_eq!(index_of(&read.expect("reads go on").records[0]), 0);
    drop(store);

    harness.backend.set_quota(1 << 30);
    let reopened = harness.open();
    let max = reopened.max_offset("TopicRetention", 0);
    assert!(
        max >= acknowledged as i64,
        "acknowledged records lost: max {max}"
    );
    let all = block_on(reopened.get_messages("TopicRetention", 0, 0, 10_000, 1 << 30, |_| true));
    for (offset, record) in all.expect("read").records.iter().enumerate() {
        assert_eq!(index_of(record), offset as u64);
    }
    let next = block_on(reopened.append("TopicRetention", 0, &record(0, max as u64), true));
    assert_eq!(next.expect("writes after reopen").first_queue_offset, max);
}

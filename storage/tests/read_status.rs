//! The read API's answers that the broker maps to pull response codes
//! (REMOTING.md §3.3, §3.6): statuses at and past the ends of a queue, tag
//! filtering, the byte limit, offsets by timestamp, record by physical
//! offset for bogus offsets, and the arrival notice for long polling.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{block_on, index_of, record, Harness};
use thrust_storage::testkit::encode_test_record;
use thrust_storage::{BoundaryType, GetMessageStatus as Status, PhysicalOffset, ShardId};

const TOPIC: &str = "TopicRetention";

#[test]
fn statuses_follow_the_queue_bounds() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    let unknown = block_on(store.get_messages("Nope", 0, 0, 1, 1 << 20, |_| true)).unwrap();
    assert_eq!(unknown.status, Status::NoMatchedLogicQueue);
    for index in 0..5 {
        block_on(store.append(TOPIC, 0, &record(0, index), true)).unwrap();
    }
    let caught_up = block_on(store.get_messages(TOPIC, 0, 5, 1, 1 << 20, |_| true)).unwrap();
    assert_eq!(
        (caught_up.status, caught_up.next_begin_offset),
        (Status::OffsetOverflowOne, 5)
    );
    let past = block_on(store.get_messages(TOPIC, 0, 9, 1, 1 << 20, |_| true)).unwrap();
    assert_eq!(
        (past.status, past.next_begin_offset),
        (Status::OffsetOverflowBadly, 5)
    );
    assert_eq!((past.min_offset, past.max_offset), (0, 5));
    let none = block_on(store.get_messages(TOPIC, 0, 0, 10, 1 << 20, |code| code == 1)).unwrap();
    assert_eq!(
        (none.status, none.next_begin_offset),
        (Status::NoMatchedMessage, 5)
    );
    let one = block_on(store.get_messages(TOPIC, 0, 1, 10, 10, |_| true)).unwrap();
    assert_eq!(
        one.records.len(),
        1,
        "at least one record even over max_bytes"
    );
    assert_eq!((index_of(&one.records[0]), one.next_begin_offset), (1, 2));
}

#[test]
fn tag_filter_skips_other_tags_and_moves_next_offset_past_them() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    for (index, tag) in ["TagA", "TagB", "TagB", "TagA"].iter().enumerate() {
        let body = format!("record-{index}-");
        let encoded = encode_test_record(TOPIC, 1, body.as_bytes(), Some(tag));
        block_on(store.append(TOPIC, 1, &encoded, true)).unwrap();
    }
    let tag_a = i64::from(thrust_core::message::tags::tag_hash("TagA"));
    let result = block_on(store.get_messages(TOPIC, 1, 0, 2, 1 << 20, |code| code == tag_a));
    let result = result.unwrap();
    assert_eq!(result.status, Status::Found);
    let found: Vec<u64> = result
        .records
        .iter()
        .map(|record| index_of(record))
        .collect();
    assert_eq!(found, vec![0, 3]);
    assert_eq!(result.next_begin_offset, 4);
}

#[test]
fn offsets_by_timestamp_use_store_times() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    for index in 0..10u64 {
        harness.set_now(common::T0_MS + index as i64 * 1000);
        block_on(store.append(TOPIC, 0, &record(0, index), true)).unwrap();
    }
    let at = |time: i64, boundary| {
        block_on(store.offset_by_timestamp(TOPIC, 0, common::T0_MS + time, boundary)).unwrap()
    };
    assert_eq!(at(3000, BoundaryType::Lower), 3);
    assert_eq!(at(3000, BoundaryType::Upper), 3);
    assert_eq!(at(3500, BoundaryType::Lower), 4);
    assert_eq!(at(3500, BoundaryType::Upper), 3);
    assert_eq!(at(99_000, BoundaryType::Lower), 10);
    assert_eq!(at(-5, BoundaryType::Upper), 0);
    assert_eq!(
        block_on(store.earliest_store_time(TOPIC, 0)).unwrap(),
        common::T0_MS
    );
    assert_eq!(block_on(store.earliest_store_time(TOPIC, 7)).unwrap(), -1);
}

#[test]
fn bogus_physical_offsets_find_nothing() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    let appended = block_on(store.append(TOPIC, 0, &record(0, 0), true)).unwrap();
    let physical = appended.first_physical_offset.0;
    assert!(block_on(store.get_record(physical)).unwrap().is_some());
    for bogus in [physical + 1, physical + 4096, -1, i64::MAX] {
        assert!(
            block_on(store.get_record(bogus)).unwrap().is_none(),
            "offset {bogus}"
        );
    }
    let other_shard = PhysicalOffset::new(ShardId(3), 0).0;
    assert!(block_on(store.get_record(other_shard)).unwrap().is_none());
}

#[test]
fn appends_notify_the_arrival_listener() {
    let harness = Harness::new(1 << 30);
    let store = harness.open();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&seen);
    store.set_arrival_listener(Rc::new(move |topic: &str, queue_id, max_offset| {
        sink.borrow_mut()
            .push((topic.to_string(), queue_id, max_offset));
    }));
    let batch = [record(1, 0), record(1, 1)].concat();
    block_on(store.append(TOPIC, 1, &batch, false)).unwrap();
    assert_eq!(*seen.borrow(), vec![(TOPIC.to_string(), 1, 2)]);
}

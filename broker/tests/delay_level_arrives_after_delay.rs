//! A message with `DELAY=2` (test-lowered levels "1s 2s 1s …") is parked in
//! SCHEDULE_TOPIC_XXXX and reaches its real topic and queue no earlier than
//! 2 s after the send: its store time in the real queue is at least the
//! send time + 2 s, it is invisible there right after the send, `DELAY` is
//! gone, `REAL_TOPIC`/`REAL_QID` are kept, and its tags code is the tag hash
//! again (a tag subscription receives it). Sends to the schedule topic stay
//! forbidden.

mod common;

use std::time::{Duration, Instant};

use common::requests::*;
use common::Cluster;
use thrust_core::message::properties::find_property;
use thrust_core::message::record::decode_records;

const LEVELS: &str = "messageDelayLevel=1s 2s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s";
/// Generous bound for a loaded machine; never a tight timing assertion.
const ARRIVAL_WAIT_MAX: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn delayed_message_arrives_in_its_queue_not_before_its_delay() {
    let cluster = Cluster::start("delay-level", LEVELS);
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Later", 4)).code, SUCCESS);
    let sent_ms = now_ms();
    let props = properties(&[("TAGS", "tagA"), ("DELAY", "2")]);
    let response = client.call(send("Later", 3, b"parked", &props));
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let early = client.call(pull("cg", "Later", 3, 0, FLAG_SUBSCRIPTION, "*", 0));
    assert_ne!(early.code, SUCCESS, "delivered at once");

    let deadline = Instant::now() + ARRIVAL_WAIT_MAX;
    let response = loop {
        let response = client.call(pull("cg", "Later", 3, 0, FLAG_SUBSCRIPTION, "tagA", 0));
        if response.code == SUCCESS {
            break response;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered in {ARRIVAL_WAIT_MAX:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let records: Vec<_> = decode_records(&response.body).map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert!(
        record.store_timestamp() >= sent_ms + 2_000,
        "delivered before its delay: {} < {sent_ms} + 2000",
        record.store_timestamp()
    );
    assert_eq!(
        (record.topic(), record.queue_id(), record.body()),
        ("Later", 3, &b"parked"[..])
    );
    let props = record.properties_raw();
    assert_eq!(find_property(props, "DELAY"), None);
    assert_eq!(find_property(props, "REAL_TOPIC"), Some("Later"));
    assert_eq!(find_property(props, "REAL_QID"), Some("3"));
    assert_eq!(find_property(props, "TAGS"), Some("tagA"));
    for queue in [0, 1, 2] {
        let other = client.call(pull("cg", "Later", queue, 0, FLAG_SUBSCRIPTION, "*", 0));
        assert_ne!(other.code, SUCCESS, "queue {queue} got a message");
    }
    let forbidden = client.call(send("SCHEDULE_TOPIC_XXXX", 0, b"x", ""));
    assert_eq!(forbidden.code, 16);
}

//! CONSUMER_SEND_MSG_BACK end to end on a 2-shard broker with test-lowered
//! delay levels (every level 1 s): a consumed message sent back shows up in
//! `%RETRY%<group>` no earlier than its delay (its store time there is at
//! least the send-back time plus 1 s), with reconsumeTimes incremented and
//! RETRY_TOPIC / ORIGIN_MESSAGE_ID kept; sent back again once the
//! (header-lowered) maximum is reached, it lands in `%DLQ%<group>` queue 0,
//! and a send-back with `delayLevel < 0` goes straight to the DLQ.

mod common;

use std::time::{Duration, Instant};

use common::requests::*;
use common::{Client, Cluster};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::properties::find_property;
use thrust_core::message::record::decode_records;

const LEVELS: &str = "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s";
/// Generous bound for a loaded machine; never a tight timing assertion.
const ARRIVAL_WAIT_MAX: Duration = Duration::from_secs(30);

/// What the tests read back from one stored record.
#[derive(Debug)]
struct Got {
    body: Vec<u8>,
    topic: String,
    physical_offset: i64,
    store_timestamp: i64,
    reconsume_times: i32,
    msg_id: String,
    retry_topic: Option<String>,
    origin_msg_id: Option<String>,
    delay: Option<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Pulls `(topic, 0)` from offset 0 until at least `count` records came,
/// bounded by [`ARRIVAL_WAIT_MAX`].
fn pull_until(client: &mut Client, topic: &str, count: usize) -> Vec<Got> {
    let deadline = Instant::now() + ARRIVAL_WAIT_MAX;
    loop {
        let response = client.call(pull("reader", topic, 0, 0, FLAG_SUBSCRIPTION, "*", 0));
        let got: Vec<Got> = if response.code == SUCCESS {
            decode_records(&response.body)
                .map(|r| r.unwrap())
                .map(|r| Got {
                    body: r.body().to_vec(),
                    topic: r.topic().to_string(),
                    physical_offset: r.physical_offset(),
                    store_timestamp: r.store_timestamp(),
                    reconsume_times: r.reconsume_times(),
                    msg_id: OffsetMsgId::new(r.store_host(), r.physical_offset())
                        .encode()
                        .as_str()
                        .to_string(),
                    retry_topic: find_property(r.properties_raw(), "RETRY_TOPIC")
                        .map(str::to_string),
                    origin_msg_id: find_property(r.properties_raw(), "ORIGIN_MESSAGE_ID")
                        .map(str::to_string),
                    delay: find_property(r.properties_raw(), "DELAY").map(str::to_string),
                })
                .collect()
        } else {
            Vec::new()
        };
        if got.len() >= count {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{topic}: {} of {count} records after {ARRIVAL_WAIT_MAX:?}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn send_back(offset: i64, group: &str, delay_level: i32, max: i32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK.0)
        .with_ext_field("offset", offset.to_string())
        .with_ext_field("group", group)
        .with_ext_field("delayLevel", delay_level.to_string())
        .with_ext_field("maxReconsumeTimes", max.to_string())
}

#[test]
fn sent_back_message_is_redelivered_after_its_delay_then_dead_lettered() {
    let cluster = Cluster::start("retry-send-back", LEVELS);
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Orders", 1)).code, SUCCESS);
    send_ok(
        &mut client,
        "Orders",
        0,
        b"order-1",
        &properties(&[("TAGS", "t")]),
    );
    let original = pull_until(&mut client, "Orders", 1).remove(0);

    let mut current = original.physical_offset;
    for attempt in 1..=2 {
        let sent_back_ms = now_ms();
        let response = client.call(send_back(current, "g1", 0, 2));
        assert_eq!(response.code, SUCCESS, "send back: {:?}", response.remark);
        let got = pull_until(&mut client, "%RETRY%g1", attempt);
        let retried = got.into_iter().nth(attempt - 1).unwrap();
        assert!(
            retried.store_timestamp >= sent_back_ms + 1_000,
            "attempt {attempt} delivered before its delay: {} < {} + 1000",
            retried.store_timestamp,
            sent_back_ms
        );
        assert_eq!(retried.topic, "%RETRY%g1");
        assert_eq!(retried.body, b"order-1");
        assert_eq!(retried.reconsume_times, attempt as i32);
        assert_eq!(retried.retry_topic.as_deref(), Some("Orders"));
        assert_eq!(
            retried.origin_msg_id.as_deref(),
            Some(original.msg_id.as_str())
        );
        assert_eq!(retried.delay, None, "DELAY must be removed on delivery");
        current = retried.physical_offset;
    }

    // reconsumeTimes 2 ≥ max 2: dead-lettered, at once (no delay).
    let response = client.call(send_back(current, "g1", 0, 2));
    assert_eq!(response.code, SUCCESS, "send back: {:?}", response.remark);
    let dead = pull_until(&mut client, "%DLQ%g1", 1).remove(0);
    assert_eq!(dead.body, b"order-1");
    assert_eq!(dead.reconsume_times, 3);
    assert_eq!(dead.retry_topic.as_deref(), Some("Orders"));
    assert_eq!(
        dead.origin_msg_id.as_deref(),
        Some(original.msg_id.as_str())
    );

    // delayLevel < 0: straight to the DLQ whatever the count.
    let response = client.call(send_back(original.physical_offset, "g1", -1, 16));
    assert_eq!(response.code, SUCCESS, "send back: {:?}", response.remark);
    let dead = pull_until(&mut client, "%DLQ%g1", 2).remove(1);
    assert_eq!(
        (dead.body.as_slice(), dead.reconsume_times),
        (&b"order-1"[..], 1)
    );
}

#[test]
fn send_back_of_an_unknown_offset_fails_without_harm() {
    let cluster = Cluster::start("retry-send-back-bad", LEVELS);
    let mut client = cluster.client();
    for offset in [-1i64, 0, 1 << 40, i64::MAX] {
        let response = client.call(send_back(offset, "g1", 0, 16));
        assert_ne!(response.code, SUCCESS, "offset {offset}");
    }
    assert_eq!(client.call(create_topic("Still", 1)).code, SUCCESS);
    send_ok(&mut client, "Still", 0, b"alive", "");
}

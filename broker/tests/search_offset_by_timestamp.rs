//! SEARCH_OFFSET_BY_TIMESTAMP is exact: for store times at the first and
//! last message of a queue, at every commit log segment boundary the queue
//! crosses, and just around each of them, LOWER answers the first offset
//! stored at or after the time and UPPER the last offset stored at or
//! before it — checked against the store times the pulled records carry,
//! before and after a restart.
//!
//! Starts a real thrust-namesrv and a 2-shard thrust-broker on loopback.

mod common;

use std::time::Duration;

use common::requests::*;
use common::{Client, Cluster};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::record::decode_records;

const TOPIC: &str = "SearchT";
const SEGMENT_BYTES: i64 = 1 << 20;
const CONFIG: &str = "maxMessageSize=65536\nmappedFileSizeCommitLog=1048576";

/// (queue offset, store time, physical offset) of every message of a queue.
fn stored(client: &mut Client, queue_id: i32) -> Vec<(i64, i64, i64)> {
    let mut all = Vec::new();
    let mut offset = 0;
    for _ in 0..10_000 {
        let pulled = client.call(pull(
            "sg",
            TOPIC,
            queue_id,
            offset,
            FLAG_SUBSCRIPTION,
            "*",
            0,
        ));
        if pulled.code != SUCCESS {
            break;
        }
        for record in decode_records(&pulled.body) {
            let record = record.expect("record");
            let entry = (
                record.queue_offset(),
                record.store_timestamp(),
                record.physical_offset(),
            );
            all.push(entry);
        }
        offset = field(&pulled, "nextBeginOffset");
    }
    all
}

fn search(client: &mut Client, queue_id: i32, time: i64, boundary: &str) -> i64 {
    let response = client.call(
        RemotingCommand::request(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP.0)
            .with_ext_field("topic", TOPIC)
            .with_ext_field("queueId", queue_id.to_string())
            .with_ext_field("timestamp", time.to_string())
            .with_ext_field("boundaryType", boundary),
    );
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    field(&response, "offset")
}

/// The oracle: LOWER = first offset with time ≥ t (max offset if none),
/// UPPER = last offset with time ≤ t (min offset if none).
fn expected(messages: &[(i64, i64, i64)], time: i64) -> (i64, i64) {
    let max = messages.last().map_or(0, |m| m.0 + 1);
    let min = messages.first().map_or(0, |m| m.0);
    let lower = messages.iter().find(|m| m.1 >= time).map_or(max, |m| m.0);
    let upper = messages
        .iter()
        .rev()
        .find(|m| m.1 <= time)
        .map_or(min, |m| m.0);
    (lower, upper)
}

/// Times worth asking: around the first and last message and around every
/// record that starts a new commit log segment.
fn probe_times(messages: &[(i64, i64, i64)]) -> Vec<i64> {
    let mut times = Vec::new();
    let mut around = |time: i64| times.extend([time - 1, time, time + 1]);
    if let (Some(first), Some(last)) = (messages.first(), messages.last()) {
        around(first.1);
        around(last.1);
    }
    for pair in messages.windows(2) {
        let segment = |m: &(i64, i64, i64)| (m.2 & ((1 << 48) - 1)) / SEGMENT_BYTES;
        if segment(&pair[0]) != segment(&pair[1]) {
            around(pair[0].1);
            around(pair[1].1);
        }
    }
    times.extend([0, i64::MAX / 2]);
    times
}

fn check(client: &mut Client, phase: &str) -> usize {
    let mut segment_crossings = 0;
    for queue_id in 0..2 {
        let messages = stored(client, queue_id);
        assert_eq!(messages.len(), 3 * 1500 / 2, "{phase}: queue {queue_id}");
        for pair in messages.windows(2) {
            let segment = |m: &(i64, i64, i64)| (m.2 & ((1 << 48) - 1)) / SEGMENT_BYTES;
            if segment(&pair[0]) != segment(&pair[1]) {
                segment_crossings += 1;
            }
        }
        for time in probe_times(&messages) {
            let (lower, upper) = expected(&messages, time);
            let got_lower = search(client, queue_id, time, "LOWER");
            let got_upper = search(client, queue_id, time, "UPPER");
            assert_eq!(got_lower, lower, "{phase}: queue {queue_id} LOWER {time}");
            assert_eq!(got_upper, upper, "{phase}: queue {queue_id} UPPER {time}");
        }
    }
    segment_crossings
}

#[test]
fn search_by_time_is_exact_at_segment_and_queue_boundaries() {
    let mut cluster = Cluster::start("search-time", CONFIG);
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic(TOPIC, 2)).code, SUCCESS);
    let body = vec![b's'; 2000];
    // Three bursts apart in time; ~2 KiB records cross many 1 MiB segments.
    for burst in 0..3 {
        for n in 0..1500 {
            send_ok(&mut client, TOPIC, n % 2, &body, "");
        }
        if burst < 2 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let crossings = check(&mut client, "running");
    assert!(
        crossings >= 4,
        "the queues crossed only {crossings} segments"
    );
    drop(client);
    cluster.restart_broker();
    let mut client = cluster.client();
    check(&mut client, "after restart");
}

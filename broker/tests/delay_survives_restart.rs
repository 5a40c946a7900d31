//! Scheduled messages survive a broker restart (SIGTERM): messages parked
//! for 3 s and not yet due when the broker stops are all delivered after it
//! starts again, none before its time; messages delivered before the stop
//! are not delivered again after it (the per-shard delayOffset file).

mod common;

use std::time::{Duration, Instant};

use common::requests::*;
use common::{Client, Cluster};
use thrust_core::message::record::decode_records;

const LEVELS: &str = "messageDelayLevel=1s 3s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s";
/// Generous bound for a loaded machine; never a tight timing assertion.
const ARRIVAL_WAIT_MAX: Duration = Duration::from_secs(40);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// (body, store time) of every record in `(topic, queue)`.
fn read_all(client: &mut Client, topic: &str, queue: i32) -> Vec<(String, i64)> {
    let response = client.call(pull("cg", topic, queue, 0, FLAG_SUBSCRIPTION, "*", 0));
    if response.code != SUCCESS {
        return Vec::new();
    }
    decode_records(&response.body)
        .map(|r| r.unwrap())
        .map(|r| {
            (
                String::from_utf8(r.body().to_vec()).unwrap(),
                r.store_timestamp(),
            )
        })
        .collect()
}

fn wait_for(client: &mut Client, topic: &str, queue: i32, count: usize) -> Vec<(String, i64)> {
    let deadline = Instant::now() + ARRIVAL_WAIT_MAX;
    loop {
        let got = read_all(client, topic, queue);
        if got.len() >= count {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{topic}/{queue}: {} of {count}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn parked_messages_are_delivered_once_after_a_restart() {
    let mut cluster = Cluster::start("delay-restart", LEVELS);
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Early", 2)).code, SUCCESS);
    assert_eq!(client.call(create_topic("Late", 2)).code, SUCCESS);
    for n in 0..3 {
        let props = properties(&[("DELAY", "1")]);
        send_ok(
            &mut client,
            "Early",
            n % 2,
            format!("early-{n}").as_bytes(),
            &props,
        );
    }
    let early_before =
        wait_for(&mut client, "Early", 0, 2).len() + wait_for(&mut client, "Early", 1, 1).len();
    assert_eq!(early_before, 3);

    let sent_ms = now_ms();
    for n in 0..6 {
        let props = properties(&[("DELAY", "2")]);
        send_ok(
            &mut client,
            "Late",
            n % 2,
            format!("late-{n}").as_bytes(),
            &props,
        );
    }
    drop(client);
    let status = cluster.restart_broker().expect("broker was running");
    assert!(status.success(), "{status:?}");
    let mut client = cluster.client();

    let mut late = wait_for(&mut client, "Late", 0, 3);
    late.extend(wait_for(&mut client, "Late", 1, 3));
    let mut bodies: Vec<String> = late.iter().map(|(body, _)| body.clone()).collect();
    bodies.sort();
    let expected: Vec<String> = (0..6).map(|n| format!("late-{n}")).collect();
    assert_eq!(bodies, expected, "lost or duplicated");
    for (body, stored) in &late {
        assert!(
            *stored >= sent_ms + 3_000,
            "{body} delivered early: {stored} < {sent_ms} + 3000"
        );
    }
    // Give a wrongly re-delivering level time to act, then count again.
    std::thread::sleep(Duration::from_millis(1_500));
    let early_after =
        read_all(&mut client, "Early", 0).len() + read_all(&mut client, "Early", 1).len();
    assert_eq!(early_after, 3, "delivered messages were delivered again");
    let late_after =
        read_all(&mut client, "Late", 0).len() + read_all(&mut client, "Late", 1).len();
    assert_eq!(late_after, 6);
}

//! A short produce of N messages against a real Thrust broker is reported
//! as N acknowledged sends without errors, and a consume from the first
//! offset then reports exactly N messages received, and key lookups of
//! the keys it wrote all find their messages. Proves that
//! thrust-bench finds the broker through the name server, creates the
//! topic, round-robins its queues and counts both sides right.
//!
//! Skips (printing why) when thrust-namesrv / thrust-broker are not built
//! next to thrust-bench.

mod common;

const MESSAGES: u64 = 2_000;

#[test]
fn produced_count_is_reported_and_consumed_in_full() {
    let cluster = match common::start("counts") {
        Ok(cluster) => cluster,
        Err(reason) => {
            eprintln!("SKIPPED produced_count_is_reported_and_consumed_in_full: {reason}");
            return;
        }
    };
    let count = MESSAGES.to_string();
    let produce = common::run_bench(
        &cluster,
        &[
            "produce",
            "-t",
            "CountTopic",
            "--create-topic",
            "--queues",
            "4",
            "-c",
            &count,
            "-s",
            "256",
            "-m",
            "async",
            "-p",
            "2",
            "--inflight",
            "16",
            "--keys",
            "--tags",
            "TagA",
        ],
    )
    .expect("produce");
    assert_eq!(produce["produce"]["messages"], MESSAGES, "{produce}");
    assert_eq!(produce["produce"]["errors_total"], 0, "{produce}");
    assert_eq!(produce["produce"]["latency_us"]["samples"], MESSAGES);
    assert_eq!(produce["produce"]["body_bytes"], MESSAGES * 256);

    let consume = common::consume_from_first(&cluster, "CountTopic", MESSAGES).expect("consume");
    assert_eq!(consume["consume"]["messages"], MESSAGES, "{consume}");
    assert_eq!(consume["consume"]["body_bytes"], MESSAGES * 256);
    assert_eq!(consume["consume"]["errors_total"], 0, "{consume}");

    // The 2000 messages carry keys k0..k1999: every lookup finds one.
    let query = common::run_bench(
        &cluster,
        &[
            "query",
            "-t",
            "CountTopic",
            "--keys",
            "2000",
            "-c",
            "300",
            "--concurrency",
            "4",
        ],
    )
    .expect("query");
    assert_eq!(query["query"]["messages"], 300, "{query}");
    assert_eq!(query["query"]["errors_total"], 0, "{query}");
    assert_eq!(query["query"]["latency_us"]["samples"], 300, "{query}");
}

//! The send paths other than the plain async one each store exactly what
//! they report: oneway sends (no response comes, so only the stored count
//! shows that every frame left whole), batch sends (SEND_BATCH_MESSAGE from a
//! prepared header) and sends whose body is large enough to go out as its
//! own write piece rather than being copied. Each runs against a real
//! Thrust broker on its own topic; a consume from the first offset must
//! then receive the reported count and body bytes.
//!
//! Skips (printing why) when thrust-namesrv / thrust-broker are not built
//! next to thrust-bench.

mod common;

/// Produces with `args` on `topic`, checks the report, and consumes the
/// topic from its start expecting `messages` of `size` bytes.
fn produce_then_consume(
    cluster: &common::Cluster,
    topic: &str,
    messages: u64,
    size: u64,
    args: &[&str],
) {
    let (count, size_text) = (messages.to_string(), size.to_string());
    let mut produce_args = vec![
        "produce",
        "-t",
        topic,
        "--create-topic",
        "--queues",
        "2",
        "-c",
        &count,
        "-s",
        &size_text,
    ];
    produce_args.extend_from_slice(args);
    let produce = common::run_bench(cluster, &produce_args).expect("produce");
    assert_eq!(produce["produce"]["messages"], messages, "{produce}");
    assert_eq!(produce["produce"]["errors_total"], 0, "{produce}");
    assert_eq!(
        produce["produce"]["body_bytes"],
        messages * size,
        "{produce}"
    );
    let consume = common::consume_from_first(cluster, topic, messages).expect("consume");
    assert_eq!(
        consume["consume"]["messages"], messages,
        "{topic}: {consume}"
    );
    assert_eq!(
        consume["consume"]["body_bytes"],
        messages * size,
        "{consume}"
    );
    assert_eq!(consume["consume"]["errors_total"], 0, "{consume}");
}

#[test]
fn oneway_batch_and_large_body_sends_are_all_stored() {
    let cluster = match common::start("paths") {
        Ok(cluster) => cluster,
        Err(reason) => {
            eprintln!("SKIPPED oneway_batch_and_large_body_sends_are_all_stored: {reason}");
            return;
        }
    };
    let oneway = ["-m", "oneway", "-p", "2", "--tags", "T"];
    produce_then_consume(&cluster, "OnewayTopic", 1_000, 128, &oneway);
    let batch = ["-m", "async", "-p", "2", "--inflight", "4", "--batch", "8"];
    // 8 senders, each sending 10 whole batches of 8.
    produce_then_consume(&cluster, "BatchTopic", 640, 64, &batch);
    let large = ["-m", "sync", "-p", "3", "--keys"];
    produce_then_consume(&cluster, "LargeTopic", 120, 20_000, &large);
}

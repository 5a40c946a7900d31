//! An e2e run at a fixed rate against a real Thrust broker delivers every
//! acknowledged message to its consumer: after the drain time the consumed
//! count equals the produced count, and both are near rate x duration
//! (checked loosely, never as a timing assertion: only that something was
//! sent and all of it arrived).
//!
//! Skips (printing why) when thrust-namesrv / thrust-broker are not built
//! next to thrust-bench.

mod common;

#[test]
fn every_acknowledged_message_is_consumed_in_an_e2e_run() {
    let cluster = match common::start("e2e") {
        Ok(cluster) => cluster,
        Err(reason) => {
            eprintln!("SKIPPED every_acknowledged_message_is_consumed_in_an_e2e_run: {reason}");
            return;
        }
    };
    let report = common::run_bench(
        &cluster,
        &[
            "e2e",
            "-t",
            "E2eTopic",
            "--create-topic",
            "--queues",
            "2",
            "--rate",
            "500",
            "--duration",
            "2",
            "--warmup",
            "0",
            "--drain",
            "5",
            "-s",
            "128",
            "-m",
            "sync",
            "-p",
            "4",
            "--suspend-ms",
            "1000",
        ],
    )
    .expect("e2e");
    let produced = report["produce"]["messages"].as_u64().expect("produced");
    let consumed = report["consume"]["messages"].as_u64().expect("consumed");
    assert!(produced > 0, "{report}");
    assert_eq!(report["produce"]["errors_total"], 0, "{report}");
    assert_eq!(consumed, produced, "{report}");
    assert_eq!(report["consume"]["latency_us"]["samples"], produced);
}

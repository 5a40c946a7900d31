//! Measurement, not a check (ignored by default; never asserts timing):
//! pipelined SEND_MESSAGE_V2 of 1 KiB bodies over 4 connections to a
//! 2-shard broker, then pulls them all back; prints messages per second.
//!
//! Run: `cargo test -p thrust-broker --release --test send_throughput -- --ignored --nocapture`

mod common;

use std::time::Instant;

use common::requests::*;
use common::{Cluster, WAIT};

const CONNECTIONS: usize = 4;
const MESSAGES_PER_CONNECTION: usize = 25_000;
const WINDOW: usize = 256;

#[test]
#[ignore]
fn pipelined_send_throughput() {
    let cluster = Cluster::start("throughput", "");
    let mut admin = cluster.client();
    assert_eq!(admin.call(create_topic("Bench", 8)).code, SUCCESS);
    let body = vec![b'x'; 1024];
    let started = Instant::now();
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let mut client = cluster.client();
            let body = body.clone();
            std::thread::spawn(move || {
                let mut sent = 0;
                while sent < MESSAGES_PER_CONNECTION {
                    let opaques: Vec<i32> = (0..WINDOW)
                        .map(|n| client.send(send("Bench", ((c + n) % 8) as i32, &body, "")))
                        .collect();
                    for opaque in opaques {
                        let response = client.response(opaque, WAIT).expect("send response");
                        assert_eq!(response.code, SUCCESS);
                    }
                    sent += WINDOW;
                }
                sent
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let elapsed = started.elapsed();
    println!(
        "sent {total} x 1 KiB in {elapsed:?}: {:.0} msg/s, {:.1} MiB/s",
        total as f64 / elapsed.as_secs_f64(),
        total as f64 / 1024.0 / elapsed.as_secs_f64()
    );
    let started = Instant::now();
    let mut pulled = 0usize;
    for queue in 0..8 {
        let mut offset = 0i64;
        loop {
            let response = admin.call(pull("b", "Bench", queue, offset, FLAG_SUBSCRIPTION, "*", 0));
            if response.code != SUCCESS {
                break;
            }
            pulled += thrust_core::message::record::decode_records(&response.body).count();
            offset = field(&response, "nextBeginOffset");
        }
    }
    let elapsed = started.elapsed();
    println!(
        "pulled {pulled} in {elapsed:?}: {:.0} msg/s (one connection, 32 per pull)",
        pulled as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(pulled, total);
}

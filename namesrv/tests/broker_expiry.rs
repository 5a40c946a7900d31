//! Liveness by timeout: with `--broker-timeout-ms 600 --scan-interval-ms
//! 100`, a broker that registered once and then stays silent (its
//! connection still open) is dropped and its topics answer TOPIC_NOT_EXIST,
//! while a broker that keeps sending BROKER_HEARTBEAT stays. Waits are
//! bounded polls; no timing is asserted.

mod common;

use std::time::Duration;

use common::*;
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;

#[test]
fn silent_broker_expires_and_heartbeating_broker_stays() {
    let server = Namesrv::start(
        "expiry",
        &["--broker-timeout-ms", "600", "--scan-interval-ms", "100"],
    );
    let mut silent = server.connect();
    let mut alive = server.connect();
    register(
        &mut silent,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("OnA", 4), topic("X", 1)],
    );
    register(
        &mut alive,
        "broker-b",
        0,
        "10.0.0.2:10911",
        &[topic("OnB", 4), topic("Y", 1)],
    );
    let mut client = server.connect();
    assert!(route(&mut client, "OnA").is_ok());
    let expired = eventually(Duration::from_secs(30), || {
        let heartbeat = RemotingCommand::request(RequestCode::BROKER_HEARTBEAT.0)
            .with_ext_field("clusterName", CLUSTER)
            .with_ext_field("brokerAddr", "10.0.0.2:10911")
            .with_ext_field("brokerName", "broker-b");
        assert_eq!(alive.request(heartbeat).unwrap().code, 0);
        route(&mut client, "OnA") == Err(ResponseCode::TOPIC_NOT_EXIST.0)
    });
    assert!(expired, "broker-a never expired; log:\n{}", server.log());
    assert!(route(&mut client, "OnB").is_ok(), "log:\n{}", server.log());
    assert!(server.log().contains("expired"));
}

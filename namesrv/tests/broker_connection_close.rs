//! Liveness by connection: brokers registered over a connection are dropped
//! as soon as it closes (no timeout involved; the timeout is left at 120 s).
//! When the master's connection closes the slave stays in the route; when
//! the slave's closes too, the topic answers TOPIC_NOT_EXIST.

mod common;

use std::time::Duration;

use common::*;
use thrust_core::code::ResponseCode;

#[test]
fn master_connection_close_keeps_slave_and_last_close_drops_topic() {
    let server = Namesrv::start("conn-close", &[]);
    let mut master = server.connect();
    let mut slave = server.connect();
    register(
        &mut master,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("T", 4), topic("U", 4)],
    );
    register(&mut slave, "broker-a", 1, "10.0.0.2:10911", &[]);
    let mut client = server.connect();
    assert_eq!(
        route(&mut client, "T").unwrap().broker_datas[0]
            .broker_addrs
            .len(),
        2
    );

    drop(master);
    let slave_only = eventually(Duration::from_secs(20), || {
        let route = route(&mut client, "T").unwrap();
        route.broker_datas[0]
            .broker_addrs
            .keys()
            .copied()
            .collect::<Vec<_>>()
            == [1]
    });
    assert!(slave_only, "master was not dropped; log:\n{}", server.log());
    assert_eq!(route(&mut client, "T").unwrap().queue_datas.len(), 1);

    drop(slave);
    let gone = eventually(Duration::from_secs(20), || {
        route(&mut client, "T") == Err(ResponseCode::TOPIC_NOT_EXIST.0)
    });
    assert!(gone, "slave was not dropped; log:\n{}", server.log());
}

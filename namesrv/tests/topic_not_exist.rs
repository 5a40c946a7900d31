//! TOPIC_NOT_EXIST: a topic nobody registered, and a topic whose only
//! broker has gone (unregistered), both answer code 17 with Java's remark,
//! while topics of live brokers keep answering.

mod common;

use common::*;
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;
use thrust_core::header::namesrv::UnRegisterBrokerRequestHeader;
use thrust_core::header::CommandHeader;

#[test]
fn unknown_topic_and_topic_of_gone_broker_answer_topic_not_exist() {
    let server = Namesrv::start("not-exist", &[]);
    let mut conn = server.connect();
    let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "Nope");
    let response = conn.request(request).unwrap();
    assert_eq!(response.code, ResponseCode::TOPIC_NOT_EXIST.0);
    let remark = response.remark.unwrap_or_default();
    assert!(
        remark.starts_with("No topic route info in name server for the topic: Nope"),
        "{remark}"
    );

    register(
        &mut conn,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("OnA", 4), topic("Shared", 4)],
    );
    register(
        &mut conn,
        "broker-b",
        0,
        "10.0.0.2:10911",
        &[topic("OnB", 4), topic("Shared", 4)],
    );
    assert!(route(&mut conn, "OnA").is_ok());
    let header = UnRegisterBrokerRequestHeader {
        broker_name: "broker-a".to_owned(),
        broker_addr: "10.0.0.1:10911".to_owned(),
        cluster_name: CLUSTER.to_owned(),
        broker_id: 0,
    };
    let unregister =
        RemotingCommand::request(RequestCode::UNREGISTER_BROKER.0).with_ext_fields(header.encode());
    assert_eq!(conn.request(unregister).unwrap().code, 0);
    assert_eq!(
        route(&mut conn, "OnA"),
        Err(ResponseCode::TOPIC_NOT_EXIST.0)
    );
    assert!(route(&mut conn, "OnB").is_ok());
    let shared = route(&mut conn, "Shared").unwrap();
    assert_eq!(shared.broker_datas.len(), 1);
    assert_eq!(shared.queue_datas[0].broker_name, "broker-b");
}

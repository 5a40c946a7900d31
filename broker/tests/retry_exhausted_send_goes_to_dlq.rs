//! The `%RETRY%` branch of SEND_MESSAGE (§3.1 step 5), which Java and Go
//! clients use when CONSUMER_SEND_MSG_BACK fails: a send to `%RETRY%<group>`
//! whose reconsumeTimes exceeds maxReconsumeTimes is stored in
//! `%DLQ%<group>` queue 0 (created on demand) instead; one within the
//! maximum stays in the retry topic. The DLQ topic is registered with the
//! name server (its route resolves).

mod common;

use std::time::{Duration, Instant};

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::record::decode_records;

#[test]
fn retry_send_above_the_maximum_lands_in_the_dlq() {
    let cluster = Cluster::start("retry-send-dlq", "");
    let mut client = cluster.client();
    let within = send(
        "%RETRY%g2",
        -1,
        b"within",
        &properties(&[("RETRY_TOPIC", "T")]),
    )
    .with_ext_field("j", "2")
    .with_ext_field("l", "2");
    let response = client.call(within);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let above = send(
        "%RETRY%g2",
        -1,
        b"above",
        &properties(&[("RETRY_TOPIC", "T")]),
    )
    .with_ext_field("j", "3")
    .with_ext_field("l", "2");
    let response = client.call(above);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    assert_eq!(field::<i32>(&response, "queueId"), 0);

    let dlq = client.call(pull("reader", "%DLQ%g2", 0, 0, FLAG_SUBSCRIPTION, "*", 0));
    assert_eq!(dlq.code, SUCCESS, "{:?}", dlq.remark);
    let records: Vec<_> = decode_records(&dlq.body).map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].body(), b"above");
    assert_eq!(records[0].reconsume_times(), 3);
    let retry = client.call(pull("reader", "%RETRY%g2", 0, 0, FLAG_SUBSCRIPTION, "*", 0));
    assert_eq!(retry.code, SUCCESS, "{:?}", retry.remark);
    let bodies: Vec<Vec<u8>> = decode_records(&retry.body)
        .map(|r| r.unwrap().body().to_vec())
        .collect();
    assert_eq!(bodies, vec![b"within".to_vec()]);

    let mut namesrv = cluster.namesrv_client();
    let route = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "%DLQ%g2");
    let deadline = Instant::now() + Duration::from_secs(15);
    while namesrv.call(route.clone()).code != SUCCESS {
        assert!(Instant::now() < deadline, "DLQ topic not registered");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn dlq_is_created_even_with_topic_auto_create_disabled() {
    let cluster = Cluster::start("retry-send-dlq-no-auto", "autoCreateTopicEnable=false");
    let mut client = cluster.client();
    let above = send("%RETRY%g4", -1, b"above", "")
        .with_ext_field("j", "17")
        .with_ext_field("l", "16");
    let response = client.call(above);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let dlq = client.call(pull("reader", "%DLQ%g4", 0, 0, FLAG_SUBSCRIPTION, "*", 0));
    assert_eq!(dlq.code, SUCCESS, "{:?}", dlq.remark);
    assert_eq!(decode_records(&dlq.body).count(), 1);
}

//! Broker-side retry limits come from the subscription group config
//! (`updateSubGroup`, UPDATE_AND_CREATE_SUBSCRIPTIONGROUP): with
//! retryQueueNums=3 and retryMaxTimes=1 and no maxReconsumeTimes in the
//! request, the first send-back creates `%RETRY%<group>` with 3 queues and
//! re-delivers the message there; the second dead-letters it into
//! `%DLQ%<group>` (1 queue, perm 6). A consumer heartbeat that comes first
//! creates the retry topic with the group's retryQueueNums too.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::requests::*;
use common::{Client, Cluster};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::record::decode_records;

const LEVELS: &str = "messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s";
/// Generous bound for a loaded machine; never a tight timing assertion.
const ARRIVAL_WAIT_MAX: Duration = Duration::from_secs(30);

fn all_topics(client: &mut Client) -> serde_json::Value {
    let response = client.call(RemotingCommand::request(
        RequestCode::GET_ALL_TOPIC_CONFIG.0,
    ));
    assert_eq!(response.code, SUCCESS);
    serde_json::from_slice(&response.body).expect("topic config JSON")
}

/// (physical offset, reconsumeTimes) of the first record found in any of
/// `queues` queues of `topic`, waiting up to [`ARRIVAL_WAIT_MAX`].
fn first_record(client: &mut Client, topic: &str, queues: i32) -> (i64, i32) {
    let deadline = Instant::now() + ARRIVAL_WAIT_MAX;
    loop {
        for queue in 0..queues {
            let response = client.call(pull("reader", topic, queue, 0, FLAG_SUBSCRIPTION, "*", 0));
            if response.code == SUCCESS {
                let record = decode_records(&response.body).next().unwrap().unwrap();
                return (record.physical_offset(), record.reconsume_times());
            }
        }
        assert!(
            Instant::now() < deadline,
            "{topic}: nothing after {ARRIVAL_WAIT_MAX:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn send_back(offset: i64, group: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONSUMER_SEND_MSG_BACK.0)
        .with_ext_field("offset", offset.to_string())
        .with_ext_field("group", group)
        .with_ext_field("delayLevel", "0")
}

#[test]
fn group_retry_queue_nums_and_max_times_are_honoured() {
    let cluster = Cluster::start("retry-group-config", LEVELS);
    let mut client = cluster.client();
    let body = r#"{"groupName":"g3","consumeEnable":true,"consumeFromMinEnable":true,"consumeBroadcastEnable":true,"retryQueueNums":3,"retryMaxTimes":1,"brokerId":0,"whichBrokerWhenConsumeSlowly":1,"notifyConsumerIdsChangedEnable":true}"#;
    let update = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.0)
        .with_body(Bytes::from_static(body.as_bytes()));
    let response = client.call(update);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    assert_eq!(client.call(create_topic("Jobs", 1)).code, SUCCESS);
    send_ok(&mut client, "Jobs", 0, b"job", "");
    let (offset, _) = first_record(&mut client, "Jobs", 1);

    let response = client.call(send_back(offset, "g3"));
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let retry = &all_topics(&mut client)["topicConfigTable"]["%RETRY%g3"];
    assert_eq!(retry["writeQueueNums"], 3, "{retry}");
    let (retried, reconsume_times) = first_record(&mut client, "%RETRY%g3", 3);
    assert_eq!(reconsume_times, 1);

    let response = client.call(send_back(retried, "g3"));
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let (_, reconsume_times) = first_record(&mut client, "%DLQ%g3", 1);
    assert_eq!(reconsume_times, 2);
    let dlq = &all_topics(&mut client)["topicConfigTable"]["%DLQ%g3"];
    assert_eq!(
        (dlq["writeQueueNums"].clone(), dlq["perm"].clone()),
        (1.into(), 6.into()),
        "{dlq}"
    );
}

#[test]
fn heartbeat_creates_the_retry_topic_with_the_group_retry_queue_nums() {
    let cluster = Cluster::start("retry-heartbeat-queues", "");
    let mut client = cluster.client();
    let body = r#"{"groupName":"g4","retryQueueNums":4,"retryMaxTimes":16}"#;
    let update = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.0)
        .with_body(Bytes::from_static(body.as_bytes()));
    let response = client.call(update);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    assert_eq!(client.call(create_topic("Jobs4", 1)).code, SUCCESS);
    let response = client.call(heartbeat("127.0.0.1@1", "g4", "Jobs4"));
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let retry = &all_topics(&mut client)["topicConfigTable"]["%RETRY%g4"];
    assert_eq!(retry["writeQueueNums"], 4, "{retry}");
    assert_eq!(retry["readQueueNums"], 4, "{retry}");
}

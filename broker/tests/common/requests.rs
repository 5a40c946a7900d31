//! Request builders for the broker integration tests (JSON headers, V2 send
//! names as the Java client writes them).
#![allow(dead_code)]

use bytes::Bytes;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

use super::Client;

pub const SUCCESS: i32 = 0;

/// Properties string `k1\x01v1\x02k2\x01v2\x02`.
pub fn properties(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}\u{1}{v}\u{2}"))
        .collect()
}

/// A SEND_MESSAGE_V2 request.
pub fn send(topic: &str, queue_id: i32, body: &[u8], props: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::SEND_MESSAGE_V2.0)
        .with_ext_field("a", "pg")
        .with_ext_field("b", topic)
        .with_ext_field("c", "TBW102")
        .with_ext_field("d", "8")
        .with_ext_field("e", queue_id.to_string())
        .with_ext_field("f", "0")
        .with_ext_field("g", "1732512000000")
        .with_ext_field("h", "0")
        .with_ext_field("i", props)
        .with_body(Bytes::copy_from_slice(body))
}

/// UPDATE_AND_CREATE_TOPIC with `queues` read/write queues.
pub fn create_topic(topic: &str, queues: u32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC.0)
        .with_ext_field("topic", topic)
        .with_ext_field("defaultTopic", "TBW102")
        .with_ext_field("readQueueNums", queues.to_string())
        .with_ext_field("writeQueueNums", queues.to_string())
        .with_ext_field("perm", "6")
        .with_ext_field("topicFilterType", "SINGLE_TAG")
        .with_ext_field("order", "false")
}

pub const FLAG_COMMIT: i32 = 1;
pub const FLAG_SUSPEND: i32 = 2;
pub const FLAG_SUBSCRIPTION: i32 = 4;

/// PULL_MESSAGE.
pub fn pull(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
    sys_flag: i32,
    expression: &str,
    suspend_ms: i64,
) -> RemotingCommand {
    RemotingCommand::request(RequestCode::PULL_MESSAGE.0)
        .with_ext_field("consumerGroup", group)
        .with_ext_field("topic", topic)
        .with_ext_field("queueId", queue_id.to_string())
        .with_ext_field("queueOffset", offset.to_string())
        .with_ext_field("maxMsgNums", "32")
        .with_ext_field("sysFlag", sys_flag.to_string())
        .with_ext_field("commitOffset", "0")
        .with_ext_field("suspendTimeoutMillis", suspend_ms.to_string())
        .with_ext_field("subscription", expression)
        .with_ext_field("subVersion", "0")
        .with_ext_field("expressionType", "TAG")
}

/// HEART_BEAT of one consumer of `group` subscribed to `topic` with `*`.
pub fn heartbeat(client_id: &str, group: &str, topic: &str) -> RemotingCommand {
    let body = format!(
        r#"{{"clientID":"{client_id}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"{topic}"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    RemotingCommand::request(RequestCode::HEART_BEAT.0).with_body(Bytes::from(body))
}

/// Field `key` of a response, parsed.
pub fn field<T: std::str::FromStr>(response: &RemotingCommand, key: &str) -> T {
    response
        .ext_field(key)
        .unwrap_or_else(|| panic!("response lacks {key}: {response:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} does not parse"))
}

/// Sends `body` to `(topic, queue)` and asserts success; returns the queue offset.
pub fn send_ok(client: &mut Client, topic: &str, queue_id: i32, body: &[u8], props: &str) -> i64 {
    let response = client.call(send(topic, queue_id, body, props));
    assert_eq!(response.code, SUCCESS, "send failed: {:?}", response.remark);
    field(&response, "queueOffset")
}

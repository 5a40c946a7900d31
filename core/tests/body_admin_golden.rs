//! Admin bodies and fastjson's object-keyed maps (REMOTING.md §11 traps 3
//! and 4): ConsumeStats, TopicStatsTable and ResetOffsetBody are read from
//! fastjson's `{{queue}:value}` shape and from gson's `[[queue,value]]` shape,
//! and written in fastjson's shape (checked byte for byte) because Java admin
//! tools read only that; consumer offsets with bare queue-id keys parse; the
//! connection bodies and subscription-group defaults match Java.

use std::collections::BTreeMap;

use thrust_core::body::{
    Connection, ConsumeStats, ConsumerConnection, ConsumerOffsetSerializeWrapper, JsonBody,
    MessageModel, MessageQueue, OffsetWrapper, ProducerConnection, ResetOffsetBody,
    SubscriptionGroupConfig, SubscriptionGroupWrapper, TopicOffset, TopicStatsTable,
};

fn queue(id: i32) -> MessageQueue {
    MessageQueue::new("T", "broker-a", id)
}

#[test]
fn consume_stats_read_from_fastjson_and_written_back_identically() {
    let fastjson = concat!(
        r#"{"consumeTps":12.5,"offsetTable":{"#,
        r#"{"brokerName":"broker-a","queueId":0,"topic":"T"}:"#,
        r#"{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1732512000000,"pullOffset":95},"#,
        r#"{"brokerName":"broker-a","queueId":1,"topic":"T"}:"#,
        r#"{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0,"pullOffset":7}}}"#
    );
    let stats = ConsumeStats::decode(fastjson.as_bytes()).unwrap();
    assert_eq!(stats.consume_tps, 12.5);
    assert_eq!(
        stats.offset_table,
        vec![
            (
                queue(0),
                OffsetWrapper {
                    broker_offset: 100,
                    consumer_offset: 90,
                    last_timestamp: 1_732_512_000_000,
                    pull_offset: 95
                }
            ),
            (
                queue(1),
                OffsetWrapper {
                    broker_offset: 7,
                    consumer_offset: 7,
                    last_timestamp: 0,
                    pull_offset: 7
                }
            ),
        ]
    );
    assert_eq!(String::from_utf8(stats.encode()).unwrap(), fastjson);
}

#[test]
fn topic_stats_written_in_fastjson_shape() {
    let table = TopicStatsTable {
        offset_table: vec![(
            queue(3),
            TopicOffset {
                last_update_timestamp: 5,
                max_offset: 10,
                min_offset: 2,
            },
        )],
        topic_put_tps: 0.0,
    };
    let expected = concat!(
        r#"{"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"T"}:"#,
        r#"{"lastUpdateTimestamp":5,"maxOffset":10,"minOffset":2}},"topicPutTps":0.0}"#
    );
    assert_eq!(String::from_utf8(table.encode()).unwrap(), expected);
    assert_eq!(TopicStatsTable::decode(expected.as_bytes()).unwrap(), table);
}

#[test]
fn reset_offset_body_reads_fastjson_gson_and_empty_shapes() {
    let expected = vec![(queue(0), 5_i64), (queue(1), 6)];
    let fastjson = br#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:5,{"brokerName":"broker-a","queueId":1,"topic":"T"}:6}}"#;
    let gson = br#"{"offsetTable":[[{"brokerName":"broker-a","queueId":0,"topic":"T"},5],[{"topic":"T","brokerName":"broker-a","queueId":1},6]]}"#;
    assert_eq!(
        ResetOffsetBody::decode(fastjson).unwrap().offset_table,
        expected
    );
    assert_eq!(
        ResetOffsetBody::decode(gson).unwrap().offset_table,
        expected
    );
    assert!(ResetOffsetBody::decode(br#"{"offsetTable":{}}"#)
        .unwrap()
        .offset_table
        .is_empty());
    assert!(ResetOffsetBody::decode(b"{}")
        .unwrap()
        .offset_table
        .is_empty());
    let body = ResetOffsetBody {
        offset_table: expected,
    };
    assert_eq!(body.encode(), fastjson);
}

#[test]
fn object_keyed_map_with_string_keys_is_refused() {
    assert!(ResetOffsetBody::decode(br#"{"offsetTable":{"T":5}}"#).is_err());
    assert!(ResetOffsetBody::decode(br#"{"offsetTable":{{"queueId":"x"}:5}}"#).is_err());
    assert!(ResetOffsetBody::decode(br#"{"offsetTable":{{"queueId":0}:"five"}}"#).is_err());
}

#[test]
fn consumer_offsets_with_bare_queue_ids_parse() {
    let fastjson = br#"{"offsetTable":{"T@g":{0:12,1:34},"%RETRY%g@g":{0:0}}}"#;
    let offsets = ConsumerOffsetSerializeWrapper::decode(fastjson).unwrap();
    assert_eq!(
        offsets.offset_table["T@g"],
        BTreeMap::from([(0, 12), (1, 34)])
    );
    assert_eq!(offsets.data_version, None);
    let text = String::from_utf8(offsets.encode()).unwrap();
    assert_eq!(
        text,
        r#"{"offsetTable":{"%RETRY%g@g":{"0":0},"T@g":{"0":12,"1":34}}}"#
    );
}

#[test]
fn connection_bodies_use_java_member_names() {
    let connection = Connection {
        client_addr: "10.0.0.5:52001".into(),
        client_id: "10.0.0.5@1".into(),
        language: "GO".into(),
        version: 317,
    };
    let consumer = ConsumerConnection {
        connection_set: vec![connection.clone()],
        message_model: Some(MessageModel::Clustering),
        ..ConsumerConnection::default()
    };
    let expected = concat!(
        r#"{"connectionSet":[{"clientAddr":"10.0.0.5:52001","clientId":"10.0.0.5@1","#,
        r#""language":"GO","version":317}],"messageModel":"CLUSTERING","subscriptionTable":{}}"#
    );
    assert_eq!(String::from_utf8(consumer.encode()).unwrap(), expected);
    let producer = ProducerConnection {
        connection_set: vec![connection],
    };
    assert_eq!(
        ProducerConnection::decode(&producer.encode()).unwrap(),
        producer
    );
}

#[test]
fn subscription_group_wrapper_parses_java_4x_file() {
    let file = br#"{"dataVersion":{"counter":2,"timestamp":1700000000000},
        "subscriptionGroupTable":{"cg":{"brokerId":0,"consumeBroadcastEnable":true,
        "consumeEnable":false,"consumeFromMinEnable":true,"groupName":"cg",
        "notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,
        "whichBrokerWhenConsumeSlowly":1}}}"#;
    let wrapper = SubscriptionGroupWrapper::decode(file).unwrap();
    let group = &wrapper.subscription_group_table["cg"];
    assert!(!group.consume_enable);
    assert_eq!(group.retry_max_times, 3);
    assert_eq!(
        group.consume_timeout_minute, 15,
        "missing in 4.x, Java default"
    );
    let defaults = SubscriptionGroupConfig::new("x");
    assert_eq!(defaults.group_retry_policy.customized_retry_policy, None);
    assert_eq!(
        SubscriptionGroupWrapper::decode(&wrapper.encode()).unwrap(),
        wrapper
    );
}

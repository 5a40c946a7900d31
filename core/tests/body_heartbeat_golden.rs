//! HEART_BEAT bodies as each client writes them (REMOTING.md §3.7, §9.3,
//! traps 5, 6, 30): the §9.3 Java body; a Go body (codeSet strings, upper-cased
//! messageModel, nanosecond subVersion, `UNKNOWN` consume-from-where, no
//! fingerprint); and a C++ body (enum ordinals, subVersion as a string, no
//! expressionType). Each must parse to the values the client meant.

use thrust_core::body::{
    ConsumeFromWhere, ConsumeType, HeartbeatData, JsonBody, MessageModel, SubscriptionData,
};

const JAVA_HEARTBEAT: &str = r#"{"clientID":"192.168.1.5@4242#1234567","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
 "consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING",
 "subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG",
   "subString":"TagA","subVersion":1732512000000,"tagsSet":["TagA"],"topic":"TopicTest"},
  {"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",
   "subVersion":1732512000001,"tagsSet":[],"topic":"%RETRY%cg"}],"unitMode":false}],
 "heartbeatFingerprint":0,"producerDataSet":[{"groupName":"pg"},{"groupName":"CLIENT_INNER_PRODUCER"}],
 "withoutSub":false}"#;

const GO_HEARTBEAT: &str = r#"{"clientID":"10.0.0.7@31337","producerDataSet":[],"consumerDataSet":[{"groupName":"go-cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":1732512000123456789,"expressionType":"TAG"},{"classFilterMode":false,"topic":"%RETRY%go-cg","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1732512000123999999,"expressionType":"TAG"}],"unitMode":false},{"groupName":"go-pull","consumeType":"CONSUME_ACTIVELY","messageModel":"BROADCASTING","consumeFromWhere":"UNKNOWN","subscriptionDataSet":null,"unitMode":false}]}"#;

const CPP_HEARTBEAT: &str = r#"{
   "clientID" : "10.0.0.9@777#42",
   "consumerDataSet" : [
      {
         "consumeFromWhere" : 5,
         "consumeType" : 1,
         "groupName" : "cpp-cg",
         "messageModel" : 0,
         "subscriptionDataSet" : [
            {
               "codeSet" : [ 2598919 ],
               "subString" : "TagA",
               "subVersion" : "1732512000000",
               "tagsSet" : [ "TagA" ],
               "topic" : "TopicTest"
            }
         ]
      }
   ],
   "producerDataSet" : [ { "groupName" : "cpp-pg" } ]
}"#;

#[test]
fn java_heartbeat_parses() {
    let heartbeat = HeartbeatData::decode(JAVA_HEARTBEAT.as_bytes()).unwrap();
    assert_eq!(heartbeat.client_id, "192.168.1.5@4242#1234567");
    assert_eq!(heartbeat.heartbeat_fingerprint, 0);
    assert!(!heartbeat.without_sub);
    let groups: Vec<&str> = heartbeat
        .producer_data_set
        .iter()
        .map(|p| p.group_name.as_str())
        .collect();
    assert_eq!(groups, ["pg", "CLIENT_INNER_PRODUCER"]);

    let consumer = &heartbeat.consumer_data_set[0];
    assert_eq!(consumer.group_name, "cg");
    assert_eq!(consumer.consume_type, Some(ConsumeType::ConsumePassively));
    assert_eq!(consumer.message_model, Some(MessageModel::Clustering));
    assert_eq!(
        consumer.consume_from_where,
        Some(ConsumeFromWhere::ConsumeFromLastOffset)
    );
    assert_eq!(
        consumer.subscription_data_set[0],
        SubscriptionData {
            class_filter_mode: false,
            code_set: vec![2_598_919],
            expression_type: "TAG".into(),
            sub_string: "TagA".into(),
            sub_version: 1_732_512_000_000,
            tags_set: vec!["TagA".into()],
            topic: "TopicTest".into(),
        }
    );
    let retry = &consumer.subscription_data_set[1];
    assert_eq!(
        (retry.topic.as_str(), retry.sub_string.as_str()),
        ("%RETRY%cg", "*")
    );
    assert!(retry.is_sub_all() && retry.code_set.is_empty());
}

#[test]
fn go_heartbeat_parses() {
    let heartbeat = HeartbeatData::decode(GO_HEARTBEAT.as_bytes()).unwrap();
    assert_eq!(heartbeat.client_id, "10.0.0.7@31337");
    assert!(heartbeat.producer_data_set.is_empty());
    let push = &heartbeat.consumer_data_set[0];
    assert_eq!(
        push.consume_from_where,
        Some(ConsumeFromWhere::ConsumeFromFirstOffset)
    );
    let sub = &push.subscription_data_set[0];
    assert_eq!(sub.code_set, vec![2_598_919, 2_598_920]);
    assert_eq!(sub.tags_set, vec!["TagA".to_string(), "TagB".to_string()]);
    assert_eq!(sub.sub_version, 1_732_512_000_123_456_789);

    let pull = &heartbeat.consumer_data_set[1];
    assert_eq!(pull.consume_type, Some(ConsumeType::ConsumeActively));
    assert_eq!(pull.message_model, Some(MessageModel::Broadcasting));
    assert_eq!(pull.consume_from_where, None, "Go's UNKNOWN is no constant");
    assert!(
        pull.subscription_data_set.is_empty(),
        "null set reads as empty"
    );
}

#[test]
fn cpp_heartbeat_with_ordinals_and_string_numbers_parses() {
    let heartbeat = HeartbeatData::decode(CPP_HEARTBEAT.as_bytes()).unwrap();
    let consumer = &heartbeat.consumer_data_set[0];
    assert_eq!(
        consumer.consume_from_where,
        Some(ConsumeFromWhere::ConsumeFromTimestamp)
    );
    assert_eq!(consumer.consume_type, Some(ConsumeType::ConsumePassively));
    assert_eq!(consumer.message_model, Some(MessageModel::Broadcasting));
    let sub = &consumer.subscription_data_set[0];
    assert_eq!(sub.sub_version, 1_732_512_000_000);
    assert_eq!(
        sub.expression_type, "TAG",
        "absent expressionType means TAG"
    );
    assert!(sub.is_tag_type());
    assert_eq!(heartbeat.producer_data_set[0].group_name, "cpp-pg");
}

#[test]
fn heartbeat_v2_without_subscriptions_parses() {
    let body = br#"{"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":"CONSUME_POP",
        "messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","unitMode":false}],
        "heartbeatFingerprint":-123456,"producerDataSet":[],"withoutSub":true}"#;
    let heartbeat = HeartbeatData::decode(body).unwrap();
    assert!(heartbeat.without_sub);
    assert_eq!(heartbeat.heartbeat_fingerprint, -123_456);
    assert_eq!(
        heartbeat.consumer_data_set[0].consume_type,
        Some(ConsumeType::ConsumePop)
    );
    assert!(heartbeat.consumer_data_set[0]
        .subscription_data_set
        .is_empty());
}

#[test]
fn encoded_heartbeat_uses_java_names_and_enum_names() {
    let heartbeat = HeartbeatData::decode(CPP_HEARTBEAT.as_bytes()).unwrap();
    let text = String::from_utf8(heartbeat.encode()).unwrap();
    assert!(
        text.starts_with(r#"{"clientID":"10.0.0.9@777#42","consumerDataSet":[{"#),
        "{text}"
    );
    assert!(
        text.contains(r#""consumeFromWhere":"CONSUME_FROM_TIMESTAMP""#),
        "{text}"
    );
    assert!(text.contains(r#""messageModel":"BROADCASTING""#), "{text}");
    assert!(text.contains(r#""subVersion":1732512000000"#), "{text}");
    assert_eq!(HeartbeatData::decode(text.as_bytes()).unwrap(), heartbeat);
}

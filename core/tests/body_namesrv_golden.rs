//! Name-server and small broker bodies as REMOTING.md shows them: the §9.5
//! REGISTER_BROKER body, the §9.6 cluster info with bare numeric keys, the
//! §3.14 lock bodies (Java and Go), the §9.7 small bodies and the §3.16
//! check-client body. Each parses to the expected values, and what we write
//! back quotes every key and parses again to the same value.

use std::collections::{BTreeMap, BTreeSet};

use thrust_core::body::{
    CheckClientRequestBody, ClusterInfo, DataVersion, GetConsumerListByGroupResponseBody, JsonBody,
    KVTable, LockBatchRequestBody, LockBatchResponseBody, MessageQueue, RegisterBrokerBody,
    TopicConfig, TopicFilterType, TopicList, UnlockBatchRequestBody,
};

const SECTION_9_5_REGISTER: &str = r#"{"filterServerList":[],
 "topicConfigSerializeWrapper":{
   "dataVersion":{"counter":12,"stateVersion":0,"timestamp":1732512000000},
   "mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1732512000000},
   "topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,
      "topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}},
   "topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}}"#;

const SECTION_9_6_CLUSTER: &str = r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"192.168.1.10:10911"},"brokerName":"broker-a",
   "cluster":"DefaultCluster","enableActingMaster":false}},
 "clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#;

#[test]
fn section_9_5_register_body_parses() {
    let body = RegisterBrokerBody::decode(SECTION_9_5_REGISTER.as_bytes()).unwrap();
    assert!(body.filter_server_list.is_empty());
    let wrapper = &body.topic_config_serialize_wrapper;
    assert_eq!(
        wrapper.data_version,
        DataVersion {
            counter: 12,
            state_version: 0,
            timestamp: 1_732_512_000_000
        }
    );
    assert_eq!(wrapper.mapping_data_version.map(|v| v.counter), Some(0));
    let expected = TopicConfig {
        attributes: BTreeMap::new(),
        order: false,
        perm: 6,
        read_queue_nums: 4,
        topic_filter_type: TopicFilterType::SingleTag,
        topic_name: "TopicTest".into(),
        topic_sys_flag: 0,
        write_queue_nums: 4,
    };
    assert_eq!(wrapper.topic_config_table.get("TopicTest"), Some(&expected));

    // Written back, it is the §9.5 example without whitespace.
    let compact: String = SECTION_9_5_REGISTER
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(String::from_utf8(body.encode()).unwrap(), compact);
}

#[test]
fn data_version_equality_is_all_three_members() {
    let base = DataVersion {
        counter: 12,
        state_version: 0,
        timestamp: 1_732_512_000_000,
    };
    assert_eq!(
        base,
        DataVersion::decode(br#"{"timestamp":1732512000000,"counter":12}"#).unwrap()
    );
    assert_ne!(
        base,
        DataVersion {
            counter: 13,
            ..base
        }
    );
    assert_ne!(
        base,
        DataVersion {
            timestamp: 1,
            ..base
        }
    );
    assert_ne!(
        base,
        DataVersion {
            state_version: 1,
            ..base
        }
    );
}

#[test]
fn section_9_6_cluster_info_with_bare_keys_parses() {
    let info = ClusterInfo::decode(SECTION_9_6_CLUSTER.as_bytes()).unwrap();
    let broker = &info.broker_addr_table["broker-a"];
    assert_eq!(broker.master_addr(), Some("192.168.1.10:10911"));
    assert_eq!(broker.cluster, "DefaultCluster");
    assert_eq!(
        info.cluster_addr_table["DefaultCluster"],
        BTreeSet::from(["broker-a".to_string()])
    );

    let text = String::from_utf8(info.encode()).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{"0":"192.168.1.10:10911"}"#),
        "{text}"
    );
    assert_eq!(ClusterInfo::decode(text.as_bytes()).unwrap(), info);
}

#[test]
fn lock_bodies_from_java_and_go_parse() {
    let java = br#"{"clientId":"10.0.0.5@12345#931243","consumerGroup":"cg","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}],"onlyThisBroker":false}"#;
    let go = br#"{"consumerGroup":"cg","clientId":"10.0.0.5@12345","mqSet":[{"topic":"T","brokerName":"broker-a","queueId":1},{"topic":"T","brokerName":"broker-a","queueId":0}]}"#;
    let lock = LockBatchRequestBody::decode(java).unwrap();
    assert_eq!(lock.client_id, "10.0.0.5@12345#931243");
    assert_eq!(
        lock.mq_set,
        BTreeSet::from([MessageQueue::new("T", "broker-a", 0)])
    );
    let unlock = UnlockBatchRequestBody::decode(go).unwrap();
    assert!(!unlock.only_this_broker);
    assert_eq!(unlock.mq_set.len(), 2);

    let answer = LockBatchResponseBody {
        lock_ok_mq_set: unlock.mq_set.clone(),
    };
    let expected = concat!(
        r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},"#,
        r#"{"brokerName":"broker-a","queueId":1,"topic":"T"}]}"#
    );
    assert_eq!(String::from_utf8(answer.encode()).unwrap(), expected);
}

#[test]
fn small_bodies_parse_and_encode() {
    let topics = TopicList::decode(br#"{"topicList":["B","A","A"],"brokerAddr":"h:1"}"#).unwrap();
    assert_eq!(
        topics.topic_list,
        BTreeSet::from(["A".to_string(), "B".to_string()])
    );
    assert_eq!(topics.broker_addr.as_deref(), Some("h:1"));
    let topics = TopicList {
        broker_addr: None,
        ..topics
    };
    assert_eq!(topics.encode(), br#"{"topicList":["A","B"]}"#);

    let kv = KVTable::decode(br#"{"table":{"T":"broker-a:4;broker-b:4"}}"#).unwrap();
    assert_eq!(kv.table["T"], "broker-a:4;broker-b:4");
    assert_eq!(kv.encode(), br#"{"table":{"T":"broker-a:4;broker-b:4"}}"#);

    let ids = GetConsumerListByGroupResponseBody {
        consumer_id_list: vec!["c1".into()],
    };
    assert_eq!(ids.encode(), br#"{"consumerIdList":["c1"]}"#);
    assert_eq!(
        GetConsumerListByGroupResponseBody::decode(b"{}")
            .unwrap()
            .consumer_id_list
            .len(),
        0
    );
}

#[test]
fn check_client_body_parses() {
    let body = br#"{"clientId":"c","group":"g","subscriptionData":{"classFilterMode":false,
        "codeSet":[],"expressionType":"SQL92","subString":"a > 5","subVersion":1,"tagsSet":[],
        "topic":"T"}}"#;
    let check = CheckClientRequestBody::decode(body).unwrap();
    let sub = check.subscription_data.as_ref().unwrap();
    assert_eq!(
        (sub.expression_type.as_str(), sub.sub_string.as_str()),
        ("SQL92", "a > 5")
    );
    assert!(!sub.is_tag_type());
    assert_eq!(
        CheckClientRequestBody::decode(&check.encode()).unwrap(),
        check
    );
}

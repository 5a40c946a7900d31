//! Route bodies against the shapes peers really write (REMOTING.md §9.1,
//! §4.1, traps 3 and 29): the §9.1 example parses; the same route in old
//! fastjson form (bare numeric `brokerAddrs` keys) parses to the same value;
//! and what we write is compact standard JSON, checked byte for byte.

use std::collections::BTreeMap;

use thrust_core::body::{BrokerData, JsonBody, QueueData, TopicRouteData};

const SECTION_9_1_ROUTE: &str = r#"
{"brokerDatas":[{"brokerAddrs":{"0":"192.168.1.10:10911","1":"192.168.1.11:10911"},
                 "brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],
 "filterServerTable":{},
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}
"#;

const FASTJSON_ROUTE: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"192.168.1.10:10911",1:"192.168.1.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;

fn expected_route() -> TopicRouteData {
    let broker_addrs = BTreeMap::from([
        (0, "192.168.1.10:10911".to_string()),
        (1, "192.168.1.11:10911".to_string()),
    ]);
    TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs,
            broker_name: "broker-a".into(),
            cluster: "DefaultCluster".into(),
            enable_acting_master: false,
            zone_name: None,
        }],
        filter_server_table: BTreeMap::new(),
        order_topic_conf: None,
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            topic_sys_flag: 0,
            write_queue_nums: 4,
        }],
        topic_queue_mapping_by_broker: None,
    }
}

#[test]
fn section_9_1_route_parses() {
    let route = TopicRouteData::decode(SECTION_9_1_ROUTE.as_bytes()).unwrap();
    assert_eq!(route, expected_route());
    assert_eq!(
        route.broker_datas[0].master_addr(),
        Some("192.168.1.10:10911")
    );
}

#[test]
fn fastjson_route_with_bare_broker_ids_parses_to_the_same_value() {
    let route = TopicRouteData::decode(FASTJSON_ROUTE.as_bytes()).unwrap();
    assert_eq!(route, expected_route());
}

#[test]
fn encoded_route_is_compact_standard_json() {
    let encoded = expected_route().encode();
    let text = String::from_utf8(encoded.clone()).unwrap();
    assert!(!text.contains(' ') && !text.contains('\n'), "{text}");
    assert!(text.contains(r#""brokerAddrs":{"0":"192.168.1.10:10911","1":"192.168.1.11:10911"}"#));
    // Standard JSON, and what Java >= 4.9.4 writes for the same route.
    serde_json::from_slice::<serde_json::Value>(&encoded).unwrap();
    let section_9_1_compact: String = SECTION_9_1_ROUTE
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(text, section_9_1_compact);
}

#[test]
fn small_route_encodes_to_exact_bytes() {
    let route = TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: BTreeMap::from([(0, "10.0.0.1:10911".to_string())]),
            broker_name: "b".into(),
            cluster: "c".into(),
            enable_acting_master: false,
            zone_name: None,
        }],
        queue_datas: vec![QueueData {
            broker_name: "b".into(),
            perm: 6,
            read_queue_nums: 1,
            topic_sys_flag: 0,
            write_queue_nums: 1,
        }],
        ..TopicRouteData::default()
    };
    let expected = concat!(
        r#"{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"b","#,
        r#""cluster":"c","enableActingMaster":false}],"filterServerTable":{},"#,
        r#""queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSysFlag":0,"#,
        r#""writeQueueNums":1}]}"#
    );
    assert_eq!(String::from_utf8(route.encode()).unwrap(), expected);
}

#[test]
fn order_topic_conf_is_written_only_when_set() {
    let mut route = expected_route();
    assert!(!String::from_utf8(route.encode())
        .unwrap()
        .contains("orderTopicConf"));
    route.order_topic_conf = Some("broker-a:4;broker-b:4".into());
    let text = String::from_utf8(route.encode()).unwrap();
    assert!(
        text.contains(r#""orderTopicConf":"broker-a:4;broker-b:4""#),
        "{text}"
    );
    assert_eq!(TopicRouteData::decode(text.as_bytes()).unwrap(), route);
}

#[test]
fn route_with_zone_unknown_members_and_nulls_parses() {
    let body = r#"{"brokerDatas":[{"brokerAddrs":{"0":"a:1"},"brokerName":"b","cluster":"c",
        "zoneName":"z1","somethingNew":[1,{"x":null}]}],"orderTopicConf":null,
        "topicQueueMappingByBroker":null,"queueDatas":[]}"#;
    let route = TopicRouteData::decode(body.as_bytes()).unwrap();
    assert_eq!(route.broker_datas[0].zone_name.as_deref(), Some("z1"));
    assert_eq!(route.order_topic_conf, None);
    assert_eq!(route.topic_queue_mapping_by_broker, None);
    assert!(route.filter_server_table.is_empty());
}

//! Registration and routes: a master and a slave of `broker-a` and a master
//! of `broker-b` register with topics; the route of each topic lists
//! exactly the right queue data and broker addresses (master and slave in
//! one BrokerData, queues only from masters), the slave learns its master's
//! addresses, and cluster info, the topic list and topics-by-cluster list
//! them all. Runs the real binary and speaks frames built by thrust-core.

mod common;

use std::collections::BTreeMap;

use common::*;
use thrust_core::body::{ClusterInfo, JsonBody, QueueData, TopicList};
use thrust_core::code::{RequestCode, ResponseCode};
use thrust_core::frame::RemotingCommand;

#[test]
fn master_slave_and_second_broker_routes_are_exact() {
    let server = Namesrv::start("register", &[]);
    let mut conn = server.connect();
    register(
        &mut conn,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("TopicA", 4), topic("Both", 8)],
    );
    let slave = register(
        &mut conn,
        "broker-a",
        1,
        "10.0.0.2:10911",
        &[topic("SlaveOnly", 2), topic("SlaveToo", 2)],
    );
    assert_eq!(slave.ext_field("masterAddr"), Some("10.0.0.1:10911"));
    assert_eq!(slave.ext_field("haServerAddr"), Some("10.0.0.1:10911-ha"));
    register(
        &mut conn,
        "broker-b",
        0,
        "10.0.0.3:10911",
        &[topic("Both", 2), topic("OnB", 2)],
    );

    let route_a = route(&mut conn, "TopicA").unwrap();
    assert_eq!(route_a.broker_datas.len(), 1);
    let broker_a = &route_a.broker_datas[0];
    assert_eq!(broker_a.broker_name, "broker-a");
    assert_eq!(broker_a.cluster, CLUSTER);
    let addrs: BTreeMap<i64, String> = [
        (0, "10.0.0.1:10911".to_owned()),
        (1, "10.0.0.2:10911".to_owned()),
    ]
    .into();
    assert_eq!(broker_a.broker_addrs, addrs);
    let queue = |name: &str, n: i32| QueueData {
        broker_name: name.to_owned(),
        perm: 6,
        read_queue_nums: n,
        topic_sys_flag: 0,
        write_queue_nums: n,
    };
    assert_eq!(route_a.queue_datas, vec![queue("broker-a", 4)]);
    assert!(route_a.order_topic_conf.is_none());

    let both = route(&mut conn, "Both").unwrap();
    let names: Vec<&str> = both
        .broker_datas
        .iter()
        .map(|b| b.broker_name.as_str())
        .collect();
    assert_eq!(names, ["broker-a", "broker-b"]);
    assert_eq!(
        both.queue_datas,
        vec![queue("broker-a", 8), queue("broker-b", 2)]
    );

    // A slave's topic table adds no queues (only masters do).
    assert_eq!(
        route(&mut conn, "SlaveOnly"),
        Err(ResponseCode::TOPIC_NOT_EXIST.0)
    );

    let info = conn
        .request(RemotingCommand::request(
            RequestCode::GET_BROKER_CLUSTER_INFO.0,
        ))
        .unwrap();
    assert_eq!(info.code, 0);
    let info = ClusterInfo::decode(&info.body).unwrap();
    let names: Vec<&String> = info.cluster_addr_table[CLUSTER].iter().collect();
    assert_eq!(names, ["broker-a", "broker-b"]);
    assert_eq!(info.broker_addr_table["broker-a"].broker_addrs, addrs);
    assert_eq!(info.broker_addr_table["broker-b"].broker_addrs.len(), 1);

    let all = conn
        .request(RemotingCommand::request(
            RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER.0,
        ))
        .unwrap();
    let all = TopicList::decode(&all.body).unwrap();
    assert_eq!(
        all.topic_list.into_iter().collect::<Vec<_>>(),
        ["Both", "OnB", "TopicA"]
    );

    let by_cluster = conn
        .request(
            RemotingCommand::request(RequestCode::GET_TOPICS_BY_CLUSTER.0)
                .with_ext_field("cluster", CLUSTER),
        )
        .unwrap();
    let by_cluster = TopicList::decode(&by_cluster.body).unwrap();
    assert_eq!(by_cluster.topic_list.len(), 3);
}

#[test]
fn route_json_is_standard_compact_with_quoted_broker_ids() {
    let server = Namesrv::start("route-json", &[]);
    let mut conn = server.connect();
    register(
        &mut conn,
        "broker-a",
        0,
        "10.0.0.1:10911",
        &[topic("T", 4), topic("U", 4)],
    );
    // An old (Go, version 317) requester still gets standard JSON.
    let mut request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "T");
    request.version = 317;
    let response = conn.request(request).unwrap();
    let text = std::str::from_utf8(&response.body).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{"0":"10.0.0.1:10911"}"#),
        "{text}"
    );
    assert!(!text.contains(": "), "not compact: {text}");
}

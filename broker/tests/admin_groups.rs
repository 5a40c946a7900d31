//! Control-plane admin on a 2-shard broker: subscription groups
//! (create, list, delete), consumer and producer connection lists, broker
//! runtime info and config, in the shapes Java admin decodes.

mod common;

use bytes::Bytes;
use common::requests::*;
use common::Cluster;
use thrust_core::body::{
    ConsumeType, ConsumerConnection, JsonBody, KVTable, MessageModel, ProducerConnection,
    SubscriptionGroupConfig, SubscriptionGroupWrapper,
};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn all_groups(client: &mut common::Client) -> SubscriptionGroupWrapper {
    let response = client.call(RemotingCommand::request(
        RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG.0,
    ));
    assert_eq!(response.code, SUCCESS);
    SubscriptionGroupWrapper::decode(&response.body).unwrap()
}

#[test]
fn subscription_group_is_created_listed_and_deleted() {
    let mut cluster = Cluster::start("admin-groups", "");
    let mut client = cluster.client();
    let mut config = SubscriptionGroupConfig::new("admin_group");
    config.retry_max_times = 3;
    config.consume_broadcast_enable = false;
    let create = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.0)
        .with_body(Bytes::from(config.encode()));
    assert_eq!(client.call(create).code, SUCCESS);

    let listed = all_groups(&mut client);
    let stored = listed
        .subscription_group_table
        .get("admin_group")
        .expect("created group listed");
    assert_eq!(stored.retry_max_times, 3);
    assert!(!stored.consume_broadcast_enable);
    assert!(listed
        .subscription_group_table
        .contains_key("TOOLS_CONSUMER"));

    drop(client);
    cluster.restart_broker().expect("broker was running");
    let mut client = cluster.client();
    assert!(all_groups(&mut client)
        .subscription_group_table
        .contains_key("admin_group"));

    let delete = RemotingCommand::request(RequestCode::DELETE_SUBSCRIPTIONGROUP.0)
        .with_ext_field("groupName", "admin_group")
        .with_ext_field("cleanOffset", "true");
    assert_eq!(client.call(delete).code, SUCCESS);
    assert!(!all_groups(&mut client)
        .subscription_group_table
        .contains_key("admin_group"));
}

#[test]
fn bad_group_body_is_refused_not_fatal() {
    let cluster = Cluster::start("admin-bad-group", "");
    let mut client = cluster.client();
    let garbage = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.0)
        .with_body(Bytes::from_static(b"[1,2"));
    assert_eq!(client.call(garbage).code, 1);
    let bad_name = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.0)
        .with_body(Bytes::from_static(br#"{"groupName":"a b"}"#));
    assert_eq!(client.call(bad_name).code, 29, "INVALID_PARAMETER");
    assert!(!all_groups(&mut client).subscription_group_table.is_empty());
}

#[test]
fn consumer_connection_lists_heartbeat_clients() {
    let cluster = Cluster::start("admin-conn", "");
    let mut admin = cluster.client();
    assert_eq!(admin.call(create_topic("ConnTopic", 4)).code, SUCCESS);
    let request = || {
        RemotingCommand::request(RequestCode::GET_CONSUMER_CONNECTION_LIST.0)
            .with_ext_field("consumerGroup", "conn_group")
    };
    assert_eq!(admin.call(request()).code, 206, "CONSUMER_NOT_ONLINE");

    let mut consumers: Vec<_> = (0..3).map(|_| cluster.client()).collect();
    for (n, consumer) in consumers.iter_mut().enumerate() {
        let id = format!("127.0.0.1@c{n}");
        assert_eq!(
            consumer
                .call(heartbeat(&id, "conn_group", "ConnTopic"))
                .code,
            SUCCESS
        );
    }
    let response = admin.call(request());
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let connections = ConsumerConnection::decode(&response.body).unwrap();
    assert_eq!(connections.connection_set.len(), 3);
    for connection in &connections.connection_set {
        assert!(
            connection.client_addr.starts_with("127.0.0.1:"),
            "{connection:?}"
        );
        assert_eq!(connection.language, "JAVA");
        assert!(connection.version > 0);
    }
    assert_eq!(
        connections.consume_type,
        Some(ConsumeType::ConsumePassively)
    );
    assert_eq!(connections.message_model, Some(MessageModel::Clustering));
    assert!(connections.consume_from_where.is_some());
    assert_eq!(
        connections
            .subscription_table
            .get("ConnTopic")
            .map(|s| s.sub_string.as_str()),
        Some("*")
    );
}

#[test]
fn producer_connection_lists_heartbeat_producers() {
    let cluster = Cluster::start("admin-producers", "");
    let mut client = cluster.client();
    let request = RemotingCommand::request(RequestCode::GET_PRODUCER_CONNECTION_LIST.0)
        .with_ext_field("producerGroup", "pgroup");
    assert_eq!(client.call(request.clone()).code, 1, "no producer yet");
    let body = r#"{"clientID":"127.0.0.1@p1","consumerDataSet":[],"producerDataSet":[{"groupName":"pgroup"}]}"#;
    let heartbeat =
        RemotingCommand::request(RequestCode::HEART_BEAT.0).with_body(Bytes::from(body));
    assert_eq!(client.call(heartbeat).code, SUCCESS);
    let response = client.call(request);
    assert_eq!(response.code, SUCCESS);
    let producers = ProducerConnection::decode(&response.body).unwrap();
    assert_eq!(producers.connection_set.len(), 1);
    assert_eq!(producers.connection_set[0].client_id, "127.0.0.1@p1");
}

#[test]
fn runtime_info_and_config_have_the_keys_mqadmin_reads() {
    let cluster = Cluster::start("admin-runtime", "");
    let mut client = cluster.client();
    let response = client.call(RemotingCommand::request(
        RequestCode::GET_BROKER_RUNTIME_INFO.0,
    ));
    assert_eq!(response.code, SUCCESS);
    let table = KVTable::decode(&response.body).unwrap().table;
    for key in [
        "brokerVersionDesc",
        "msgPutTotalTodayNow",
        "msgGetTotalTodayNow",
        "msgPutTotalYesterdayMorning",
        "putTps",
        "getTransferredTps",
        "commitLogDiskRatio",
        "earliestMessageTimeStamp",
        "timerReadBehind",
    ] {
        assert!(table.contains_key(key), "missing {key}: {table:?}");
    }
    assert!(table["putTps"].parse::<f64>().is_ok());

    let config = client.call(RemotingCommand::request(RequestCode::GET_BROKER_CONFIG.0));
    assert_eq!(config.code, SUCCESS);
    let text = String::from_utf8(config.body.to_vec()).unwrap();
    assert!(text.lines().any(|l| l == "brokerName=broker-it"), "{text}");
    assert!(config
        .ext_field("version")
        .is_some_and(|v| v.contains("counter")));

    let delay = client.call(RemotingCommand::request(
        RequestCode::GET_ALL_DELAY_OFFSET.0,
    ));
    assert_eq!(delay.code, SUCCESS);
}

#[test]
fn single_topic_and_group_configs_answer_or_say_missing() {
    let cluster = Cluster::start("admin-one-config", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("OneTopic", 3)).code, SUCCESS);
    let topic = client.call(
        RemotingCommand::request(RequestCode::GET_TOPIC_CONFIG.0)
            .with_ext_field("topic", "OneTopic"),
    );
    assert_eq!(topic.code, SUCCESS, "{:?}", topic.remark);
    let topic = thrust_core::body::TopicConfig::decode(&topic.body).unwrap();
    assert_eq!((topic.read_queue_nums, topic.write_queue_nums), (3, 3));
    let missing = client.call(
        RemotingCommand::request(RequestCode::GET_TOPIC_CONFIG.0).with_ext_field("topic", "Nope"),
    );
    assert_eq!(missing.code, 17, "TOPIC_NOT_EXIST");

    let group = client.call(
        RemotingCommand::request(RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG.0)
            .with_ext_field("group", "TOOLS_CONSUMER"),
    );
    assert_eq!(group.code, SUCCESS);
    let group = SubscriptionGroupConfig::decode(&group.body).unwrap();
    assert_eq!(group.group_name, "TOOLS_CONSUMER");
    let missing = client.call(
        RemotingCommand::request(RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG.0)
            .with_ext_field("group", "nope"),
    );
    assert_eq!(missing.code, 26, "SUBSCRIPTION_GROUP_NOT_EXIST");
}

//! A send to an unknown topic creates it from TBW102 (queues = min of the
//! request's defaultTopicQueueNums and TBW102's, perm 6) and registers it
//! with the name server at once; DELETE_TOPIC_IN_BROKER removes it; with
//! autoCreateTopicEnable=false the send answers TOPIC_NOT_EXIST (17).

mod common;

use std::time::Duration;

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn all_topics(client: &mut common::Client) -> serde_json::Value {
    let response = client.call(RemotingCommand::request(
        RequestCode::GET_ALL_TOPIC_CONFIG.0,
    ));
    assert_eq!(response.code, SUCCESS);
    serde_json::from_slice(&response.body).expect("topic config JSON")
}

#[test]
fn unknown_topic_is_created_from_tbw102_and_routed() {
    let cluster = Cluster::start("auto-create", "");
    let mut client = cluster.client();
    let request = send("AutoMade", -1, b"first", "").with_ext_field("d", "4");
    let response = client.call(request);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let topic = &all_topics(&mut client)["topicConfigTable"]["AutoMade"];
    assert_eq!(topic["writeQueueNums"], 4, "{topic}");
    assert_eq!(topic["perm"], 6, "{topic}");
    let mut namesrv = cluster.namesrv_client();
    let route_request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "AutoMade");
    let mut routed = false;
    for _ in 0..100 {
        if namesrv.call(route_request.clone()).code == SUCCESS {
            routed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(routed, "auto-created topic not registered");
    let delete = RemotingCommand::request(RequestCode::DELETE_TOPIC_IN_BROKER.0)
        .with_ext_field("topic", "AutoMade");
    assert_eq!(client.call(delete).code, SUCCESS);
    assert!(all_topics(&mut client)["topicConfigTable"]
        .get("AutoMade")
        .is_none());
}

#[test]
fn auto_create_disabled_answers_topic_not_exist() {
    let cluster = Cluster::start("no-auto-create", "autoCreateTopicEnable=false");
    let mut client = cluster.client();
    assert_eq!(client.call(send("NotMade", -1, b"x", "")).code, 17);
}

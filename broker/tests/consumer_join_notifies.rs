//! A consumer joining a group makes the broker send
//! NOTIFY_CONSUMER_IDS_CHANGED (oneway, with the group) to the members, and
//! GET_CONSUMER_LIST_BY_GROUP lists every member; a member leaving (its
//! connection closes) notifies the rest.

mod common;

use std::time::Duration;

use common::requests::*;
use common::{Cluster, WAIT};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn wait_notify(client: &mut common::Client, group: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if let Some(request) = client.server_requests.pop_front() {
            if request.code == RequestCode::NOTIFY_CONSUMER_IDS_CHANGED.0 {
                assert!(request.is_oneway());
                assert_eq!(request.ext_field("consumerGroup"), Some(group));
                return;
            }
            continue;
        }
        if let Some(frame) = client.read_frame(Duration::from_millis(100)) {
            client.server_requests.push_back(frame);
        }
    }
    panic!("no NOTIFY_CONSUMER_IDS_CHANGED for {group}");
}

fn consumer_list(client: &mut common::Client, group: &str) -> RemotingCommand {
    client.call(
        RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP.0)
            .with_ext_field("consumerGroup", group),
    )
}

#[test]
fn joining_consumer_notifies_the_group() {
    let cluster = Cluster::start("notify", "");
    let mut admin = cluster.client();
    assert_eq!(admin.call(create_topic("Notify", 4)).code, SUCCESS);
    assert_eq!(consumer_list(&mut admin, "ng").code, 1, "no consumer yet");

    let mut first = cluster.client();
    assert_eq!(
        first.call(heartbeat("client-1", "ng", "Notify")).code,
        SUCCESS
    );
    wait_notify(&mut first, "ng");
    // Several connections so the members land on both shards.
    let mut others: Vec<_> = (2..5).map(|_| cluster.client()).collect();
    for (n, other) in others.iter_mut().enumerate() {
        let id = format!("client-{}", n + 2);
        assert_eq!(other.call(heartbeat(&id, "ng", "Notify")).code, SUCCESS);
        wait_notify(&mut first, "ng");
    }
    let list = consumer_list(&mut admin, "ng");
    assert_eq!(list.code, SUCCESS);
    let text = String::from_utf8_lossy(&list.body).to_string();
    for n in 1..5 {
        assert!(text.contains(&format!("client-{n}")), "{text}");
    }
    let leaving = others.pop().expect("a member");
    drop(leaving);
    wait_notify(&mut first, "ng");
    let text = String::from_utf8_lossy(&consumer_list(&mut admin, "ng").body).to_string();
    assert!(!text.contains("client-4"), "{text}");
}

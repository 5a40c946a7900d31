//! Consumer offsets committed with UPDATE_CONSUMER_OFFSET and piggy-backed
//! on pulls are answered by QUERY_CONSUMER_OFFSET, and still are after the
//! broker is stopped with SIGTERM (exit 0) and started on the same store.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn update(group: &str, topic: &str, queue: i32, offset: i64) -> RemotingCommand {
    RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET.0)
        .with_ext_field("consumerGroup", group)
        .with_ext_field("topic", topic)
        .with_ext_field("queueId", queue.to_string())
        .with_ext_field("commitOffset", offset.to_string())
}

fn query(group: &str, topic: &str, queue: i32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET.0)
        .with_ext_field("consumerGroup", group)
        .with_ext_field("topic", topic)
        .with_ext_field("queueId", queue.to_string())
}

#[test]
fn committed_offsets_survive_a_restart() {
    let mut cluster = Cluster::start("offsets", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Offsets", 4)).code, SUCCESS);
    let unknown = client.call(query("og", "Offsets", 0));
    assert_eq!(unknown.code, 22, "QUERY_NOT_FOUND before any commit");
    assert_eq!(client.call(heartbeat("c1", "og", "Offsets")).code, SUCCESS);
    for queue in 0..4 {
        let response = client.call(update("og", "Offsets", queue, 10 + i64::from(queue)));
        assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    }
    // A pull with the commit flag stores its commitOffset too.
    let piggy = pull(
        "og",
        "Offsets",
        3,
        0,
        FLAG_SUBSCRIPTION | FLAG_COMMIT,
        "*",
        0,
    )
    .with_ext_field("commitOffset", "42");
    client.call(piggy);
    for queue in 0..3 {
        let response = client.call(query("og", "Offsets", queue));
        assert_eq!(field::<i64>(&response, "offset"), 10 + i64::from(queue));
    }
    drop(client);
    let status = cluster.restart_broker().expect("broker was running");
    assert!(status.success(), "SIGTERM stop exits 0: {status:?}");
    let mut client = cluster.client();
    for queue in 0..3 {
        let response = client.call(query("og", "Offsets", queue));
        assert_eq!(response.code, SUCCESS);
        assert_eq!(field::<i64>(&response, "offset"), 10 + i64::from(queue));
    }
    assert_eq!(
        field::<i64>(&client.call(query("og", "Offsets", 3)), "offset"),
        42
    );
    let unknown_group = client.call(update("nobody", "Offsets", 0, 1));
    assert_eq!(unknown_group.code, 26, "UPDATE for an unknown group");
}

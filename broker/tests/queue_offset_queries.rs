//! GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP and
//! GET_EARLIEST_MSG_STORETIME answer from the owning shard's store: max is
//! exclusive, unknown queues answer 0 (and -1 for the store time), and a
//! search before the first message finds offset 0, after the last the max.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn query(code: RequestCode, topic: &str, queue: i32) -> RemotingCommand {
    RemotingCommand::request(code.0)
        .with_ext_field("topic", topic)
        .with_ext_field("queueId", queue.to_string())
}

#[test]
fn queue_offsets_and_times_are_answered() {
    let cluster = Cluster::start("offset-queries", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Offs", 2)).code, SUCCESS);
    for n in 0..5 {
        send_ok(&mut client, "Offs", 1, format!("m{n}").as_bytes(), "");
    }
    let max = client.call(query(RequestCode::GET_MAX_OFFSET, "Offs", 1));
    assert_eq!(field::<i64>(&max, "offset"), 5);
    let min = client.call(query(RequestCode::GET_MIN_OFFSET, "Offs", 1));
    assert_eq!(field::<i64>(&min, "offset"), 0);
    let empty = client.call(query(RequestCode::GET_MAX_OFFSET, "Offs", 0));
    assert_eq!(field::<i64>(&empty, "offset"), 0);
    let earliest = client.call(query(RequestCode::GET_EARLIEST_MSG_STORETIME, "Offs", 1));
    let first_time: i64 = field(&earliest, "timestamp");
    assert!(first_time > 0);
    let none = client.call(query(RequestCode::GET_EARLIEST_MSG_STORETIME, "Offs", 0));
    assert_eq!(field::<i64>(&none, "timestamp"), -1);
    let before = client.call(
        query(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, "Offs", 1).with_ext_field("timestamp", "0"),
    );
    assert_eq!(field::<i64>(&before, "offset"), 0);
    let after = client.call(
        query(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP, "Offs", 1)
            .with_ext_field("timestamp", (first_time + 3_600_000).to_string()),
    );
    assert_eq!(field::<i64>(&after, "offset"), 5);
}

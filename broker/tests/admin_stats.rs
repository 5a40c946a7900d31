//! Gathered admin stats on a 2-shard broker: GET_TOPIC_STATS_INFO,
//! GET_CONSUME_STATS, GET_ALL_CONSUMER_OFFSET, QUERY_TOPICS_BY_CONSUMER and
//! QUERY_TOPIC_CONSUME_BY_WHO answer for the queues of every shard, in the
//! shapes Java admin decodes.

mod common;

use common::requests::*;
use common::{Client, Cluster};
use thrust_core::body::{
    ConsumeStats, ConsumerOffsetSerializeWrapper, JsonBody, TopicList, TopicStatsTable,
};
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

const QUEUES: i32 = 8;

/// Creates `topic` and sends `queue_id + 1` messages to each queue.
fn fill_topic(client: &mut Client, topic: &str) {
    assert_eq!(
        client.call(create_topic(topic, QUEUES as u32)).code,
        SUCCESS
    );
    for queue_id in 0..QUEUES {
        for _ in 0..=queue_id {
            send_ok(client, topic, queue_id, b"payload", "");
        }
    }
}

fn commit_offset(client: &mut Client, group: &str, topic: &str, queue_id: i32, offset: i64) {
    let request = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET.0)
        .with_ext_field("consumerGroup", group)
        .with_ext_field("topic", topic)
        .with_ext_field("queueId", queue_id.to_string())
        .with_ext_field("commitOffset", offset.to_string());
    assert_eq!(client.call(request).code, SUCCESS);
}

#[test]
fn topic_stats_cover_every_queue_of_every_shard() {
    let cluster = Cluster::start("admin-topic-stats", "");
    let mut client = cluster.client();
    fill_topic(&mut client, "AdminStats");

    let response = client.call(
        RemotingCommand::request(RequestCode::GET_TOPIC_STATS_INFO.0)
            .with_ext_field("topic", "AdminStats"),
    );
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let stats = TopicStatsTable::decode(&response.body).unwrap();
    let queue_ids: Vec<i32> = stats.offset_table.iter().map(|(q, _)| q.queue_id).collect();
    assert_eq!(queue_ids, (0..QUEUES).collect::<Vec<_>>());
    for (queue, offsets) in &stats.offset_table {
        assert_eq!(queue.topic, "AdminStats");
        assert_eq!(queue.broker_name, "broker-it");
        assert_eq!(offsets.min_offset, 0);
        assert_eq!(offsets.max_offset, i64::from(queue.queue_id) + 1);
        assert!(offsets.last_update_timestamp > 0, "{offsets:?}");
    }

    let missing = client.call(
        RemotingCommand::request(RequestCode::GET_TOPIC_STATS_INFO.0)
            .with_ext_field("topic", "NoSuchTopic"),
    );
    assert_eq!(missing.code, 17, "TOPIC_NOT_EXIST");
}

#[test]
fn consume_stats_and_offsets_gather_every_shard() {
    let cluster = Cluster::start("admin-consume-stats", "");
    let mut client = cluster.client();
    fill_topic(&mut client, "AdminConsume");
    assert_eq!(
        client.call(heartbeat("c-1", "acg", "AdminConsume")).code,
        SUCCESS
    );
    for queue_id in 0..QUEUES {
        commit_offset(&mut client, "acg", "AdminConsume", queue_id, 1);
    }

    let response = client.call(
        RemotingCommand::request(RequestCode::GET_CONSUME_STATS.0)
            .with_ext_field("consumerGroup", "acg"),
    );
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let stats = ConsumeStats::decode(&response.body).unwrap();
    assert_eq!(stats.offset_table.len(), QUEUES as usize, "{stats:?}");
    for (queue, offsets) in &stats.offset_table {
        assert_eq!(queue.topic, "AdminConsume");
        assert_eq!(offsets.broker_offset, i64::from(queue.queue_id) + 1);
        assert_eq!(offsets.consumer_offset, 1);
        assert!(offsets.last_timestamp > 0, "{offsets:?}");
    }

    let one_topic = client.call(
        RemotingCommand::request(RequestCode::GET_CONSUME_STATS.0)
            .with_ext_field("consumerGroup", "acg")
            .with_ext_field("topic", "AdminConsume"),
    );
    let one_topic = ConsumeStats::decode(&one_topic.body).unwrap();
    assert_eq!(one_topic.offset_table, stats.offset_table);

    let all = client.call(RemotingCommand::request(
        RequestCode::GET_ALL_CONSUMER_OFFSET.0,
    ));
    assert_eq!(all.code, SUCCESS);
    let all = ConsumerOffsetSerializeWrapper::decode(&all.body).unwrap();
    let queues = all
        .offset_table
        .get("AdminConsume@acg")
        .expect("group offsets");
    assert_eq!(queues.len(), QUEUES as usize);
    assert!(queues.values().all(|offset| *offset == 1));

    let topics = client.call(
        RemotingCommand::request(RequestCode::QUERY_TOPICS_BY_CONSUMER.0)
            .with_ext_field("group", "acg"),
    );
    assert_eq!(topics.code, SUCCESS);
    let topics = TopicList::decode(&topics.body).unwrap();
    assert!(topics.topic_list.contains("AdminConsume"), "{topics:?}");

    let who = client.call(
        RemotingCommand::request(RequestCode::QUERY_TOPIC_CONSUME_BY_WHO.0)
            .with_ext_field("topic", "AdminConsume"),
    );
    assert_eq!(who.code, SUCCESS);
    let text = String::from_utf8_lossy(&who.body).to_string();
    assert_eq!(text, r#"{"groupList":["acg"]}"#);
}

#[test]
fn shard_part_marker_from_a_peer_is_ignored() {
    let cluster = Cluster::start("admin-part-marker", "");
    let mut client = cluster.client();
    fill_topic(&mut client, "AdminMarker");
    let response = client.call(
        RemotingCommand::request(RequestCode::GET_TOPIC_STATS_INFO.0)
            .with_ext_field("topic", "AdminMarker")
            .with_ext_field("thrustShardPart", "true"),
    );
    assert_eq!(response.code, SUCCESS);
    let stats = TopicStatsTable::decode(&response.body).unwrap();
    assert_eq!(stats.offset_table.len(), QUEUES as usize);
}

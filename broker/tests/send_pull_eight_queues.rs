//! Sends to the 8 queues of a topic spread over 2 shards and pulls every
//! message back byte for byte, with contiguous queue offsets from 0; the
//! topic is also routable through the name server.
//!
//! Starts a real thrust-namesrv and a 2-shard thrust-broker on loopback.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::record::decode_records;

const QUEUES: i32 = 8;
const PER_QUEUE: usize = 5;

fn body(queue: i32, n: usize) -> Vec<u8> {
    format!("queue {queue} message {n} {}", "x".repeat(n * 37)).into_bytes()
}

#[test]
fn messages_sent_to_eight_queues_come_back_byte_for_byte() {
    let cluster = Cluster::start("eight-queues", "");
    let mut client = cluster.client();
    let created = client.call(create_topic("EightQ", QUEUES as u32));
    assert_eq!(created.code, SUCCESS, "{:?}", created.remark);
    for queue in 0..QUEUES {
        for n in 0..PER_QUEUE {
            let props = properties(&[("TAGS", "TagA"), ("KEYS", "k")]);
            let offset = send_ok(&mut client, "EightQ", queue, &body(queue, n), &props);
            assert_eq!(offset, n as i64, "queue {queue}");
        }
    }
    for queue in 0..QUEUES {
        let response = client.call(pull("cg", "EightQ", queue, 0, FLAG_SUBSCRIPTION, "*", 0));
        assert_eq!(
            response.code, SUCCESS,
            "queue {queue}: {:?}",
            response.remark
        );
        assert_eq!(field::<i64>(&response, "nextBeginOffset"), PER_QUEUE as i64);
        assert_eq!(field::<i64>(&response, "maxOffset"), PER_QUEUE as i64);
        assert_eq!(field::<i64>(&response, "minOffset"), 0);
        let records: Vec<_> = decode_records(&response.body)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(records.len(), PER_QUEUE);
        for (n, record) in records.iter().enumerate() {
            assert_eq!(record.body(), &body(queue, n)[..]);
            assert_eq!(record.queue_offset(), n as i64);
            assert_eq!(record.queue_id(), queue);
            assert_eq!(record.topic(), "EightQ");
            record.verify_body_crc().unwrap();
        }
        let caught_up = client.call(pull(
            "cg",
            "EightQ",
            queue,
            PER_QUEUE as i64,
            FLAG_SUBSCRIPTION,
            "*",
            0,
        ));
        assert_eq!(caught_up.code, 19, "PULL_NOT_FOUND when caught up");
    }
    let mut namesrv = cluster.namesrv_client();
    let mut found = false;
    for _ in 0..100 {
        let route = namesrv.call(
            RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
                .with_ext_field("topic", "EightQ"),
        );
        if route.code == SUCCESS {
            let text = String::from_utf8_lossy(&route.body).to_string();
            assert!(text.contains("\"writeQueueNums\":8"), "{text}");
            assert!(
                text.contains(&format!("127.0.0.1:{}", cluster.broker_port)),
                "{text}"
            );
            found = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(found, "topic never reached the name server");
}

//! Messages acknowledged before a SIGTERM stop are pulled back, byte for
//! byte and at the same offsets, after the broker restarts on the same
//! store; new sends continue the queue offsets.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::message::record::decode_records;

#[test]
fn stored_messages_survive_a_restart() {
    let mut cluster = Cluster::start("restart-messages", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Durable", 4)).code, SUCCESS);
    for queue in 0..4 {
        for n in 0..3 {
            send_ok(
                &mut client,
                "Durable",
                queue,
                format!("{queue}-{n}").as_bytes(),
                "",
            );
        }
    }
    drop(client);
    let status = cluster.restart_broker().expect("broker was running");
    assert!(status.success(), "{status:?}");
    let mut client = cluster.client();
    for queue in 0..4 {
        let response = client.call(pull("g", "Durable", queue, 0, FLAG_SUBSCRIPTION, "*", 0));
        assert_eq!(
            response.code, SUCCESS,
            "queue {queue}: {:?}",
            response.remark
        );
        let bodies: Vec<Vec<u8>> = decode_records(&response.body)
            .map(|r| r.unwrap().body().to_vec())
            .collect();
        let expected: Vec<Vec<u8>> = (0..3)
            .map(|n| format!("{queue}-{n}").into_bytes())
            .collect();
        assert_eq!(bodies, expected);
        assert_eq!(send_ok(&mut client, "Durable", queue, b"after", ""), 3);
    }
}

//! LOCK_BATCH_MQ grants a queue to one client of a group at a time (the
//! holder may renew), UNLOCK_BATCH_MQ releases only the caller's locks.

mod common;

use common::requests::SUCCESS;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn body(client: &str, queues: &[i32]) -> String {
    let mqs: Vec<String> = queues
        .iter()
        .map(|q| format!(r#"{{"brokerName":"broker-it","queueId":{q},"topic":"Ordered"}}"#))
        .collect();
    format!(
        r#"{{"clientId":"{client}","consumerGroup":"og","mqSet":[{}],"onlyThisBroker":false}}"#,
        mqs.join(",")
    )
}

fn lock(client: &mut common::Client, id: &str, queues: &[i32]) -> Vec<i32> {
    let request =
        RemotingCommand::request(RequestCode::LOCK_BATCH_MQ.0).with_body(body(id, queues).into());
    let response = client.call(request);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    let json: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    let mut ids: Vec<i32> = json["lockOKMQSet"]
        .as_array()
        .expect("lockOKMQSet")
        .iter()
        .map(|mq| mq["queueId"].as_i64().expect("queueId") as i32)
        .collect();
    ids.sort();
    ids
}

fn unlock(client: &mut common::Client, id: &str, queues: &[i32]) {
    let request =
        RemotingCommand::request(RequestCode::UNLOCK_BATCH_MQ.0).with_body(body(id, queues).into());
    assert_eq!(client.call(request).code, SUCCESS);
}

#[test]
fn a_queue_is_locked_by_one_client_at_a_time() {
    let cluster = Cluster::start("locks", "");
    let mut a = cluster.client();
    let mut b = cluster.client();
    assert_eq!(lock(&mut a, "A", &[0, 1]), vec![0, 1]);
    assert_eq!(lock(&mut b, "B", &[1, 2]), vec![2]);
    assert_eq!(lock(&mut a, "A", &[0, 1]), vec![0, 1], "holder renews");
    unlock(&mut b, "B", &[0, 1]);
    assert_eq!(
        lock(&mut b, "B", &[0]),
        Vec::<i32>::new(),
        "B cannot unlock A's queue"
    );
    unlock(&mut a, "A", &[0]);
    assert_eq!(lock(&mut b, "B", &[0, 1]), vec![0]);
}

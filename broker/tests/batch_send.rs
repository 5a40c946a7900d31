//! SEND_BATCH_MESSAGE stores every entry of a batch as its own record with
//! consecutive queue offsets, its own flag and properties followed by the
//! header's, and answers the first offset and comma-joined offset msgIds.

mod common;

use bytes::BytesMut;
use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::message::batch::{encode_batch, BatchEntry};
use thrust_core::message::properties::find_property;
use thrust_core::message::record::decode_records;

#[test]
fn batch_entries_become_consecutive_records() {
    let cluster = Cluster::start("batch", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Batch", 2)).code, SUCCESS);
    send_ok(&mut client, "Batch", 1, b"before", "");
    let props: Vec<String> = (0..3)
        .map(|n| properties(&[("UNIQ_KEY", &format!("U{n}")), ("TAGS", "T")]))
        .collect();
    let bodies: Vec<Vec<u8>> = (0..3).map(|n| format!("entry {n}").into_bytes()).collect();
    let entries: Vec<BatchEntry> = (0..3)
        .map(|n| BatchEntry {
            flag: n as i32,
            body: &bodies[n],
            properties: props[n].as_bytes(),
        })
        .collect();
    let mut body = BytesMut::new();
    encode_batch(&entries, &mut body).expect("encode batch");
    let mut request =
        send("Batch", 1, &body, &properties(&[("WAIT", "true")])).with_ext_field("m", "true");
    request.code = RequestCode::SEND_BATCH_MESSAGE.0;
    let response = client.call(request);
    assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
    assert_eq!(field::<i64>(&response, "queueOffset"), 1);
    let msg_ids: String = field(&response, "msgId");
    assert_eq!(msg_ids.split(',').count(), 3, "{msg_ids}");

    let pulled = client.call(pull("bg", "Batch", 1, 1, FLAG_SUBSCRIPTION, "*", 0));
    assert_eq!(pulled.code, SUCCESS);
    let records: Vec<_> = decode_records(&pulled.body).map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 3);
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record.body(), &bodies[n][..]);
        assert_eq!(record.queue_offset(), 1 + n as i64);
        assert_eq!(record.flag(), n as i32);
        let raw = record.properties_raw();
        assert_eq!(
            find_property(raw, "UNIQ_KEY"),
            Some(format!("U{n}").as_str())
        );
        assert_eq!(
            find_property(raw, "WAIT"),
            Some("true"),
            "header properties appended"
        );
    }
}

#[test]
fn delayed_batch_is_refused_as_illegal() {
    let cluster = Cluster::start("batch-delay", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("BatchDelay", 1)).code, SUCCESS);
    let props = properties(&[("UNIQ_KEY", "D0")]);
    let entries = [BatchEntry {
        flag: 0,
        body: b"delayed entry",
        properties: props.as_bytes(),
    }];
    let mut body = BytesMut::new();
    encode_batch(&entries, &mut body).expect("encode batch");
    let mut request =
        send("BatchDelay", 0, &body, &properties(&[("DELAY", "2")])).with_ext_field("m", "true");
    request.code = RequestCode::SEND_BATCH_MESSAGE.0;
    let response = client.call(request);
    assert_eq!(response.code, 13, "MESSAGE_ILLEGAL: {:?}", response.remark);
    let offsets = client.call(
        thrust_core::frame::RemotingCommand::request(RequestCode::GET_MAX_OFFSET.0)
            .with_ext_field("topic", "BatchDelay")
            .with_ext_field("queueId", "0"),
    );
    assert_eq!(field::<i64>(&offsets, "offset"), 0, "nothing stored");
    let undelayed = client.call(send("BatchDelay", 0, b"plain", ""));
    assert_eq!(undelayed.code, SUCCESS, "still serving");
}

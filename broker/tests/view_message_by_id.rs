//! VIEW_MESSAGE_BY_ID finds a record by the physical offset inside the
//! offset msgId that the send answered, whichever shard stored it, and an
//! offset that names no record (or no shard) answers SYSTEM_ERROR while the
//! broker keeps serving.
//!
//! Starts a real thrust-namesrv and a 2-shard thrust-broker on loopback.

mod common;

use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::record::RecordView;

fn view(offset: i64) -> RemotingCommand {
    RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID.0)
        .with_ext_field("offset", offset.to_string())
}

#[test]
fn offset_msg_id_views_the_message_on_every_shard() {
    let cluster = Cluster::start("view-by-id", "");
    let mut client = cluster.client();
    let created = client.call(create_topic("ViewT", 4));
    assert_eq!(created.code, SUCCESS, "{:?}", created.remark);
    for queue in 0..4 {
        let body = format!("view me {queue}").into_bytes();
        let response = client.call(send("ViewT", queue, &body, &properties(&[("KEYS", "k")])));
        assert_eq!(response.code, SUCCESS, "{:?}", response.remark);
        let msg_id: String = field(&response, "msgId");
        let id = OffsetMsgId::decode(&msg_id).unwrap();
        assert_eq!(id.store_host.port(), cluster.broker_port);
        let viewed = client.call(view(id.physical_offset));
        assert_eq!(viewed.code, SUCCESS, "queue {queue}: {:?}", viewed.remark);
        let record = RecordView::parse(&viewed.body).unwrap();
        assert_eq!(record.body(), &body[..]);
        assert_eq!(record.queue_id(), queue);
        assert_eq!(record.physical_offset(), id.physical_offset);
        assert_eq!(record.total_size(), viewed.body.len());
    }
    for bogus in [1_i64 << 62, 5, -1] {
        let viewed = client.call(view(bogus));
        assert_eq!(viewed.code, 1, "offset {bogus}: {:?}", viewed.remark);
    }
    let after = client.call(send("ViewT", 0, b"still serving", ""));
    assert_eq!(after.code, SUCCESS);
}

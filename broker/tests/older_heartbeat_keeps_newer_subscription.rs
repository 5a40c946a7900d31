//! Heartbeats of a group's members arrive in any order: an older member's
//! heartbeat (lower subVersion) must not replace the newest member's
//! subscription, or that member's pulls are refused with
//! SUBSCRIPTION_NOT_LATEST (25) until it heartbeats again — forever if it
//! always heartbeats first (the java4 "three consumers share" flake of the
//! interop suite). As Apache's ConsumerGroupInfo.updateSubscription does,
//! only a higher subVersion replaces a topic's subscription.
//!
//! Starts a real thrust-namesrv and a 2-shard thrust-broker on loopback.

mod common;

use bytes::Bytes;
use common::requests::*;
use common::Cluster;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

fn heartbeat(client_id: &str, group: &str, topic: &str, sub_version: i64) -> RemotingCommand {
    let body = format!(
        r#"{{"clientID":"{client_id}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"{group}","messageModel":"CLUSTERING","subscriptionDataSet":[{{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":{sub_version},"tagsSet":[],"topic":"{topic}"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    RemotingCommand::request(RequestCode::HEART_BEAT.0).with_body(Bytes::from(body))
}

#[test]
fn newest_member_pulls_after_an_older_member_heartbeats() {
    let cluster = Cluster::start("sub-version", "");
    let mut newest = cluster.client();
    let mut older = cluster.client();
    assert_eq!(newest.call(create_topic("SubV", 2)).code, SUCCESS);
    send_ok(&mut newest, "SubV", 0, b"for the newest member", "");
    let hb = newest.call(heartbeat("c-new", "gv", "SubV", 1_700_000_000_007));
    assert_eq!(hb.code, SUCCESS, "{:?}", hb.remark);
    let hb = older.call(heartbeat("c-old", "gv", "SubV", 1_700_000_000_005));
    assert_eq!(hb.code, SUCCESS, "{:?}", hb.remark);
    // A push consumer's pull: no SUBSCRIPTION flag, the registered one and
    // its own (newest) version.
    let pulled = newest
        .call(pull("gv", "SubV", 0, 0, 0, "*", 0).with_ext_field("subVersion", "1700000000007"));
    assert_eq!(pulled.code, SUCCESS, "{:?}", pulled.remark);
    // A pull newer than the registered subscription is refused until its
    // member's heartbeat arrives; a higher subVersion then replaces it.
    let ahead = older
        .call(pull("gv", "SubV", 0, 0, 0, "*", 0).with_ext_field("subVersion", "1700000000009"));
    assert_eq!(ahead.code, 25, "{:?}", ahead.remark);
    let hb = older.call(heartbeat("c-old", "gv", "SubV", 1_700_000_000_009));
    assert_eq!(hb.code, SUCCESS);
    let mut latest = None;
    for _ in 0..100 {
        let pulled = older.call(
            pull("gv", "SubV", 0, 0, 0, "*", 0).with_ext_field("subVersion", "1700000000009"),
        );
        latest = Some(pulled.code);
        if pulled.code == SUCCESS {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        latest,
        Some(SUCCESS),
        "the newer heartbeat replaced the subscription"
    );
}

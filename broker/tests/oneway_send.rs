//! A send with the oneway flag is stored but never answered: the next
//! request on the same connection gets the first (and only) response.

mod common;

use std::time::Duration;

use common::requests::*;
use common::Cluster;

#[test]
fn oneway_send_is_stored_and_not_answered() {
    let cluster = Cluster::start("oneway", "");
    let mut client = cluster.client();
    assert_eq!(client.call(create_topic("Oneway", 1)).code, SUCCESS);
    let mut oneway = send("Oneway", 0, b"fire and forget", "");
    oneway.mark_oneway();
    let oneway_opaque = client.send(oneway);
    let pulled = client.call(pull(
        "g",
        "Oneway",
        0,
        0,
        FLAG_SUBSCRIPTION | FLAG_SUSPEND,
        "*",
        10_000,
    ));
    assert_eq!(pulled.code, SUCCESS, "{:?}", pulled.remark);
    assert!(client
        .response(oneway_opaque, Duration::from_millis(500))
        .is_none());
    assert!(client.server_requests.is_empty());
}

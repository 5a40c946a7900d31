//! Hostile and invalid input gets the right answer and never stops the
//! broker: undecodable or oversized frames close only that connection;
//! missing send header fields ⇒ SYSTEM_ERROR (1); an illegal topic name ⇒
//! INVALID_PARAMETER (29); a body over maxMessageSize ⇒ MESSAGE_ILLEGAL
//! (13); a pull of an unknown topic ⇒ TOPIC_NOT_EXIST (17); a pull of a
//! group without subscription ⇒ SUBSCRIPTION_NOT_EXIST (24); queue ids out
//! of range ⇒ 29; an unknown code ⇒ REQUEST_CODE_NOT_SUPPORTED (3); a
//! system topic ⇒ NO_PERMISSION (16). After each, a fresh connection still
//! sends and pulls.

mod common;

use std::time::Duration;

use common::requests::*;
use common::{Client, Cluster};
use thrust_core::frame::RemotingCommand;

fn still_serving(cluster: &Cluster) {
    let mut client = cluster.client();
    send_ok(&mut client, "Healthy", 0, b"still here", "");
}

fn hostile_frame_closes_connection(cluster: &Cluster, bytes: &[u8]) {
    let mut client = cluster.client();
    client.send_raw(bytes);
    assert!(
        client.is_closed_by_peer(Duration::from_secs(10)),
        "connection not closed for {bytes:?}"
    );
    still_serving(cluster);
}

fn code(client: &mut Client, request: RemotingCommand) -> i32 {
    client.call(request).code
}

#[test]
fn hostile_and_invalid_requests_get_error_codes() {
    let cluster = Cluster::start("bad-input", "maxMessageSize=1024");
    let mut client = cluster.client();
    assert_eq!(code(&mut client, create_topic("Healthy", 2)), SUCCESS);
    still_serving(&cluster);

    // Frames: length beyond the 16 MiB limit, header longer than the
    // frame, a JSON header that is not JSON, an unknown serialize type.
    hostile_frame_closes_connection(&cluster, &[0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1]);
    hostile_frame_closes_connection(&cluster, &[0, 0, 0, 8, 0, 0, 0, 100, 1, 2, 3, 4]);
    hostile_frame_closes_connection(
        &cluster,
        &[0, 0, 0, 9, 0, 0, 0, 5, b'{', b'x', b'"', b':', b'}'],
    );
    hostile_frame_closes_connection(&cluster, &[0, 0, 0, 6, 9, 0, 0, 2, b'{', b'}']);

    let mut missing = send("Healthy", 0, b"x", "");
    missing.ext_fields.remove("a");
    assert_eq!(code(&mut client, missing), 1, "missing producerGroup");
    let mut bad_number = send("Healthy", 0, b"x", "");
    bad_number.ext_fields.insert("e".into(), "zero".into());
    assert_eq!(code(&mut client, bad_number), 1, "unparsable queueId");

    assert_eq!(code(&mut client, send("bad topic!", 0, b"x", "")), 29);
    assert_eq!(code(&mut client, send(&"t".repeat(128), 0, b"x", "")), 29);
    assert_eq!(
        code(&mut client, send("SCHEDULE_TOPIC_XXXX", 0, b"x", "")),
        16
    );
    assert_eq!(code(&mut client, send("Healthy", 0, &[7u8; 1025], "")), 13);
    assert_eq!(
        code(&mut client, send("Healthy", 2, b"x", "")),
        29,
        "queue id out of range"
    );

    let flags = FLAG_SUBSCRIPTION;
    assert_eq!(
        code(&mut client, pull("g", "NoSuchTopic", 0, 0, flags, "*", 0)),
        17
    );
    assert_eq!(
        code(&mut client, pull("g", "Healthy", 2, 0, flags, "*", 0)),
        29
    );
    assert_eq!(
        code(&mut client, pull("g", "Healthy", -1, 0, flags, "*", 0)),
        29
    );
    assert_eq!(
        code(
            &mut client,
            pull("never-heartbeat", "Healthy", 0, 0, 0, "", 0)
        ),
        24
    );
    let mut missing_pull = pull("g", "Healthy", 0, 0, flags, "*", 0);
    missing_pull.ext_fields.remove("queueOffset");
    assert_eq!(code(&mut client, missing_pull), 1);

    assert_eq!(code(&mut client, RemotingCommand::request(9999)), 3);
    let garbage_body =
        RemotingCommand::request(34).with_body(bytes::Bytes::from_static(b"{not json"));
    assert_eq!(
        code(&mut client, garbage_body),
        1,
        "heartbeat with a broken body"
    );
    still_serving(&cluster);
}

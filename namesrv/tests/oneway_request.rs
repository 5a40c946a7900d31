//! Frames that must not be answered: a oneway request (flag bit 1) and an
//! unsolicited response (flag bit 0, an opaque the server never issued).
//! Each followed by a normal request yields exactly one frame back, the
//! normal request's response.

mod common;

use common::*;
use thrust_core::code::RequestCode;
use thrust_core::frame::RemotingCommand;

#[test]
fn oneway_request_is_not_answered() {
    let server = Namesrv::start("oneway", &[]);
    let mut conn = server.connect();
    let mut oneway = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "T")
        .with_opaque(777);
    oneway.mark_oneway();
    conn.send_raw(&oneway.encode()).unwrap();
    let normal = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "T")
        .with_opaque(778);
    conn.send_raw(&normal.encode()).unwrap();
    let first = conn.read_frame().unwrap();
    assert_eq!(first.opaque, 778);
}

#[test]
fn unsolicited_response_is_dropped() {
    let server = Namesrv::start("stray-response", &[]);
    let mut conn = server.connect();
    let stray = RemotingCommand::response(0, None).with_opaque(4242);
    conn.send_raw(&stray.encode()).unwrap();
    let normal = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC.0)
        .with_ext_field("topic", "T")
        .with_opaque(4243);
    conn.send_raw(&normal.encode()).unwrap();
    let first = conn.read_frame().unwrap();
    assert_eq!(first.opaque, 4243);
    assert!(first.is_response());
}

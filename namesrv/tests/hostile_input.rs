//! Hostile input: garbage bytes, a 2 GiB length prefix, a header length
//! beyond the frame, an invalid JSON header, an unknown code, half a frame
//! then close, and 500 connections opened and dropped. Malformed frames
//! close that connection (the server reads EOF on it); an unknown code gets
//! REQUEST_CODE_NOT_SUPPORTED; and after each case the process is still
//! running and answers a valid request on a new connection.

mod common;

use std::io::ErrorKind;
use std::net::TcpStream;

use common::*;
use thrust_core::code::ResponseCode;
use thrust_core::frame::RemotingCommand;

/// The server still runs and answers a route query on a fresh connection.
fn assert_still_serving(server: &mut Namesrv) {
    assert!(server.is_running(), "server died; log:\n{}", server.log());
    let mut conn = server.connect();
    assert_eq!(
        route(&mut conn, "AnyTopic"),
        Err(ResponseCode::TOPIC_NOT_EXIST.0)
    );
}

/// The server closed `conn` (EOF or reset, not a read timeout).
fn assert_closed_by_server(conn: &mut Conn) {
    match conn.read_frame() {
        Err(err) => assert!(
            matches!(
                err.kind(),
                ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
            ),
            "expected the server to close, got {err}"
        ),
        Ok(frame) => panic!("expected a close, got a frame {frame:?}"),
    }
}

/// A frame: length prefix, header word (JSON, `header.len()`), header, body.
fn raw_frame(length_prefix: u32, header_word: u32, header: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&length_prefix.to_be_bytes());
    out.extend_from_slice(&header_word.to_be_bytes());
    out.extend_from_slice(header);
    out
}

#[test]
fn garbage_bytes_close_the_connection() {
    let mut server = Namesrv::start("garbage", &[]);
    let mut conn = server.connect();
    // A deterministic xorshift stream, starting with a byte that makes the
    // length prefix absurd.
    let mut state: u32 = 0x9E37_79B9;
    let mut garbage = vec![0xFF_u8];
    for _ in 0..4096 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        garbage.push(state as u8);
    }
    conn.send_raw(&garbage).unwrap();
    assert_closed_by_server(&mut conn);
    assert_still_serving(&mut server);
    assert!(server.log().contains("bad frame"), "log:\n{}", server.log());
}

#[test]
fn two_gib_length_prefix_closes_the_connection_before_buffering() {
    let mut server = Namesrv::start("two-gib", &[]);
    let mut conn = server.connect();
    conn.send_raw(&raw_frame(0x8000_0000, 2, b"{}")).unwrap();
    assert_closed_by_server(&mut conn);
    assert_still_serving(&mut server);
}

#[test]
fn header_length_beyond_frame_closes_the_connection() {
    let mut server = Namesrv::start("header-beyond", &[]);
    let mut conn = server.connect();
    conn.send_raw(&raw_frame(4 + 6, 200, b"{\"a\":1")).unwrap();
    assert_closed_by_server(&mut conn);
    assert_still_serving(&mut server);
}

#[test]
fn invalid_json_header_closes_the_connection() {
    let mut server = Namesrv::start("bad-json", &[]);
    let mut conn = server.connect();
    let header = b"{\"code\":105,\"opaque\":";
    conn.send_raw(&raw_frame(
        4 + header.len() as u32,
        header.len() as u32,
        header,
    ))
    .unwrap();
    assert_closed_by_server(&mut conn);
    assert_still_serving(&mut server);
}

#[test]
fn unknown_code_answers_not_supported_and_keeps_the_connection() {
    let mut server = Namesrv::start("unknown-code", &[]);
    let mut conn = server.connect();
    let response = conn.request(RemotingCommand::request(9999)).unwrap();
    assert_eq!(response.code, ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0);
    assert_eq!(
        response.remark.as_deref(),
        Some(" request type 9999 not supported")
    );
    assert_eq!(
        route(&mut conn, "AnyTopic"),
        Err(ResponseCode::TOPIC_NOT_EXIST.0)
    );
    assert_still_serving(&mut server);
}

#[test]
fn half_frame_then_close_is_harmless() {
    let mut server = Namesrv::start("half-frame", &[]);
    let mut request = RemotingCommand::request(105).with_ext_field("topic", "T");
    request.opaque = 1;
    let frame = request.encode();
    let mut conn = server.connect();
    conn.send_raw(&frame[..frame.len() / 2]).unwrap();
    drop(conn);
    assert_still_serving(&mut server);
}

#[test]
fn five_hundred_connections_opened_and_dropped() {
    let mut server = Namesrv::start("many-conns", &[]);
    let mut conns = Vec::new();
    for i in 0..500 {
        let stream = TcpStream::connect(server.addr).unwrap();
        if i % 2 == 0 {
            // Half of them leave a partial frame behind.
            use std::io::Write;
            (&stream).write_all(&[0, 0, 0, 64, 0, 0]).unwrap();
        }
        conns.push(stream);
    }
    assert_still_serving(&mut server);
    drop(conns);
    assert_still_serving(&mut server);
}

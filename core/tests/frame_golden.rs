//! Proves the frame codec matches REMOTING.md §1.2–§1.4 byte for byte.
//!
//! Each vector is written out by hand from the document, not produced by our
//! encoder: the §1.3 request of a Java 5.3.3 producer (JSON header) and a
//! binary-header request laid out field by field as §1.4 describes. Each is
//! decoded and checked field by field, and our encoder must reproduce it exactly.

use bytes::{Bytes, BytesMut};
use thrust_core::code::{LanguageCode, RequestCode};
use thrust_core::frame::{decode_frame, decode_frame_from, RemotingCommand, SerializeType};

/// The §1.3 example header, as Java's fastjson writes it (alphabetical keys,
/// control characters as `\u00XX`), on one line.
const JAVA_SEND_HEADER: &str = concat!(
    r#"{"code":310,"extFields":{"a":"pg","b":"TopicTest","c":"TBW102","d":"4","e":"1","#,
    r#""f":"0","g":"1732512000000","h":"0","#,
    r#""i":"TAGS\u0001TagA\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001C0A8...\u0002","#,
    r#""j":"0","k":"false","m":"false","n":"broker-a"},"flag":0,"language":"JAVA","#,
    r#""opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#,
);

fn java_send_frame() -> Vec<u8> {
    let mut frame = Vec::new();
    // Frame length: 4 (header word) + 322 (header) + 5 (body) = 331 = 0x14B.
    frame.extend_from_slice(&[0x00, 0x00, 0x01, 0x4B]);
    // Header word: serialize type 0 (JSON) in the top byte, header length 322 = 0x142.
    frame.extend_from_slice(&[0x00, 0x00, 0x01, 0x42]);
    frame.extend_from_slice(JAVA_SEND_HEADER.as_bytes());
    frame.extend_from_slice(b"Hello");
    frame
}

#[test]
fn java_json_send_request_decodes_field_by_field() {
    assert_eq!(JAVA_SEND_HEADER.len(), 322);
    let frame = java_send_frame();
    assert_eq!(frame.len(), 4 + 331);
    let (command, consumed) = decode_frame(&frame).unwrap().unwrap();
    assert_eq!(consumed, 335);
    assert_eq!(command.code, RequestCode::SEND_MESSAGE_V2.0);
    assert_eq!(command.language, LanguageCode::Java);
    assert_eq!(command.version, 479);
    assert_eq!(command.opaque, 7);
    assert_eq!(command.flag, 0);
    assert_eq!(command.remark, None);
    assert_eq!(command.serialize_type, SerializeType::Json);
    assert_eq!(command.body, Bytes::from_static(b"Hello"));
    assert_eq!(command.ext_fields.len(), 13);
    assert_eq!(command.ext_field("b"), Some("TopicTest"));
    assert_eq!(command.ext_field("g"), Some("1732512000000"));
    assert_eq!(
        command.ext_field("i"),
        Some("TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}UNIQ_KEY\u{1}C0A8...\u{2}")
    );
    assert_eq!(command.ext_field("n"), Some("broker-a"));
}

#[test]
fn java_json_send_request_is_reencoded_byte_for_byte() {
    let frame = java_send_frame();
    let mut buf = BytesMut::from(&frame[..]);
    let command = decode_frame_from(&mut buf).unwrap().unwrap();
    assert!(buf.is_empty());
    assert_eq!(&command.encode()[..], &frame[..]);
}

fn binary_rust_request_frame() -> Vec<u8> {
    let mut frame = Vec::new();
    // Frame length: 4 + 40 (header) + 3 (body) = 47.
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x2F]);
    // Header word: serialize type 1 (ROCKETMQ), header length 40.
    frame.extend_from_slice(&[0x01, 0x00, 0x00, 0x28]);
    // code i16 = 310
    frame.extend_from_slice(&[0x01, 0x36]);
    // language u8 = RUST (12)
    frame.push(0x0C);
    // version i16 = 474
    frame.extend_from_slice(&[0x01, 0xDA]);
    // opaque i32 = 7
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x07]);
    // flag i32 = 2 (oneway)
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x02]);
    // remark: length i32 = 2, "hi"
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x02, b'h', b'i']);
    // ext fields: length i32 = 17
    frame.extend_from_slice(&[0x00, 0x00, 0x00, 0x11]);
    // entry "a" -> "pg": key length i16 = 1, key, value length i32 = 2, value
    frame.extend_from_slice(&[0x00, 0x01, b'a', 0x00, 0x00, 0x00, 0x02, b'p', b'g']);
    // entry "b" -> "T"
    frame.extend_from_slice(&[0x00, 0x01, b'b', 0x00, 0x00, 0x00, 0x01, b'T']);
    // body
    frame.extend_from_slice(b"xyz");
    frame
}

#[test]
fn binary_request_decodes_field_by_field() {
    let frame = binary_rust_request_frame();
    assert_eq!(frame.len(), 4 + 47);
    let (command, consumed) = decode_frame(&frame).unwrap().unwrap();
    assert_eq!(consumed, frame.len());
    assert_eq!(command.code, 310);
    assert_eq!(command.language, LanguageCode::Rust);
    assert_eq!(command.version, 474);
    assert_eq!(command.opaque, 7);
    assert!(command.is_oneway());
    assert!(!command.is_response());
    assert_eq!(command.remark.as_deref(), Some("hi"));
    assert_eq!(command.ext_fields.len(), 2);
    assert_eq!(command.ext_field("a"), Some("pg"));
    assert_eq!(command.ext_field("b"), Some("T"));
    assert_eq!(command.body, Bytes::from_static(b"xyz"));
    assert_eq!(command.serialize_type, SerializeType::RocketMq);
}

#[test]
fn binary_request_is_encoded_byte_for_byte() {
    let mut command = RemotingCommand::request(310)
        .with_serialize_type(SerializeType::RocketMq)
        .with_opaque(7)
        .with_remark(Some("hi".into()))
        .with_ext_field("b", "T")
        .with_ext_field("a", "pg")
        .with_body(Bytes::from_static(b"xyz"));
    command.language = LanguageCode::Rust;
    command.version = 474;
    command.mark_oneway();
    assert_eq!(&command.encode()[..], &binary_rust_request_frame()[..]);
}

#[test]
fn binary_response_mirrors_the_request_encoding() {
    let (request, _) = decode_frame(&binary_rust_request_frame()).unwrap().unwrap();
    let response = request.response_to(0, None);
    let frame = response.encode();
    // Header word: type 1, header length 21 (no remark, no ext fields).
    assert_eq!(
        &frame[..8],
        &[0x00, 0x00, 0x00, 0x19, 0x01, 0x00, 0x00, 0x15]
    );
    let expected_header = [
        0x00, 0x00, // code 0 (SUCCESS)
        0x00, // language JAVA
        0x01, 0xDF, // version 479
        0x00, 0x00, 0x00, 0x07, // opaque 7, copied from the request
        0x00, 0x00, 0x00, 0x01, // flag: response
        0x00, 0x00, 0x00, 0x00, // no remark
        0x00, 0x00, 0x00, 0x00, // no ext fields
    ];
    assert_eq!(&frame[8..], &expected_header);
}

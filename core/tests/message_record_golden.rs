//! A stored record built by hand, field by field at the positions of
//! REMOTING.md §5.1, must equal what `encode_record` writes, and must parse
//! back into the same fields. Covers IPv4 and IPv6 hosts, the BODYCRC of a
//! known body (crc32("hello") = 0x3610a686) and in-place patching of the
//! fields the store assigns at append time.

use std::net::SocketAddr;

use bytes::BytesMut;
use thrust_core::message::record::{
    body_crc, decode_records, encode_record, encoded_len, patch_append_fields, RecordInput,
    RecordLayout, RecordView, FIXED_SIZE_V1_IPV4, MAGIC_V1, MAGIC_V2,
};

fn input<'a>(topic: &'a str, born: &str, store: &str) -> RecordInput<'a> {
    RecordInput {
        topic,
        queue_id: 3,
        flag: 7,
        sys_flag: 0x1 | 0x10 | 0x20, // host bits must be recomputed
        born_timestamp: 1_700_000_000_123,
        born_host: born.parse().unwrap(),
        store_timestamp: 1_700_000_000_456,
        store_host: store.parse().unwrap(),
        reconsume_times: 2,
        prepared_transaction_offset: 99,
        body: b"hello",
        properties: b"TAGS\x01TagA\x02",
        queue_offset: 41,
        physical_offset: 4096,
    }
}

fn host_bytes(addr: &str) -> Vec<u8> {
    let addr: SocketAddr = addr.parse().unwrap();
    let mut out = match addr.ip() {
        std::net::IpAddr::V4(ip) => ip.octets().to_vec(),
        std::net::IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    out.extend_from_slice(&i32::from(addr.port()).to_be_bytes());
    out
}

/// The expected record, one field after the other.
fn by_hand(topic: &str, born: &str, store: &str, sys_flag: i32) -> Vec<u8> {
    let props = b"TAGS\x01TagA\x02";
    let born_host = host_bytes(born);
    let store_host = host_bytes(store);
    let total = 4
        + 4
        + 4
        + 4
        + 4
        + 8
        + 8
        + 4
        + 8
        + born_host.len()
        + 8
        + store_host.len()
        + 4
        + 8
        + 4
        + 5
        + 1
        + topic.len()
        + 2
        + props.len();
    let mut out = Vec::new();
    out.extend_from_slice(&(total as i32).to_be_bytes());
    out.extend_from_slice(&MAGIC_V1.to_be_bytes());
    out.extend_from_slice(&0x3610_a686_i32.to_be_bytes());
    out.extend_from_slice(&3i32.to_be_bytes());
    out.extend_from_slice(&7i32.to_be_bytes());
    out.extend_from_slice(&41i64.to_be_bytes());
    out.extend_from_slice(&4096i64.to_be_bytes());
    out.extend_from_slice(&sys_flag.to_be_bytes());
    out.extend_from_slice(&1_700_000_000_123i64.to_be_bytes());
    out.extend_from_slice(&born_host);
    out.extend_from_slice(&1_700_000_000_456i64.to_be_bytes());
    out.extend_from_slice(&store_host);
    out.extend_from_slice(&2i32.to_be_bytes());
    out.extend_from_slice(&99i64.to_be_bytes());
    out.extend_from_slice(&5i32.to_be_bytes());
    out.extend_from_slice(b"hello");
    out.push(topic.len() as u8);
    out.extend_from_slice(topic.as_bytes());
    out.extend_from_slice(&(props.len() as i16).to_be_bytes());
    out.extend_from_slice(props);
    assert_eq!(out.len(), total);
    out
}

fn be_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(buf[at..at + 4].try_into().unwrap())
}

fn be_i64(buf: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(buf[at..at + 8].try_into().unwrap())
}

#[test]
fn body_crc_of_hello_is_the_known_masked_crc32() {
    assert_eq!(body_crc(b"hello"), 0x3610_a686);
    // A CRC with the top bit set is masked.
    assert_eq!(crc32fast::hash(b"a"), 0xe8b7_be43);
    assert_eq!(body_crc(b"a"), 0x68b7_be43);
}

#[test]
fn ipv4_record_matches_hand_built_bytes_at_every_position() {
    let input = input("TopicTest", "10.0.0.5:50123", "192.168.1.10:10911");
    let mut out = BytesMut::new();
    encode_record(&input, &mut out).unwrap();
    let expected = by_hand("TopicTest", "10.0.0.5:50123", "192.168.1.10:10911", 0x1);
    assert_eq!(&out[..], &expected[..]);
    assert_eq!(encoded_len(&input).unwrap(), expected.len());
    assert_eq!(expected.len(), FIXED_SIZE_V1_IPV4 + 5 + 9 + 10);
    // The positions of REMOTING.md §5.1, read straight from the bytes.
    assert_eq!(be_i32(&out, 0) as usize, out.len());
    assert_eq!(be_i32(&out, 4), MAGIC_V1);
    assert_eq!(be_i32(&out, 8), 0x3610_a686);
    assert_eq!(be_i32(&out, 12), 3);
    assert_eq!(be_i32(&out, 16), 7);
    assert_eq!(be_i64(&out, 20), 41);
    assert_eq!(be_i64(&out, 28), 4096);
    assert_eq!(be_i32(&out, 36), 0x1);
    assert_eq!(be_i64(&out, 40), 1_700_000_000_123);
    assert_eq!(&out[48..52], &[10, 0, 0, 5]);
    assert_eq!(be_i32(&out, 52), 50123);
    assert_eq!(be_i64(&out, 56), 1_700_000_000_456);
    assert_eq!(&out[64..68], &[192, 168, 1, 10]);
    assert_eq!(be_i32(&out, 68), 10911);
    assert_eq!(be_i32(&out, 72), 2);
    assert_eq!(be_i64(&out, 76), 99);
    assert_eq!(be_i32(&out, 84), 5);
    assert_eq!(&out[88..93], b"hello");
    assert_eq!(out[93], 9);
    assert_eq!(&out[94..103], b"TopicTest");
}

#[test]
fn ipv6_hosts_set_sys_flag_bits_and_shift_later_fields() {
    let input = input("T", "[2001:db8::1]:40000", "[::1]:10911");
    let mut out = Vec::new();
    encode_record(&input, &mut out).unwrap();
    let expected = by_hand("T", "[2001:db8::1]:40000", "[::1]:10911", 0x1 | 0x10 | 0x20);
    assert_eq!(out, expected);
    let layout = RecordLayout::from_sys_flag(0x30);
    assert_eq!(layout.store_timestamp_position(), 68);
    assert_eq!(layout.store_host_position(), 76);
    assert_eq!(layout.body_length_position(), 108);
    assert_eq!(be_i64(&out, 68), 1_700_000_000_456);
    assert_eq!(be_i32(&out, 108), 5);
}

#[test]
fn mixed_families_set_only_the_matching_bit() {
    let input = input("T", "[2001:db8::1]:40000", "127.0.0.1:10911");
    let mut out = Vec::new();
    encode_record(&input, &mut out).unwrap();
    assert_eq!(
        out,
        by_hand("T", "[2001:db8::1]:40000", "127.0.0.1:10911", 0x1 | 0x10)
    );
    let view = RecordView::parse(&out).unwrap();
    assert_eq!(view.born_host(), "[2001:db8::1]:40000".parse().unwrap());
    assert_eq!(view.store_host(), "127.0.0.1:10911".parse().unwrap());
}

#[test]
fn parsed_view_returns_every_field() {
    let input = input("TopicTest", "[fe80::2]:1", "192.168.1.10:10911");
    let mut out = BytesMut::new();
    encode_record(&input, &mut out).unwrap();
    let view = RecordView::parse(&out).unwrap();
    assert_eq!(view.total_size(), out.len());
    assert_eq!(view.magic(), MAGIC_V1);
    assert_eq!(view.body_crc(), 0x3610_a686);
    assert_eq!(view.queue_id(), 3);
    assert_eq!(view.flag(), 7);
    assert_eq!(view.queue_offset(), 41);
    assert_eq!(view.physical_offset(), 4096);
    assert_eq!(view.sys_flag(), 0x1 | 0x10);
    assert_eq!(view.born_timestamp(), 1_700_000_000_123);
    assert_eq!(view.born_host(), input.born_host);
    assert_eq!(view.store_timestamp(), 1_700_000_000_456);
    assert_eq!(view.store_host(), input.store_host);
    assert_eq!(view.reconsume_times(), 2);
    assert_eq!(view.prepared_transaction_offset(), 99);
    assert_eq!(view.body(), b"hello");
    assert_eq!(view.topic(), "TopicTest");
    assert_eq!(view.properties_raw(), b"TAGS\x01TagA\x02");
    view.verify_body_crc().unwrap();
}

#[test]
fn topic_longer_than_127_bytes_is_written_with_v2_magic() {
    let topic = format!("%RETRY%{}", "g".repeat(200));
    let input = input(&topic, "10.0.0.5:1", "10.0.0.6:2");
    let mut out = Vec::new();
    encode_record(&input, &mut out).unwrap();
    assert_eq!(be_i32(&out, 4), MAGIC_V2);
    let view = RecordView::parse(&out).unwrap();
    assert_eq!(view.topic(), topic);
    assert_eq!(view.magic(), MAGIC_V2);
}

#[test]
fn patch_append_fields_rewrites_offsets_and_store_time_in_place() {
    for (born, store_ts_position) in [("10.0.0.5:1", 56), ("[::2]:1", 68)] {
        let input = input("T", born, "10.0.0.6:2");
        let mut out = Vec::new();
        encode_record(&input, &mut out).unwrap();
        patch_append_fields(&mut out, 1_000, 2_000_000, 3_333).unwrap();
        assert_eq!(be_i64(&out, store_ts_position), 3_333);
        let view = RecordView::parse(&out).unwrap();
        assert_eq!(view.queue_offset(), 1_000);
        assert_eq!(view.physical_offset(), 2_000_000);
        assert_eq!(view.store_timestamp(), 3_333);
        view.verify_body_crc().unwrap();
    }
}

#[test]
fn decode_records_splits_a_concatenation() {
    let mut body = BytesMut::new();
    for queue_offset in 0..3 {
        let mut one = input("T", "10.0.0.5:1", "10.0.0.6:2");
        one.queue_offset = queue_offset;
        encode_record(&one, &mut body).unwrap();
    }
    let offsets: Vec<i64> = decode_records(&body)
        .map(|view| view.unwrap().queue_offset())
        .collect();
    assert_eq!(offsets, vec![0, 1, 2]);
}

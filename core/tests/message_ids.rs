//! Golden message ids (REMOTING.md §5.4): the offset msgId example of the
//! spec, an IPv6 one, refusal of malformed ids, and the UNIQ_KEY layout of
//! Java's `MessageClientIDSetter` with every input pinned.

use std::net::SocketAddr;

use thrust_core::message::msg_id::{OffsetMsgId, UniqKeyGenerator};
use thrust_core::DecodeError;

#[test]
fn spec_example_offset_msg_id() {
    let host: SocketAddr = "192.168.1.10:10911".parse().unwrap();
    let id = OffsetMsgId::new(host, 0).encode();
    assert_eq!(id.as_str(), "C0A8010A00002A9F0000000000000000");
    assert_eq!(id.to_string(), "C0A8010A00002A9F0000000000000000");
    let decoded = OffsetMsgId::decode("C0A8010A00002A9F0000000000000000").unwrap();
    assert_eq!(decoded.store_host, host);
    assert_eq!(decoded.physical_offset, 0);
}

#[test]
fn ipv6_offset_msg_id_has_56_characters() {
    let host: SocketAddr = "[2001:db8::1]:10911".parse().unwrap();
    let id = OffsetMsgId::new(host, 0x0102_0304_0506_0708).encode();
    assert_eq!(
        id.as_str(),
        "20010DB800000000000000000000000100002A9F0102030405060708"
    );
    assert_eq!(id.len(), 56);
    assert_eq!(OffsetMsgId::decode(id.as_str()).unwrap().store_host, host);
}

#[test]
fn malformed_offset_msg_ids_are_errors() {
    assert!(matches!(
        OffsetMsgId::decode(""),
        Err(DecodeError::InvalidLength { .. })
    ));
    assert!(matches!(
        OffsetMsgId::decode("C0A8010A00002A9F000000000000000"),
        Err(DecodeError::InvalidLength { length: 31, .. })
    ));
    assert!(matches!(
        OffsetMsgId::decode("C0A8010A00002A9F00000000000000G0"),
        Err(DecodeError::Malformed { .. })
    ));
    // A port that does not fit 16 bits.
    assert!(matches!(
        OffsetMsgId::decode("C0A8010A00012A9F0000000000000000"),
        Err(DecodeError::Malformed { .. })
    ));
    // 32 bytes but not ASCII.
    assert!(OffsetMsgId::decode("ééééééééééééééé00").is_err());
}

#[test]
fn uniq_key_has_java_layout_and_counts_up() {
    let mut generator = UniqKeyGenerator::new("10.1.2.3".parse().unwrap(), 0x1_2345, 0x0A0B_0C0D);
    // 2024-02-01T00:00:01.000Z: 1000 ms into the month.
    let first = generator.next(1_706_745_601_000);
    assert_eq!(
        first.as_str(),
        "0A010203" /* ip */.to_owned() + "2345" /* pid */
        + "0A0B0C0D" /* salt */ + "000003E8" /* ms in month */ + "0000" /* counter */
    );
    let second = generator.next(1_706_745_601_000);
    assert!(second.as_str().ends_with("000003E80001"));
    assert_ne!(first, second);
}

#[test]
fn uniq_key_counter_wraps_and_month_restarts() {
    let mut generator = UniqKeyGenerator::new("::1".parse().unwrap(), 7, -1);
    let id = generator.next(1_709_251_200_005); // 2024-03-01T00:00:00.005Z
    assert_eq!(id.len(), 56);
    assert!(id
        .as_str()
        .starts_with("00000000000000000000000000000001" /* ::1 */));
    assert!(id.as_str().ends_with("0007FFFFFFFF000000050000"));
    for _ in 0..65_535 {
        generator.next(1_709_251_200_005);
    }
    assert!(generator
        .next(1_709_251_200_005)
        .as_str()
        .ends_with("000000050000"));
    // A clock going back a month starts counting from that month's start.
    assert!(generator
        .next(1_706_745_600_002)
        .as_str()
        .ends_with("000000020001"));
}

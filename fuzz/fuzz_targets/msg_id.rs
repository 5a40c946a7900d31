//! Fuzzes message ids: `OffsetMsgId::decode` on arbitrary text never panics
//! and whatever it accepts encodes back to the same text (upper-cased); the
//! UNIQ_KEY generator takes arbitrary inputs (any clock) without panicking
//! and always yields 32 or 56 upper-case hex characters.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use thrust_core::message::msg_id::{OffsetMsgId, UniqKeyGenerator};

fn uniq_keys(data: &[u8]) {
    let Some((head, clocks)) = data.split_first_chunk::<23>() else {
        return;
    };
    let ip = if head[0] & 1 == 0 {
        IpAddr::V4(Ipv4Addr::new(head[1], head[2], head[3], head[4]))
    } else {
        IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&head[1..17]).unwrap()))
    };
    let pid = u32::from_be_bytes(head[17..21].try_into().unwrap());
    let salt = i32::from(i16::from_be_bytes(head[21..23].try_into().unwrap()));
    let mut generator = UniqKeyGenerator::new(ip, pid, salt);
    for clock in clocks.chunks_exact(8).take(64) {
        let id = generator.next(i64::from_be_bytes(clock.try_into().unwrap()));
        assert_eq!(id.len(), if ip.is_ipv6() { 56 } else { 32 });
        assert!(id
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(id) = OffsetMsgId::decode(text) {
            assert_eq!(id.encode().as_str(), text.to_ascii_uppercase());
        }
    }
    uniq_keys(data);
});

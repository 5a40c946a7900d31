//! decode(encode(x)) == x for every codec of the message model, over random
//! inputs (proptest): stored records with IPv4 and IPv6 hosts, random topic,
//! body and properties; property strings; batch bodies; offset msgIds.
//! Also checks that the encoded record size is what `encoded_len` predicts
//! and that a decoded `MessageExt` re-encodes to the same bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use bytes::BytesMut;
use proptest::prelude::*;
use thrust_core::message::batch::{decode_batch, encode_batch, BatchEntry};
use thrust_core::message::msg_id::OffsetMsgId;
use thrust_core::message::properties::{find_property, Properties};
use thrust_core::message::record::{decode_records, encode_record, encoded_len, RecordInput};
use thrust_core::message::{MessageExt, RecordView};

fn host() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            port,
            0,
            0
        ))),
    ]
}

/// Names and values that survive Java's rules: non-empty, no separators.
fn property_text() -> impl Strategy<Value = String> {
    "[^\u{0}-\u{2}]{1,12}"
}

fn properties() -> impl Strategy<Value = Properties> {
    prop::collection::vec((property_text(), property_text()), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Fields {
    topic: String,
    ints: [i32; 4],
    longs: [i64; 5],
    born_host: SocketAddr,
    store_host: SocketAddr,
    body: Vec<u8>,
    properties: Vec<u8>,
}

impl Fields {
    fn input(&self) -> RecordInput<'_> {
        RecordInput {
            topic: &self.topic,
            queue_id: self.ints[0],
            flag: self.ints[1],
            sys_flag: self.ints[2],
            born_timestamp: self.longs[0],
            born_host: self.born_host,
            store_timestamp: self.longs[1],
            store_host: self.store_host,
            reconsume_times: self.ints[3],
            prepared_transaction_offset: self.longs[2],
            body: &self.body,
            properties: &self.properties,
            queue_offset: self.longs[3],
            physical_offset: self.longs[4],
        }
    }
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        "[%|a-zA-Z0-9_-]{0,140}|\\PC{0,40}",
        any::<[i32; 4]>(),
        any::<[i64; 5]>(),
        host(),
        host(),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(
            |(topic, ints, longs, born_host, store_host, body, properties)| Fields {
                topic,
                ints,
                longs,
                born_host,
                store_host,
                body,
                properties,
            },
        )
}

proptest! {
    #[test]
    fn record_decodes_to_what_was_encoded(fields in fields()) {
        let input = fields.input();
        let mut out = BytesMut::new();
        encode_record(&input, &mut out).unwrap();
        prop_assert_eq!(out.len(), encoded_len(&input).unwrap());
        let view = RecordView::parse(&out).unwrap();
        view.verify_body_crc().unwrap();
        let mut expected = input;
        expected.sys_flag = input.stored_sys_flag();
        prop_assert_eq!(view.to_input(), expected);
        prop_assert_eq!(view.total_size(), out.len());
        prop_assert_eq!(view.sys_flag() & 0x10 != 0, input.born_host.is_ipv6());
        prop_assert_eq!(view.sys_flag() & 0x20 != 0, input.store_host.is_ipv6());
    }

    #[test]
    fn concatenated_records_decode_in_order(records in prop::collection::vec(fields(), 0..5)) {
        let mut out = Vec::new();
        for fields in &records {
            encode_record(&fields.input(), &mut out).unwrap();
        }
        let views: Vec<_> = decode_records(&out).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(views.len(), records.len());
        for (view, fields) in views.iter().zip(&records) {
            prop_assert_eq!(view.body(), &fields.body[..]);
            prop_assert_eq!(view.topic(), fields.topic.as_str());
        }
    }

    #[test]
    fn message_ext_reencodes_to_the_same_bytes(fields in fields(), props in properties()) {
        let properties = props.to_bytes().unwrap();
        let mut input = fields.input();
        input.properties = &properties;
        let mut out = Vec::new();
        encode_record(&input, &mut out).unwrap();
        let message = MessageExt::decode(&out).unwrap();
        prop_assert_eq!(&message.properties, &props);
        prop_assert_eq!(message.store_size, out.len());
        let mut again = Vec::new();
        message.encode(&mut again).unwrap();
        prop_assert_eq!(&again, &out);
        prop_assert_eq!(MessageExt::decode(&again).unwrap(), message);
    }

    #[test]
    fn properties_decode_to_what_was_encoded(props in properties()) {
        let raw = props.to_bytes().unwrap();
        prop_assert_eq!(raw.len(), props.encoded_len());
        prop_assert_eq!(Properties::decode(&raw).unwrap(), props.clone());
        for (name, value) in props.iter() {
            prop_assert_eq!(find_property(&raw, name), Some(value));
        }
    }

    #[test]
    fn appended_properties_override_earlier_ones(first in properties(), second in properties()) {
        // A batch entry's properties followed by the header's: last wins.
        let mut raw = first.to_bytes().unwrap();
        raw.extend_from_slice(&second.to_bytes().unwrap());
        let decoded = Properties::decode(&raw).unwrap();
        for (name, value) in second.iter() {
            prop_assert_eq!(decoded.get(name), Some(value));
            prop_assert_eq!(find_property(&raw, name), Some(value));
        }
        for (name, value) in first.iter() {
            if second.get(name).is_none() {
                prop_assert_eq!(decoded.get(name), Some(value));
            }
        }
    }

    #[test]
    fn batch_body_decodes_to_what_was_encoded(
        entries in prop::collection::vec(
            (any::<i32>(), prop::collection::vec(any::<u8>(), 0..100),
             prop::collection::vec(any::<u8>(), 0..60)),
            0..6,
        )
    ) {
        let entries: Vec<BatchEntry> = entries
            .iter()
            .map(|(flag, body, properties)| BatchEntry { flag: *flag, body, properties })
            .collect();
        let mut out = Vec::new();
        encode_batch(&entries, &mut out).unwrap();
        let decoded: Vec<_> = decode_batch(&out).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(decoded, entries);
    }

    #[test]
    fn offset_msg_id_decodes_to_what_was_encoded(host in host(), offset in any::<i64>()) {
        let id = OffsetMsgId::new(host, offset);
        let text = id.encode();
        prop_assert_eq!(text.len(), if host.is_ipv6() { 56 } else { 32 });
        let upper_hex = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
        prop_assert!(text.as_str().bytes().all(upper_hex));
        prop_assert_eq!(OffsetMsgId::decode(text.as_str()).unwrap(), id);
        prop_assert_eq!(OffsetMsgId::decode(&text.as_str().to_lowercase()).unwrap(), id);
    }
}

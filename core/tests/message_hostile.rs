//! Hostile and corrupt input to the record, batch, property and msgId
//! decoders: truncation at every length, TOTALSIZE below the fixed part or
//! beyond the buffer, body/topic/property lengths past TOTALSIZE, negative
//! lengths, unknown magics, bad ports, flipped body bytes. Every case must
//! be an error (never a panic, never a view that reads outside its record).

use bytes::BytesMut;
use thrust_core::message::batch::{decode_batch, BatchEntry};
use thrust_core::message::properties::{find_property, Properties};
use thrust_core::message::record::{
    decode_records, encode_record, patch_append_fields, RecordInput, RecordPrefix, RecordView,
    BLANK_MAGIC, RECORD_SIZE_MIN,
};
use thrust_core::DecodeError;

fn sample() -> Vec<u8> {
    let input = RecordInput {
        topic: "TopicTest",
        queue_id: 1,
        flag: 0,
        sys_flag: 0,
        born_timestamp: 1,
        born_host: "10.0.0.1:1234".parse().unwrap(),
        store_timestamp: 2,
        store_host: "10.0.0.2:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: b"hello",
        properties: b"TAGS\x01A\x02",
        queue_offset: 0,
        physical_offset: 0,
    };
    let mut out = BytesMut::new();
    encode_record(&input, &mut out).unwrap();
    out.to_vec()
}

fn put_i32(buf: &mut [u8], at: usize, value: i32) {
    buf[at..at + 4].copy_from_slice(&value.to_be_bytes());
}

#[test]
fn every_truncation_is_an_error() {
    let record = sample();
    for length in 0..record.len() {
        let err = RecordView::parse(&record[..length]).unwrap_err();
        assert!(
            matches!(err, DecodeError::UnexpectedEof { .. }),
            "{length}: {err}"
        );
        let mut iter = decode_records(&record[..length]);
        if length > 0 {
            assert!(iter.next().unwrap().is_err());
        }
        assert!(iter.next().is_none());
    }
}

#[test]
fn total_size_below_the_fixed_part_is_an_error() {
    let mut record = sample();
    for total in [0, 8, 40, RECORD_SIZE_MIN as i32 - 1] {
        put_i32(&mut record, 0, total);
        assert!(matches!(
            RecordView::parse(&record),
            Err(DecodeError::InvalidLength { .. })
        ));
    }
}

#[test]
fn negative_total_size_is_an_error() {
    let mut record = sample();
    put_i32(&mut record, 0, -5);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { length: -5, .. })
    ));
}

#[test]
fn total_size_beyond_the_buffer_is_a_torn_tail() {
    let mut record = sample();
    let len = record.len() as i32;
    put_i32(&mut record, 0, len + 1);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::UnexpectedEof { .. })
    ));
    put_i32(&mut record, 0, i32::MAX);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::UnexpectedEof { .. })
    ));
}

#[test]
fn total_size_larger_than_the_fields_is_an_error() {
    let mut record = sample();
    let len = record.len() as i32;
    record.push(0);
    put_i32(&mut record, 0, len + 1);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { .. })
    ));
}

#[test]
fn body_length_beyond_total_size_is_an_error() {
    let mut record = sample();
    put_i32(&mut record, 84, 6 + 1 + 9 + 2 + 7 + 1);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { .. })
    ));
    put_i32(&mut record, 84, i32::MAX);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { .. })
    ));
}

#[test]
fn negative_body_topic_and_property_lengths_are_errors() {
    let mut record = sample();
    put_i32(&mut record, 84, -1);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { length: -1, .. })
    ));
    let mut record = sample();
    record[93] = 0x80; // i8 topic length -128
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { length: -128, .. })
    ));
    let mut record = sample();
    let at = record.len() - 7 - 2;
    record[at..at + 2].copy_from_slice(&(-2i16).to_be_bytes());
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { length: -2, .. })
    ));
}

#[test]
fn property_length_beyond_total_size_is_an_error() {
    let mut record = sample();
    let at = record.len() - 7 - 2;
    record[at..at + 2].copy_from_slice(&8i16.to_be_bytes());
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidLength { .. })
    ));
}

#[test]
fn unknown_and_blank_magic_are_errors() {
    let mut record = sample();
    put_i32(&mut record, 4, BLANK_MAGIC);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::UnknownMagic { .. })
    ));
    assert_eq!(RecordPrefix::peek(&record).unwrap().magic, BLANK_MAGIC);
    put_i32(&mut record, 4, 0);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::UnknownMagic { .. })
    ));
}

#[test]
fn ipv6_flag_on_a_v4_record_is_an_error_not_a_misread() {
    let mut record = sample();
    put_i32(&mut record, 36, 0x10 | 0x20);
    assert!(RecordView::parse(&record).is_err());
}

#[test]
fn out_of_range_port_is_an_error() {
    let mut record = sample();
    put_i32(&mut record, 52, 70_000);
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn non_utf8_topic_is_an_error() {
    let mut record = sample();
    record[94] = 0xFF;
    assert!(matches!(
        RecordView::parse(&record),
        Err(DecodeError::InvalidUtf8 { .. })
    ));
}

#[test]
fn flipped_body_byte_fails_the_crc_check() {
    let mut record = sample();
    record[88] ^= 1;
    let view = RecordView::parse(&record).unwrap();
    assert!(matches!(
        view.verify_body_crc(),
        Err(DecodeError::ChecksumMismatch { .. })
    ));
}

#[test]
fn decode_records_stops_at_the_first_bad_record() {
    let mut body = sample();
    body.extend_from_slice(&sample()[..50]);
    body.extend_from_slice(&sample());
    let results: Vec<_> = decode_records(&body).collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok() && results[1].is_err());
}

#[test]
fn patching_a_short_buffer_is_an_error() {
    let mut record = sample();
    assert!(patch_append_fields(&mut record[..60], 1, 2, 3).is_err());
    assert!(patch_append_fields(&mut [], 1, 2, 3).is_err());
}

#[test]
fn truncated_batch_bodies_are_errors() {
    let mut body = Vec::new();
    BatchEntry {
        flag: 1,
        body: b"abc",
        properties: b"k\x01v\x02",
    }
    .encode(&mut body)
    .unwrap();
    for length in 1..body.len() {
        let results: Vec<_> = decode_batch(&body[..length]).collect();
        assert_eq!(results.len(), 1, "{length}");
        assert!(results[0].is_err());
    }
    let mut body = body.clone();
    body[0..4].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(decode_batch(&body).next().unwrap().is_err());
}

#[test]
fn property_strings_of_separators_only_decode_empty() {
    for raw in [
        &b""[..],
        b"\x01",
        b"\x02",
        b"\x01\x02\x01\x02",
        b"\x01\x01\x01",
    ] {
        assert!(Properties::decode(raw).unwrap().is_empty());
        assert_eq!(find_property(raw, ""), None);
    }
}

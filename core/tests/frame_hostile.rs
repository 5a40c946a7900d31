//! Proves that hostile or broken frames give errors, never panics, and that the
//! length limit is enforced before the frame is buffered.
//!
//! Hand-made frames cover each check named in REMOTING.md §1.2–§1.4: oversized
//! and undersized length prefixes (checked from the 4-byte prefix alone), header
//! lengths beyond the frame, unknown serialize types, invalid JSON, truncated
//! binary fields and negative or overlong binary lengths. Proptest then throws
//! arbitrary bytes and mutated valid frames at every decoder.

use bytes::BytesMut;
use proptest::prelude::*;
use thrust_core::frame::{
    decode_binary_header, decode_frame, decode_frame_from, decode_json_header, frame_bytes_needed,
    RemotingCommand, SerializeType, FRAME_LENGTH_MAX,
};
use thrust_core::DecodeError;

/// A frame with the given header word and header, length prefix computed.
fn frame(serialize_type: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let header_len = u32::try_from(header.len()).unwrap();
    let frame_len = u32::try_from(4 + header.len() + body.len()).unwrap();
    let mut frame = frame_len.to_be_bytes().to_vec();
    frame.extend_from_slice(&((u32::from(serialize_type) << 24) | header_len).to_be_bytes());
    frame.extend_from_slice(header);
    frame.extend_from_slice(body);
    frame
}

fn binary_header_of(command: &RemotingCommand) -> Vec<u8> {
    let frame = command
        .clone()
        .with_serialize_type(SerializeType::RocketMq)
        .encode();
    frame[8..].to_vec()
}

#[test]
fn two_gib_length_prefix_is_too_large_before_more_bytes_arrive() {
    for prefix in [
        0x8000_0000u32,
        0x7FFF_FFFF,
        0xFFFF_FFFF,
        16 * 1024 * 1024 + 1,
    ] {
        let err = decode_frame(&prefix.to_be_bytes()).unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { length, .. } if length == u64::from(prefix)));
        assert_eq!(frame_bytes_needed(&prefix.to_be_bytes()), None);
        let mut buf = BytesMut::from(&prefix.to_be_bytes()[..]);
        assert!(decode_frame_from(&mut buf).is_err());
        assert_eq!(buf.len(), 4, "buffer must be left untouched on error");
    }
}

#[test]
fn length_prefix_at_the_limit_waits_for_the_rest() {
    let prefix = u32::try_from(FRAME_LENGTH_MAX).unwrap().to_be_bytes();
    assert_eq!(decode_frame(&prefix).unwrap(), None);
    assert_eq!(frame_bytes_needed(&prefix), Some(FRAME_LENGTH_MAX));
}

#[test]
fn length_prefix_shorter_than_the_header_word_is_invalid() {
    for prefix in 0u32..4 {
        let err = decode_frame(&prefix.to_be_bytes()).unwrap_err();
        assert!(
            matches!(err, DecodeError::InvalidLength { .. }),
            "{prefix}: {err}"
        );
    }
}

#[test]
fn header_length_beyond_the_frame_is_rejected_from_the_header_word() {
    // Frame length 10 leaves 6 bytes for header and body; the word claims 16.
    let bytes = [0, 0, 0, 10, 0, 0, 0, 16];
    let err = decode_frame(&bytes).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::InvalidLength {
            length: 16,
            available: 6,
            ..
        }
    ));
    // A 24-bit header length at its maximum, in a small frame.
    let err = decode_frame(&[0, 0, 0, 10, 1, 0xFF, 0xFF, 0xFF]).unwrap_err();
    assert!(matches!(err, DecodeError::InvalidLength { .. }));
}

#[test]
fn unknown_serialize_type_is_rejected_from_the_header_word() {
    for serialize_type in [2u8, 0x80, 0xFF] {
        let bytes = [0, 0, 0, 20, serialize_type, 0, 0, 2];
        let err = decode_frame(&bytes).unwrap_err();
        let expected = u32::from(serialize_type);
        assert!(matches!(err, DecodeError::UnknownMagic { value, .. } if value == expected));
    }
}

#[test]
fn invalid_json_header_is_a_json_error() {
    for header in [
        &b"{\"code\":"[..],
        b"not json",
        b"{\"code\":1}}",
        b"",
        b"{\"flag\":1}",
    ] {
        let err = decode_frame(&frame(0, header, b"body")).unwrap_err();
        assert!(matches!(err, DecodeError::Json { .. }), "{header:?}: {err}");
    }
}

#[test]
fn every_truncation_of_a_binary_header_is_an_error() {
    let command = RemotingCommand::request(11)
        .with_remark(Some("remark".into()))
        .with_ext_field("topic", "TopicTest")
        .with_ext_field("queueId", "3");
    let header = binary_header_of(&command);
    for length in 0..header.len() {
        let truncated = &header[..length];
        assert!(
            decode_binary_header(truncated).is_err(),
            "truncated to {length}"
        );
        // The cut-off bytes become the body: the header itself is still short.
        assert!(decode_frame(&frame(1, truncated, &header[length..])).is_err());
    }
    assert!(decode_binary_header(&header).is_ok());
}

/// The 21-byte fixed part of a binary header with the given remark and ext lengths.
fn binary_fixed_part(remark_len: i32) -> Vec<u8> {
    let mut header = vec![0, 11, 0, 1, 0xDF, 0, 0, 0, 1, 0, 0, 0, 0];
    header.extend_from_slice(&remark_len.to_be_bytes());
    header
}

#[test]
fn negative_binary_lengths_are_invalid() {
    let mut negative_remark = binary_fixed_part(-1);
    negative_remark.extend_from_slice(&[0, 0, 0, 0]);
    let mut negative_ext = binary_fixed_part(0);
    negative_ext.extend_from_slice(&(-5i32).to_be_bytes());
    let mut negative_key = binary_fixed_part(0);
    negative_key.extend_from_slice(&[0, 0, 0, 8, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0]);
    let mut negative_value = binary_fixed_part(0);
    negative_value.extend_from_slice(&[0, 0, 0, 8, 0, 1, b'k', 0x80, 0, 0, 0, 0]);
    for header in [negative_remark, negative_ext, negative_key, negative_value] {
        let err = decode_binary_header(&header).unwrap_err();
        assert!(
            matches!(err, DecodeError::InvalidLength { length, .. } if length < 0),
            "{err}"
        );
        assert!(decode_frame(&frame(1, &header, b"")).is_err());
    }
}

#[test]
fn binary_lengths_beyond_the_header_are_invalid() {
    let mut long_remark = binary_fixed_part(1000);
    long_remark.extend_from_slice(&[0, 0, 0, 0]);
    let mut long_ext = binary_fixed_part(0);
    long_ext.extend_from_slice(&i32::MAX.to_be_bytes());
    for header in [long_remark, long_ext] {
        let err = decode_binary_header(&header).unwrap_err();
        assert!(matches!(err, DecodeError::InvalidLength { .. }), "{err}");
    }
}

#[test]
fn ext_entry_overrunning_its_region_is_an_error() {
    // The ext region is 5 bytes, but its entry's key claims 4 bytes after a
    // 2-byte length; the header has more bytes after the region.
    let mut header = binary_fixed_part(0);
    header.extend_from_slice(&[0, 0, 0, 5, 0, 4, b'a', b'b', b'c', b'd', 0, 0, 0, 1, b'v']);
    let err = decode_binary_header(&header).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::InvalidLength { .. } | DecodeError::UnexpectedEof { .. }
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = decode_frame(&bytes);
        let _ = frame_bytes_needed(&bytes);
        let _ = decode_json_header(&bytes);
        let _ = decode_binary_header(&bytes);
        let mut buf = BytesMut::from(&bytes[..]);
        if decode_frame_from(&mut buf).is_err() {
            prop_assert_eq!(&buf[..], &bytes[..]);
        }
    }

    #[test]
    fn arbitrary_headers_in_a_valid_frame_never_panic(
        serialize_type in 0u8..2,
        header in prop::collection::vec(any::<u8>(), 0..256),
        body in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let _ = decode_frame(&frame(serialize_type, &header, &body));
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        binary in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let serialize_type = if binary { SerializeType::RocketMq } else { SerializeType::Json };
        let command = RemotingCommand::request(310)
            .with_serialize_type(serialize_type)
            .with_remark(Some("r".into()))
            .with_ext_field("topic", "T")
            .with_ext_field("properties", "TAGS\u{1}a\u{2}");
        let mut frame = command.encode().to_vec();
        for (index, byte) in flips {
            let position = index.index(frame.len());
            frame[position] = byte;
        }
        if let Ok(Some((decoded, consumed))) = decode_frame(&frame) {
            prop_assert!(consumed <= frame.len());
            let again = decode_frame(&decoded.encode()).unwrap().unwrap().0;
            prop_assert_eq!(again.code, decoded.code);
        }
    }
}

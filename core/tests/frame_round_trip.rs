//! Proves that every command survives encoding and decoding, in both header
//! types and through the streaming decoder.
//!
//! Proptest builds arbitrary commands (any code, opaque, flag and language;
//! remarks and ext fields with control characters and non-ASCII text; bodies of
//! any bytes), encodes them, and checks that `decode_frame` and
//! `decode_frame_from` give the same command back. The binary header cannot tell
//! an empty string from an absent one, so binary commands are compared after
//! that normalisation. The same frames, concatenated, are then fed to the
//! streaming decoder one byte at a time and split in two at every position.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use thrust_core::code::LanguageCode;
use thrust_core::frame::{
    decode_frame, decode_frame_from, frame_bytes_needed, RemotingCommand, SerializeType,
};
use thrust_core::ExtFields;

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        4 => any::<char>(),
        1 => prop::sample::select(vec!['\u{1}', '\u{2}', '"', '\\', '\n', '\u{0}', 'é', '主']),
        4 => prop::char::range('a', 'z'),
    ];
    prop::collection::vec(chars, 0..max_chars).prop_map(String::from_iter)
}

fn ext_fields() -> impl Strategy<Value = ExtFields> {
    prop::collection::btree_map(text(12), text(24), 0..8)
}

fn command(serialize_type: SerializeType) -> impl Strategy<Value = RemotingCommand> {
    let (code, version) = match serialize_type {
        SerializeType::Json => (any::<i32>().boxed(), any::<i32>().boxed()),
        SerializeType::RocketMq => (
            any::<i16>().prop_map(i32::from).boxed(),
            any::<i16>().prop_map(i32::from).boxed(),
        ),
    };
    let header = (code, any::<u8>(), version, any::<i32>(), any::<i32>());
    let rest = (
        prop::option::of(text(40)),
        ext_fields(),
        prop::collection::vec(any::<u8>(), 0..300),
    );
    (header, rest).prop_map(
        move |((code, language, version, opaque, flag), (remark, ext, body))| RemotingCommand {
            code,
            language: LanguageCode::from_byte(language),
            version,
            opaque,
            flag,
            remark,
            ext_fields: ext,
            body: Bytes::from(body),
            serialize_type,
        },
    )
}

fn any_command() -> impl Strategy<Value = RemotingCommand> {
    prop_oneof![
        command(SerializeType::Json),
        command(SerializeType::RocketMq)
    ]
}

/// What decoding gives back: the binary header reads empty strings as absent.
fn expected_after_decode(command: &RemotingCommand) -> RemotingCommand {
    let mut expected = command.clone();
    if expected.serialize_type == SerializeType::RocketMq {
        expected.remark = expected.remark.filter(|remark| !remark.is_empty());
        expected
            .ext_fields
            .retain(|key, value| !key.is_empty() && !value.is_empty());
    }
    expected
}

/// Feeds `chunks` to a receive buffer one after another and decodes every
/// complete frame as soon as it is there.
fn decode_stream<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<RemotingCommand> {
    let mut buf = BytesMut::new();
    let mut decoded = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(command) = decode_frame_from(&mut buf).unwrap() {
            decoded.push(command);
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    decoded
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(command in any_command()) {
        let frame = command.encode();
        let (decoded, consumed) = decode_frame(&frame).unwrap().unwrap();
        prop_assert_eq!(consumed, frame.len());
        prop_assert_eq!(&decoded, &expected_after_decode(&command));
        let mut buf = frame.clone();
        let zero_copy = decode_frame_from(&mut buf).unwrap().unwrap();
        prop_assert!(buf.is_empty());
        prop_assert_eq!(&zero_copy, &decoded);
    }

    #[test]
    fn json_header_is_strict_json_with_string_ext_values(command in command(SerializeType::Json)) {
        let frame = command.encode();
        let header_len = usize::try_from(u32::from_be_bytes(frame[4..8].try_into().unwrap()))
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(&frame[8..8 + header_len]).unwrap();
        let object = header.as_object().unwrap();
        prop_assert_eq!(object["code"].as_i64(), Some(i64::from(command.code)));
        if let Some(ext) = object.get("extFields") {
            prop_assert!(ext.as_object().unwrap().values().all(serde_json::Value::is_string));
        }
        prop_assert!(!frame[8..8 + header_len].iter().any(|&byte| byte < 0x20));
    }

    #[test]
    fn frames_fed_byte_by_byte_decode_in_order(
        commands in prop::collection::vec(any_command(), 1..4),
    ) {
        let stream: Vec<u8> = commands.iter().flat_map(|c| c.encode().to_vec()).collect();
        let decoded = decode_stream(stream.chunks(1));
        let expected: Vec<_> = commands.iter().map(expected_after_decode).collect();
        prop_assert_eq!(decoded, expected);
    }

}

proptest! {
    // Each case decodes the stream once per byte position: fewer cases suffice.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn frames_split_at_every_position_decode_in_order(
        commands in prop::collection::vec(any_command(), 1..3),
    ) {
        let stream: Vec<u8> = commands.iter().flat_map(|c| c.encode().to_vec()).collect();
        let expected: Vec<_> = commands.iter().map(expected_after_decode).collect();
        for split in 0..=stream.len() {
            let (front, back) = stream.split_at(split);
            prop_assert_eq!(&decode_stream([front, back]), &expected, "split at {}", split);
        }
    }

    #[test]
    fn incomplete_frame_asks_for_exactly_the_missing_bytes(command in any_command()) {
        let frame = command.encode();
        for available in 0..frame.len() {
            let partial = &frame[..available];
            prop_assert_eq!(decode_frame(partial).unwrap(), None);
            let needed = frame_bytes_needed(partial);
            if available < 4 {
                prop_assert_eq!(needed, None);
            } else {
                prop_assert_eq!(needed, Some(frame.len() - available));
            }
        }
        prop_assert_eq!(frame_bytes_needed(&frame), Some(0));
    }
}

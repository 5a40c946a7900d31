//! Fuzzes the ROCKETMQ binary header decoder: arbitrary bytes must never panic
//! it; a decoded header must re-encode (a decoded code and version always fit
//! i16; only a key grown by U+FFFD replacement may outgrow its i16 length),
//! decode back to the same fields, and re-encode to the same bytes
//! (encode∘decode is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::frame::{
    decode_binary_header, encode_binary_header, BinaryHeaderError, RemotingCommand, SerializeType,
    BINARY_HEADER_FIXED_SIZE_BYTES,
};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = decode_binary_header(data) else {
        return;
    };
    assert!(data.len() >= BINARY_HEADER_FIXED_SIZE_BYTES);
    let command = header
        .clone()
        .into_command(Default::default(), SerializeType::RocketMq);
    // A `BytesMut` without naming the `bytes` crate, which this crate does not depend on.
    let mut encoded = RemotingCommand::request(0).encode();
    encoded.clear();
    if let Err(err) = encode_binary_header(&command, &mut encoded) {
        // Only lossy UTF-8 replacement (1 byte to 3) can grow a key past i16.
        assert!(
            matches!(
                err,
                BinaryHeaderError::TooLong {
                    what: "ext key",
                    ..
                }
            ),
            "{err}"
        );
        assert!(header.ext_fields.keys().any(|key| key.contains('\u{FFFD}')));
        return;
    }
    let again = decode_binary_header(&encoded).expect("a re-encoded header decodes");
    assert_eq!(again, header);
    let mut encoded_again = encoded.clone();
    encoded_again.clear();
    let command_again = again.into_command(Default::default(), SerializeType::RocketMq);
    encode_binary_header(&command_again, &mut encoded_again).expect("re-encodes again");
    assert_eq!(encoded_again, encoded);
});

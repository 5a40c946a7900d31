//! Fuzzes the JSON header decoder: arbitrary bytes must never panic it; a
//! decoded header must re-encode to strict JSON that decodes back to the same
//! fields and re-encodes to the same bytes (encode∘decode is a fixed point),
//! with no raw control character left in the output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::frame::{decode_json_header, encode_json_header, RemotingCommand, SerializeType};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = decode_json_header(data) else {
        return;
    };
    let command = header
        .clone()
        .into_command(Default::default(), SerializeType::Json);
    // A `BytesMut` without naming the `bytes` crate, which this crate does not depend on.
    let mut encoded = RemotingCommand::request(0).encode();
    encoded.clear();
    encode_json_header(&command, &mut encoded);
    assert!(
        !encoded.iter().any(|&byte| byte < 0x20),
        "raw control character in output"
    );
    let again = decode_json_header(&encoded).expect("a re-encoded header decodes");
    assert_eq!(again, header);
    let mut encoded_again = encoded.clone();
    encoded_again.clear();
    encode_json_header(
        &again.into_command(Default::default(), SerializeType::Json),
        &mut encoded_again,
    );
    assert_eq!(encoded_again, encoded);
});

//! Fuzzes the streaming frame decoder: `decode_frame` and `decode_frame_from`
//! on arbitrary bytes must never panic and must agree with each other; an error
//! must leave the receive buffer untouched; a decoded frame must lie inside the
//! input; and re-encoding a decoded command must decode to the same command
//! (in JSON if the binary header cannot carry it) and be a fixed point of
//! encode∘decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::frame::{
    check_binary_header, decode_frame, decode_frame_from, frame_bytes_needed, RemotingCommand,
    SerializeType,
};

fuzz_target!(|data: &[u8]| {
    // A `BytesMut` without naming the `bytes` crate, which this crate does not depend on.
    let mut buf = RemotingCommand::request(0).encode();
    buf.clear();
    buf.extend_from_slice(data);
    let streamed = decode_frame_from(&mut buf);
    match decode_frame(data) {
        Ok(Some((command, consumed))) => {
            assert!(consumed <= data.len());
            assert_eq!(frame_bytes_needed(data), Some(0));
            assert_eq!(
                streamed.as_ref().ok().and_then(Option::as_ref),
                Some(&command)
            );
            assert_eq!(buf.len(), data.len() - consumed);
            let encoded = command.encode();
            let (again, again_consumed) = decode_frame(&encoded)
                .expect("a re-encoded frame decodes")
                .expect("a re-encoded frame is complete");
            assert_eq!(again_consumed, encoded.len());
            let mut expected = command;
            // Lossy UTF-8 decoding can grow a binary key past its i16 length;
            // the encoder then falls back to JSON, as documented.
            if check_binary_header(&expected).is_err() {
                expected.serialize_type = SerializeType::Json;
            }
            assert_eq!(again, expected);
            assert_eq!(&again.encode()[..], &encoded[..]);
        }
        Ok(None) => {
            assert!(matches!(streamed, Ok(None)));
            assert_eq!(&buf[..], data);
            if let Some(needed) = frame_bytes_needed(data) {
                assert!(needed > 0);
            }
        }
        Err(err) => {
            assert_eq!(streamed.err(), Some(err));
            assert_eq!(&buf[..], data);
        }
    }
});

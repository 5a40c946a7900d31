//! Fuzzes every decoder of the store's own files (checkpoint, consume-queue
//! entries, key-index entries, sealed `.idx` footers and images, the record
//! checks of recovery and reads) through
//! `thrust_storage::file_decoders::decode_file_bytes`: arbitrary bytes must
//! never panic, and whatever a decoder accepts must re-encode to the same
//! value (asserted inside).
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_storage::file_decoders::decode_file_bytes;

fuzz_target!(|data: &[u8]| {
    decode_file_bytes(data);
});

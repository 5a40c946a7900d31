//! Fuzzes the SEND_BATCH_MESSAGE body decoder: arbitrary bytes never panic,
//! accepted entries lie inside the input, and re-encoding the accepted
//! entries reproduces the input they came from except for MAGICCODE and
//! BODYCRC, which clients send as 0 and the decoder ignores.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::message::batch::{decode_batch, encode_batch, BatchEntry};

fuzz_target!(|data: &[u8]| {
    let entries: Vec<BatchEntry> = decode_batch(data).map_while(Result::ok).collect();
    let mut out = Vec::new();
    encode_batch(&entries, &mut out).expect("decoded entries re-encode");
    assert!(out.len() <= data.len());
    let mut position = 0usize;
    for entry in &entries {
        let size = entry.encoded_len().expect("sized");
        let (ours, theirs) = (
            &out[position..position + size],
            &data[position..position + size],
        );
        assert_eq!(ours[..4], theirs[..4], "TOTALSIZE");
        assert_eq!(ours[12..], theirs[12..], "FLAG, body and properties");
        position += size;
    }
    let again: Vec<BatchEntry> = decode_batch(&out).collect::<Result<_, _>>().expect("valid");
    assert_eq!(again, entries);
});

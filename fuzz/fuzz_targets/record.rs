//! Fuzzes the stored-record decoder: `RecordView::parse` and
//! `decode_records` on arbitrary bytes must never panic; every record they
//! accept must stay inside the input, and re-encoding its fields must give
//! back the same bytes (or, for a V2 record with a short topic, which we
//! re-encode as V1, the same fields).
#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::message::record::{
    decode_records, encode_record, RecordView, MAGIC_V1, MAGIC_V2, TOPIC_LENGTH_MAX_V1,
};

fn check_reencode(view: &RecordView<'_>) {
    let mut out = Vec::new();
    encode_record(&view.to_input(), &mut out).expect("a decoded record re-encodes");
    let again = RecordView::parse(&out).expect("a re-encoded record parses");
    assert_eq!(again.to_input(), view.to_input());
    let expected_magic = if view.topic().len() > TOPIC_LENGTH_MAX_V1 {
        MAGIC_V2
    } else {
        MAGIC_V1
    };
    if view.magic() == expected_magic && view.verify_body_crc().is_ok() {
        assert_eq!(&out[..], view.as_bytes());
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = RecordView::parse(data) {
        assert!(view.total_size() <= data.len());
        assert_eq!(view.as_bytes(), &data[..view.total_size()]);
        check_reencode(&view);
    }
    let mut consumed = 0usize;
    let mut records = decode_records(data);
    for result in records.by_ref() {
        match result {
            Ok(view) => {
                assert_eq!(
                    view.as_bytes(),
                    &data[consumed..consumed + view.total_size()]
                );
                consumed += view.total_size();
            }
            Err(_) => break,
        }
    }
    assert_eq!(records.remaining().len(), data.len() - consumed);
});

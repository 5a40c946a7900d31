//! Fuzzes every typed header decoder of `thrust_core::header` (the registry
//! `for_each_header!`) on extFields maps built from arbitrary bytes.
//!
//! The input is split on 0x00 bytes into segments that alternate key,
//! value, key, ... (at most `PAIRS_MAX` pairs). A key segment of one byte
//! below 0x80 names a known field (all header field names, V1 and V2 send
//! names, foreign keys) so that the fuzzer reaches real fields at once; any
//! other segment is used as lossy UTF-8 text. For each header, a successful
//! decode `x` must re-encode to a map that decodes to `x` again and encodes
//! to the same map; the send header is also checked through `from_v1`/
//! `from_v2` and `to_v1`/`to_v2`. Decoders must never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use thrust_core::ext_fields::ExtFields;
use thrust_core::for_each_header;
use thrust_core::header::*;

/// Bound on the number of key/value pairs taken from one input.
const PAIRS_MAX: usize = 64;

/// Keys that no header reads (inherited and hook fields).
const FOREIGN_KEYS: &[&str] = &["ns", "nsd", "oway", "lo", "AccessKey", "Signature"];

macro_rules! field_names {
    ($($header:ident),* $(,)?) => {{
        let mut names: Vec<&'static str> = Vec::new();
        $( names.extend(<$header as CommandHeader>::FIELDS.iter().map(|f| f.name)); )*
        names.extend(SEND_MESSAGE_FIELDS_V2.iter().map(|f| f.name));
        names.extend(FOREIGN_KEYS.iter().copied());
        names.sort_unstable();
        names.dedup();
        names
    }};
}

fn key_of(segment: &[u8], names: &[&'static str]) -> String {
    match segment {
        [index] if *index < 0x80 => names[usize::from(*index) % names.len()].to_owned(),
        _ => String::from_utf8_lossy(segment).into_owned(),
    }
}

fn ext_fields_of(data: &[u8], names: &[&'static str]) -> ExtFields {
    let mut fields = ExtFields::new();
    let mut segments = data.split(|b| *b == 0);
    for _ in 0..PAIRS_MAX {
        let (Some(key), Some(value)) = (segments.next(), segments.next()) else {
            break;
        };
        fields.insert(
            key_of(key, names),
            String::from_utf8_lossy(value).into_owned(),
        );
    }
    fields
}

fn check<H: CommandHeader + PartialEq + std::fmt::Debug>(fields: &ExtFields) {
    let Ok(x) = H::from_ext_fields(fields) else {
        return;
    };
    let encoded = x.encode();
    let again = H::from_ext_fields(&encoded).expect("re-encoded header decodes");
    assert_eq!(x, again, "{}", H::NAME);
    assert_eq!(again.encode(), encoded, "{}", H::NAME);
}

fn check_send_versions(fields: &ExtFields) {
    for version in [SendHeaderVersion::V1, SendHeaderVersion::V2] {
        let Ok(x) = SendMessageRequestHeader::decode_as(fields, version) else {
            continue;
        };
        let mut v1 = ExtFields::new();
        x.to_v1(&mut v1);
        let mut v2 = ExtFields::new();
        x.to_v2(&mut v2);
        assert_eq!(SendMessageRequestHeader::from_v1(&v1).as_ref(), Ok(&x));
        assert_eq!(SendMessageRequestHeader::from_v2(&v2).as_ref(), Ok(&x));
        assert_eq!(
            SendMessageRequestHeader::from_ext_fields(&v1).as_ref(),
            Ok(&x)
        );
        assert_eq!(
            SendMessageRequestHeader::from_ext_fields(&v2).as_ref(),
            Ok(&x)
        );
    }
}

macro_rules! check_all {
    ($($header:ident),* $(,)?) => {
        fn check_all(fields: &ExtFields) {
            $( check::<$header>(fields); )*
        }
    };
}

for_each_header!(check_all);

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static NAMES: Vec<&'static str> = for_each_header!(field_names);
    }
    NAMES.with(|names| {
        let fields = ext_fields_of(data, names);
        check_all(&fields);
        check_send_versions(&fields);
    });
});
